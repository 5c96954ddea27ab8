"""The audit trail: who did what, when, from which command, and what the system sent."""

from __future__ import annotations

from datetime import datetime

from rules import limits
from schemas.base import Actor
from schemas.state import AuditEntry, ReleaseState

SYSTEM = "sec-release"  # the actor of what the release does by itself (reminders, escalations)


def audit(
    state: ReleaseState,
    now: datetime,
    actor: Actor | str,
    command: str,
    detail: str,
    *,
    refused: bool = False,
) -> None:
    """Append one entry, numbered after the last."""
    seq = state.audit[-1].seq + 1 if state.audit else 1
    state.audit.append(
        AuditEntry(
            seq=seq,
            at=now,
            actor=str(actor),
            command=command,
            outcome="refused" if refused else "accepted",
            detail=detail[: limits.TEXT],
        )
    )
