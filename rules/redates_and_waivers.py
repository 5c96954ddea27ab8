"""The Panel's other powers (SPEC sections 5.3 and 5.6) and the Authority's re-dates: re-date
requests and approvals, SECAS's request to cancel, waived deadlines, the external auditor and
the Panel's change freezes.
"""

from __future__ import annotations

from rules import limits
from rules.context import Context
from rules.deadlines import DeadlineKey
from rules.errors import Refused
from rules.guards import date_in_calendar, not_yet_live, scoped_mod
from rules.notices import queue_decision
from rules.outcome import Outcome
from rules.queries import Phase, is_live, phase
from rules.registry import handles
from rules.release_calendar import check_go_live, long_date
from rules.tracking import OPEN, calendar_of, deadline, is_ended, reopen
from schemas import commands as c
from schemas.base import Actor
from schemas.state import (
    Auditor,
    CancelRequested,
    DeadlineStatus,
    Freeze,
    ModStatus,
    Redate,
    ReleaseState,
)


@handles(c.RedateRequest)
def redate_request(
    state: ReleaseState, actor: Actor, cmd: c.RedateRequest, ctx: Context
) -> Outcome:
    not_yet_live(state, "re-date it", ctx)
    pending = next((r for r in state.redates if r.approved_on is None), None)
    if pending is not None:
        raise Refused(
            f"A re-date to {pending.go_live.isoformat()} is already waiting for the Authority "
            f"(requested {pending.requested_on.isoformat()})."
        )
    reason = limits.text(cmd.reason, "reason", limits.TEXT, flag="--reason")
    date_in_calendar(state, cmd.go_live, "go-live date")
    if cmd.mod is not None:
        mod = scoped_mod(state, cmd.mod)
        if cmd.go_live <= state.go_live:
            raise Refused(
                f"{mod.id} would move to {cmd.go_live.isoformat()}, on or before this release's "
                f"go-live ({state.go_live.isoformat()}); a modification is re-dated to a later release."
            )
        state.redates.append(
            Redate(
                go_live=cmd.go_live,
                reason=reason,
                requested_on=ctx.today,
                by=str(actor),
                mod=mod.id,
            )
        )
        return Outcome(
            f"Requested the Authority to move {mod.id}'s implementation date to "
            f"{cmd.go_live.isoformat()}; it stays in scope until the Authority agrees."
        )
    if cmd.go_live == state.go_live:
        raise Refused(f"The release already goes live on {cmd.go_live.isoformat()}.")
    check_go_live(cmd.go_live, state.freezes, calendar_of(state), ctx.today)
    state.redates.append(
        Redate(go_live=cmd.go_live, reason=reason, requested_on=ctx.today, by=str(actor))
    )
    return Outcome(
        f"Requested the Authority to move go-live to {cmd.go_live.isoformat()}; the release goes on meanwhile."
    )


def _redate_modification(state: ReleaseState, pending: Redate, ctx: Context) -> Outcome:
    """The Authority moves one modification's date: it leaves this release for a later one."""
    mod = next((m for m in state.modifications if m.id == pending.mod), None)
    pending.approved_on = ctx.today
    if mod is None or mod.status is ModStatus.REMOVED:
        return Outcome(f"{pending.mod} is no longer in scope; nothing to move.")
    mod.status = ModStatus.REMOVED
    mod.removed_reason = f"implementation date revised to {pending.go_live.isoformat()} by the Authority ({pending.reason})"
    queue_decision(
        state,
        ctx,
        f"redate-{mod.id}",
        f"the Authority moved {mod.id}'s implementation date to {long_date(pending.go_live)}; it leaves the release",
    )
    return Outcome(
        f"{mod.id} moves to {pending.go_live.isoformat()} and leaves the scope; a re-baseline records it."
    )


@handles(c.CancelRequest)
def cancel_request(
    state: ReleaseState, actor: Actor, cmd: c.CancelRequest, ctx: Context
) -> Outcome:
    if is_live(state):
        raise Refused("The release is live; it can be closed after review, not cancelled.")
    if state.cancel_requested is not None:
        raise Refused(
            f"SECAS already asked the Panel to cancel the release on {state.cancel_requested.on.isoformat()}."
        )
    reason = limits.text(cmd.reason, "reason", limits.TEXT, flag="--reason")
    state.cancel_requested = CancelRequested(by=str(actor), on=ctx.today, reason=reason)
    return Outcome(
        "SECAS asked the Panel to cancel the release; the Panel decides (release cancel)."
    )


@handles(c.RedateApprove)
def redate_approve(
    state: ReleaseState, actor: Actor, cmd: c.RedateApprove, ctx: Context
) -> Outcome:
    pending = next((r for r in state.redates if r.approved_on is None), None)
    if pending is None:
        raise Refused(
            "There is no re-date request waiting; the Panel requests one first (redate request)."
        )
    not_yet_live(state, "re-date it", ctx)
    if pending.mod is not None:
        return _redate_modification(state, pending, ctx)
    # Checked again: a freeze may have been recorded since the request.
    check_go_live(pending.go_live, state.freezes, calendar_of(state), ctx.today)
    replanning = phase(state, ctx.today) is Phase.REPLANNING
    pending.approved_on = ctx.today
    pending.previous = state.go_live
    state.go_live = pending.go_live
    if "go_live" in state.timetable:
        state.timetable["go_live"] = pending.go_live
    for v in state.votes:
        v.superseded = True
    if replanning:
        # The lifecycle resumes where evidence must be re-given.
        state.testing_evidence = None
        state.operational_evidence = None
        state.recommendations = {}
        reopen(state, DeadlineKey.EVIDENCE.value, ctx.now)
    if state.rid_frozen_on is not None:
        state.rid_frozen_on = None
        reopen(state, DeadlineKey.NOTICE_1M.value, ctx.now)
    queue_decision(
        state,
        ctx,
        "redate",
        f"the Authority approved moving go-live from {long_date(pending.previous)} to {long_date(state.go_live)}",
    )
    resume = " Evidence and recommendations must be given again." if replanning else ""
    return Outcome(
        f"Go-live moved to {state.go_live.isoformat()}; every open deadline is recomputed.{resume}"
    )


@handles(c.Waive)
def waive(state: ReleaseState, actor: Actor, cmd: c.Waive, ctx: Context) -> Outcome:
    found = deadline(state, cmd.deadline.strip())
    if found is None or found.status is DeadlineStatus.NOT_APPLICABLE:
        keys = ", ".join(d.key for d in state.deadlines if d.status in OPEN)
        raise Refused(
            f"{cmd.deadline!r} is not an open deadline of the {state.name} (open: {keys or 'none'})."
        )
    if found.status not in OPEN:
        raise Refused(f"{found.key} is already {found.status.value}.")
    if not found.escalates:
        raise Refused(f"{found.key} is an appeal window, which cannot be waived.")
    reason = limits.text(cmd.reason, "reason", limits.TEXT, flag="--reason")
    found.status = DeadlineStatus.WAIVED
    found.waived_reason = reason
    found.met_on = ctx.today
    queue_decision(state, ctx, f"waive-{found.key}", f"the Panel waived {found.key} ({reason})")
    return Outcome(f"{found.key} waived; its escalation stops.")


@handles(c.AuditorAppoint)
def auditor_appoint(
    state: ReleaseState, actor: Actor, cmd: c.AuditorAppoint, ctx: Context
) -> Outcome:
    state.auditor = Auditor(
        name=limits.text(cmd.name, "auditor's name", limits.TITLE, flag="--name"),
        terms=limits.text(cmd.terms, "terms of reference", limits.REF, flag="--terms"),
        on=ctx.today,
    )
    return Outcome(f"External auditor {state.auditor.name} appointed.")


def learn_freezes(state: ReleaseState, freezes: list[Freeze]) -> bool:
    """Take the Panel's current freezes; True when they changed."""
    if freezes == state.freezes:
        return False
    state.freezes = list(freezes)
    return True


def freeze_warnings(state: ReleaseState) -> list[str]:
    """A go-live date that a later freeze now covers (the Panel should re-date)."""
    if is_ended(state) or is_live(state):
        return []
    hit = next((f for f in state.freezes if f.start <= state.go_live <= f.end), None)
    if hit is None:
        return []
    return [
        f"The go-live date {state.go_live.isoformat()} falls inside the change freeze from "
        f"{long_date(hit.start)} to {long_date(hit.end)} ({hit.reason}); the Panel should request a new date."
    ]
