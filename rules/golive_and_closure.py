"""Go-live and closure (SPEC sections 5.3 and 5.5): deployment and the SEC text confirmed,
lessons learnt, and the Panel closing or cancelling the release.
"""

from __future__ import annotations

from rules import limits
from rules.context import Context
from rules.errors import Refused
from rules.notices import queue_decision
from rules.outcome import Outcome, ReleaseEnded
from rules.queries import close_blockers, is_live, is_system, standing_vote
from rules.registry import handles
from rules.timetable import record_actual
from rules.tracking import early_life_end
from schemas import commands as c
from schemas.base import Actor
from schemas.state import ModStatus, ReleaseState, Submission


@handles(c.GoLiveConfirm)
def golive_confirm(
    state: ReleaseState, actor: Actor, cmd: c.GoLiveConfirm, ctx: Context
) -> Outcome:
    current = standing_vote(state)
    if current is None or not current.go:
        raise Refused(
            "The Panel has not approved go-live (vote go); the release cannot go live yet."
        )
    if ctx.today < state.go_live:
        raise Refused(
            f"Go-live is on {state.go_live.isoformat()}; confirm it on or after that day."
        )
    if cmd.what == "deployed":
        if not is_system(state):
            raise Refused(
                "A Documentation release deploys nothing; SECAS confirms the SEC text (golive confirm --sec-updated)."
            )
        if state.deployed_on is not None:
            raise Refused(f"Deployment was already confirmed on {state.deployed_on.isoformat()}.")
        state.deployed_on = ctx.today
        what = "The DCC confirmed deployment"
    else:
        if state.sec_updated_on is not None:
            raise Refused(
                f"The SEC text update was already confirmed on {state.sec_updated_on.isoformat()}."
            )
        state.sec_updated_on = ctx.today
        what = "SECAS confirmed the SEC text was updated"
    if is_live(state):
        record_actual(state, "go_live", ctx.today)
        review = early_life_end(state)
        return Outcome(
            f"{what}; the release is LIVE (early-life monitoring to {review.isoformat() if review else '?'})."
        )
    return Outcome(f"{what}.")


@handles(c.LessonsSubmit)
def lessons_submit(
    state: ReleaseState, actor: Actor, cmd: c.LessonsSubmit, ctx: Context
) -> Outcome:
    if not is_live(state):
        raise Refused(
            f"Lessons learnt come after go-live (from {state.go_live.isoformat()}, once the release is live)."
        )
    doc = limits.text(cmd.doc, "document reference", limits.REF, flag="--doc")
    state.lessons = Submission(doc=doc, on=ctx.today, by=str(actor))
    return Outcome(f"Lessons learnt {doc} submitted.")


@handles(c.ReleaseEnd)
def release_end(state: ReleaseState, actor: Actor, cmd: c.ReleaseEnd, ctx: Context) -> Outcome:
    reason = limits.text(cmd.reason, "reason", limits.TEXT, flag="--reason", required=False)
    if cmd.kind == "release_cancel":
        if is_live(state):
            raise Refused("The release is live; it can be closed after review, not cancelled.")
        state.cancelled_on = ctx.today
        state.end_reason = reason
        for mod in state.modifications:
            if mod.status is not ModStatus.REMOVED:
                mod.status = ModStatus.REMOVED
                mod.removed_reason = "release cancelled: unallocated"
        queue_decision(
            state,
            ctx,
            "cancel",
            f"the Panel cancelled the release{f' ({reason})' if reason else ''}; its modifications return to unallocated",
        )
        return Outcome(
            "The release is cancelled; its modifications return to unallocated.", [ReleaseEnded()]
        )
    if not is_live(state):
        raise Refused(
            "The release has not gone live; the Panel closes it after go-live and review (or cancels it)."
        )
    review = early_life_end(state)
    if review is not None and ctx.today < review:
        raise Refused(
            f"Early-life monitoring runs until {review.isoformat()}; the release review and closing come after."
        )
    missing = close_blockers(state)
    if missing:
        raise Refused(f"The release cannot close yet: it still needs {' and '.join(missing)}.")
    state.closed_on = ctx.today
    state.end_reason = reason
    queue_decision(state, ctx, "close", "the Panel closed the release")
    return Outcome("The release is closed; its full record stays available.", [ReleaseEnded()])
