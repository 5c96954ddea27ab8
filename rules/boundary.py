"""What a release does with messages that arrive at its boundary and are not commands.

A release trusts only what it can check: its own state, its business clock, and the sources
it reads through activities (the Panel workflow for freezes). Signals between our own
workflows are hints that make it look again, never facts (SPEC section 8). Refused and ignored
messages are audited up to a budget and then only counted, so hostile input cannot grow the
record without bound; an operator's cancel is recorded as one.
"""

from __future__ import annotations

from typing import Any

from rules import limits
from rules.audit import SYSTEM, audit
from rules.context import Context
from rules.tracking import is_ended
from schemas.seal import Seal, signed_message
from schemas.state import AuditEntry, Delivery, Notice, ReleaseState
from schemas.text import excerpt

# At most this many refused or ignored messages are written to one release's audit trail;
# later ones are counted (`refusals_unrecorded`, shown in status).
MAX_REFUSALS_RECORDED = 100
# The most bytes a release's state may hold: continue-as-new carries it whole, and Temporal
# refuses a payload over 2 MB. Commands that would take it past this are refused.
MAX_STATE_BYTES = 1_500_000
OPERATOR = "operator"
# What a continue-as-new carries of the release's own sends: the latest reminders and
# escalations (the register's outbox and audit keep every one).
KEEP_SENDS = 100
KEEP_SEND_AUDIT = 200
_SEND_KINDS = ("reminder", "escalation")


def record_refusal(
    state: ReleaseState, ctx: Context, actor: str, command: str, why: str, *, outcome: str
) -> bool:
    """Audit a refused or ignored message with bounded excerpts; False once over budget."""
    if state.refusals_recorded >= MAX_REFUSALS_RECORDED:
        state.refusals_unrecorded += 1
        return False
    state.refusals_recorded += 1
    audit(state, ctx.now, excerpt(actor, 120), excerpt(command, 300), excerpt(why, 600))
    state.audit[-1].outcome = outcome
    return True


def check_room(state_bytes: int, command_bytes: int) -> str | None:
    """A sentence when a command would take the state past its cap, else None."""
    if state_bytes + command_bytes <= MAX_STATE_BYTES:
        return None
    return (
        f"This release's record holds {state_bytes // 1000:,} KB, and one release may hold at "
        f"most {MAX_STATE_BYTES // 1000:,} KB; the command is refused. SECAS should ask an "
        "operator to archive the release's record."
    )


def cancelled_by_operator(state: ReleaseState, ctx: Context) -> bool:
    """A Temporal cancel of the release's workflow: recorded, and SECAS and the Panel told.

    The release ends CANCELLED (its record says an operator did it, not the Panel). False when
    it had already ended.
    """
    if is_ended(state):
        return False
    why = "its workflow was cancelled by an operator through Temporal, not by the Panel"
    state.cancelled_on = ctx.today
    state.ended_by_operator = "cancelled through Temporal"
    state.end_reason = why
    audit(state, ctx.now, OPERATOR, "workflow cancel", f"The release was cancelled: {why}.")
    state.notices.append(
        Notice(
            key=f"{state.id}/operator/cancel",
            kind="decision",
            at=ctx.now,
            subject=f"{state.name}: cancelled by an operator",
            to=["SECAS", "PANEL_CHAIR", "PANEL"],
            detail=f"The {state.name} was cancelled: {why}. No Panel decision was recorded.",
        )
    )
    return True


def undeliverable(state: ReleaseState, ctx: Context, key: str, error: str) -> None:
    """A notice that can never be sent: marked failed, audited, and SECAS told (once)."""
    notice = next((n for n in state.notices if n.key == key), None)
    if notice is None:
        return
    notice.delivery = Delivery.FAILED
    notice.error = excerpt(error, limits.REF)
    audit(state, ctx.now, SYSTEM, "notice failed", f"{notice.subject}: {notice.error}")
    if notice.kind == "undeliverable":
        return  # the report about a failure failed too: do not report it again
    state.notices.append(
        Notice(
            key=f"{key}/undeliverable",
            kind="undeliverable",
            at=ctx.now,
            subject=excerpt(f"{state.name}: a notice could not be sent", limits.TITLE),
            to=["SECAS"],
            detail=f"{notice.subject} (to {', '.join(notice.to)}) could not be sent: {notice.error}",
        )
    )


def audit_diverged(state: ReleaseState, ctx: Context, seqs: list[int]) -> bool:
    """The store holds other entries at these audit seqs (the workflow was reset): once, loud."""
    if not seqs or state.audit_diverged_at is not None:
        return False
    state.audit_diverged_at = min(seqs)
    what = (
        f"The stored audit trail disagrees with this release from entry {min(seqs)} on: its "
        "workflow was reset or replaced by an operator. Both versions are kept in the store."
    )
    audit(state, ctx.now, SYSTEM, "audit diverged", what)
    state.notices.append(
        Notice(
            key=f"{state.id}/operator/audit-diverged-{min(seqs)}",
            kind="decision",
            at=ctx.now,
            subject=f"{state.name}: audit trail diverged (operator reset?)",
            to=["SECAS", "PANEL_CHAIR"],
            detail=what,
        )
    )
    return True


def compact_for_carry(state: ReleaseState, recorded_seq: int) -> int:
    """Drop the oldest delivered reminders and escalations, and their recorded audit lines.

    A release left alone escalates every 5 Working Days for as long as a deadline stays open, so
    its own sends would grow the carried state without bound. Every one of them is kept in the
    store (outbox and audit); the state keeps the latest `KEEP_SENDS` messages and
    `KEEP_SEND_AUDIT` audit lines of that kind, and counts the rest. Returns how many went.
    """
    sends = [n for n in state.notices if n.kind in _SEND_KINDS and n.delivery in _DONE_DELIVERIES]
    drop_notices = {id(n) for n in sends[: max(0, len(sends) - KEEP_SENDS)]}
    lines = [
        a
        for a in state.audit
        if a.actor == SYSTEM and a.command.startswith(_SEND_KINDS) and a.seq <= recorded_seq
    ]
    drop_lines = {id(a) for a in lines[: max(0, len(lines) - KEEP_SEND_AUDIT)]}
    if not drop_notices and not drop_lines:
        return 0
    state.notices = [n for n in state.notices if id(n) not in drop_notices]
    # The last entry stays whatever it is: the next seq is numbered after it.
    last = state.audit[-1] if state.audit else None
    state.audit = [a for a in state.audit if id(a) not in drop_lines or a is last]
    state.compacted_notices += len(drop_notices)
    state.compacted_audit += len(drop_lines) - (
        1 if last is not None and id(last) in drop_lines else 0
    )
    return len(drop_notices) + len(drop_lines)


_DONE_DELIVERIES = (Delivery.SENT, Delivery.FAILED)


def stamp_seal(
    state: ReleaseState, seal: Seal, body: dict[str, Any], *, at_seq: int | None = None
) -> None:
    """Record on an audit line (the latest, or `at_seq`) who the front door authenticated, the
    request's id and the signature with the message it covers, for `audit verify`."""
    entry = next((e for e in state.audit if e.seq == at_seq), None) if at_seq else None
    if entry is None and at_seq is None and state.audit:
        entry = state.audit[-1]
    if entry is not None:
        seal_entry(entry, seal, body)


def seal_entry(entry: AuditEntry, seal: Seal, body: dict[str, Any]) -> None:
    entry.principal = str(seal.principal)
    entry.request_id = seal.request_id
    entry.key_id = seal.key_id
    entry.signature = seal.signature
    entry.signed = signed_message(seal, body)
