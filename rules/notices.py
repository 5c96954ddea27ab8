"""Notices (SPEC sections 4 and 5.3): SECAS's notices to Parties and decisions to everyone.

Messages are queued on the release's state here and delivered by the workflow. Every decision
(vote, approved re-date, appeal determination, waiver, closing or cancelling) goes to all
parties as a `decision`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rules.context import Context
from rules.deadlines import DeadlineKey
from rules.errors import Refused
from rules.guards import scoped_mod
from rules.outcome import Outcome
from rules.queries import is_live, notice_no_longer_owed
from rules.registry import handles
from rules.release_calendar import long_date
from rules.tracking import deadline, meet
from schemas import commands as c
from schemas.base import Actor
from schemas.state import (
    CutOff,
    DeadlineStatus,
    ModStatus,
    Notice,
    NoticeScope,
    ReleaseState,
    ScopedModification,
)


def queue_notice(
    state: ReleaseState,
    ctx: Context,
    kind: str,
    subject: str,
    to: list[str],
    key: str,
    **extra: Any,
) -> None:
    """Queue a message to Parties or a decision to everyone (delivered by the workflow)."""
    state.notices.append(
        Notice(key=f"{state.id}/{key}", kind=kind, at=ctx.now, subject=subject, to=to, **extra)
    )


EVERYONE = ["SECAS", "PANEL", "DCC", "TAG", "OPSG", "PARTY", "AUTHORITY"]


def queue_decision(state: ReleaseState, ctx: Context, key: str, what: str) -> None:
    """Queue a decision for every party (SPEC section 5.3), numbered in the order made."""
    seq = sum(1 for n in state.notices if n.kind == "decision") + 1
    queue_notice(
        state,
        ctx,
        "decision",
        f"Decision: {state.name}: {what}",
        EVERYONE,
        f"decision/{seq}-{key}",
        detail=what,
    )


NOTICE_DEADLINES = {
    "12m": DeadlineKey.NOTICE_12M,
    "6m": DeadlineKey.NOTICE_6M,
    "1m": DeadlineKey.NOTICE_1M,
}


NOTICE_WORDS = {
    "12m": "12-month notice of scope and cut-off dates",
    "6m": "6-month notice of scope and cut-off dates",
    "1m": "one-month notice of imminent go-live",
    "approval": "notice of approval",
}


CUT_OFFS = (
    (DeadlineKey.SCOPE_SYSTEM, "system-impacting modifications"),
    (DeadlineKey.SCOPE_DOCS, "documentation-only modifications"),
)


def notice_scope(state: ReleaseState) -> NoticeScope:
    """What a 12-month or 6-month notice sets out: every modification in scope (targeted or
    approved, not removed) and the cut-off dates of the release's scope deadlines."""
    return NoticeScope(
        modifications=[
            ScopedModification(
                id=m.id, title=m.title, system=m.system, approved=m.status is ModStatus.APPROVED
            )
            for m in state.modifications
            if m.status is not ModStatus.REMOVED
        ],
        cut_offs=[
            CutOff(key=key.value, what=what, due=found.due)
            for key, what in CUT_OFFS
            if (found := deadline(state, key.value)) is not None
            and found.status is not DeadlineStatus.NOT_APPLICABLE
        ],
    )


def stale_notice(state: ReleaseState, notice: str, today: date) -> str | None:
    """Why a notice to Parties makes no sense any more, or None (SPEC sections 4 and 5.5): the
    one-month notice of imminent go-live once go-live has passed, the 12- and 6-month notices of
    scope and cut-off dates once the release is live. Their deadlines stay on the record."""
    if not notice_no_longer_owed(state, NOTICE_DEADLINES[notice].value, today):
        return None
    if notice == "1m" and not is_live(state):
        return (
            f"The {NOTICE_WORDS[notice]} is no longer owed: go-live was on "
            f"{long_date(state.go_live)}. Its deadline stays on the record as it stands."
        )
    return (
        f"The {NOTICE_WORDS[notice]} is no longer owed: the {state.name} is live. Its "
        "deadline stays on the record as it stands."
    )


@handles(c.NoticeSend)
def notice_send(state: ReleaseState, actor: Actor, cmd: c.NoticeSend, ctx: Context) -> Outcome:
    if cmd.notice == "approval":
        if not cmd.mod:
            raise Refused("An approval notice names its modification (--mod MOD).")
        mod = scoped_mod(state, cmd.mod)
        if mod.status is not ModStatus.APPROVED or mod.approved_on is None:
            raise Refused(
                f"{mod.id} is targeted, not approved; record its approval (mod approve) first."
            )
        key = f"{DeadlineKey.APPROVAL_NOTICE.value}:{mod.id}"
        subject = f"{state.name}: {mod.id} '{mod.title}' approved on {long_date(mod.approved_on)}, for go-live on {long_date(state.go_live)}"
    else:
        if cmd.mod:
            raise Refused(f"The {NOTICE_WORDS[cmd.notice]} covers the whole release; drop --mod.")
        if ctx.careful_panel:
            stale = stale_notice(state, cmd.notice, ctx.today)
            if stale:
                raise Refused(stale)
        key = NOTICE_DEADLINES[cmd.notice].value
        subject = f"{state.name}: {NOTICE_WORDS[cmd.notice]} (go-live {long_date(state.go_live)})"
    found = deadline(state, key)
    if found is not None and found.status is DeadlineStatus.MET:
        raise Refused(
            f"The {NOTICE_WORDS[cmd.notice]} ({key}) was already sent on {found.met_on.isoformat() if found.met_on else '?'}."
        )
    meet(state, key, ctx.today)
    queue_notice(
        state,
        ctx,
        "notice",
        subject,
        ["PARTY", "SECAS"],
        f"notice/{key}/c{found.cycle if found else 1}",
        notice=cmd.notice,
        scope=notice_scope(state) if cmd.notice in ("12m", "6m") else None,
    )
    summary = f"Sent the {NOTICE_WORDS[cmd.notice]} to Parties."
    if cmd.notice == "1m":
        state.rid_frozen_on = ctx.today
        summary += f" The RID (version {state.rid_version}) is now frozen."
    return Outcome(summary)
