"""The morning digest's messages: its workflow's input, its activity's request and answer, and
the line one reminder or escalation takes in it (kept with the item in the outbox)."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import Field

from schemas.base import Model

DIGEST_WORKFLOW_ID = "sec-release/digest"
DEFAULT_DIGEST_TIME = time(7, 0)


class DigestInput(Model):
    """`DigestWorkflow`'s input: when each morning's digest goes, on which business clock."""

    clock_offset_seconds: float = 0.0  # the business clock: workflow.now() plus this
    at: time = DEFAULT_DIGEST_TIME  # London time of day
    mornings_per_run: int = Field(30, ge=1)  # then it continues as new


class DigestRequest(Model):
    """The `send_digests` activity's argument: one morning and its cut-off (business time)."""

    morning: date
    cutoff: datetime  # items recorded at or before it go in this morning's digests


class DigestReceipt(Model):
    morning: date
    sent: list[str] = Field(default_factory=list)  # the digests' keys, sent in this attempt
    items: int = 0  # items now delivered by a digest


class DigestLine(Model):
    """What one reminder or escalation says in a digest (from the notice, when it is kept)."""

    key: str
    release_id: str
    release_name: str
    kind: str  # reminder | escalation
    at: datetime
    subject: str
    deadline: str | None = None
    what: str = ""  # the deadline in words: what is owed
    owners: str = ""  # who owes it, in words
    due: date | None = None
    level: int | None = None
