"""SIT and UIT (SPEC section 5.3, System releases): start, Completion Reports, the TAG's
recommendation and the Panel's approval; the UIT window and Parties' regression testing.
"""

from __future__ import annotations

from rules import limits
from rules.context import Context
from rules.deadlines import DeadlineKey
from rules.errors import Refused
from rules.guards import date_in_calendar, system_only
from rules.outcome import Outcome
from rules.registry import handles
from rules.timetable import record_actual
from rules.tracking import calendar_of, meet
from schemas import commands as c
from schemas.base import Actor
from schemas.state import Recommendation, ReleaseState, Submission, TestPhase


def _phase_of(state: ReleaseState, kind: str) -> tuple[str, TestPhase]:
    name = kind.split("_", 1)[0]
    return name.upper(), state.sit if name == "sit" else state.uit


@handles(c.PhaseStart)
def phase_start(state: ReleaseState, actor: Actor, cmd: c.PhaseStart, ctx: Context) -> Outcome:
    name, test = _phase_of(state, cmd.kind)
    system_only(state, f"start {name}")
    if test.started_on is not None:
        raise Refused(f"{name} already started on {test.started_on.isoformat()}.")
    if name == "UIT":
        if test.planned_start is None:
            raise Refused(
                "Plan the UIT window first (uit plan --start DATE --end DATE); it dates the regression deadlines."
            )
        if state.sit.report is None:
            raise Refused(
                "UIT starts after SIT: the DCC has not submitted the SIT Completion Report (sit report)."
            )
        if ctx.careful_panel and ctx.today < test.planned_start:
            raise Refused(
                f"The UIT window is planned to open on {test.planned_start.isoformat()}; UIT "
                "cannot start before it. To start earlier, the DCC re-plans the window first "
                "(uit plan --start DATE --end DATE), which moves the regression deadlines too."
            )
    if cmd.planned_end is not None:
        if cmd.planned_end < ctx.today:
            raise Refused(f"The planned end {cmd.planned_end} is before today ({ctx.today}).")
        test.planned_end = cmd.planned_end
    test.started_on = ctx.today
    record_actual(state, f"{name.lower()}_start", ctx.today)
    return Outcome(f"{name} started.")


@handles(c.PhaseReport)
def phase_report(state: ReleaseState, actor: Actor, cmd: c.PhaseReport, ctx: Context) -> Outcome:
    name, test = _phase_of(state, cmd.kind)
    system_only(state, f"report on {name}")
    if test.started_on is None:
        raise Refused(
            f"{name} has not started ({name.lower()} start); its Completion Report comes after."
        )
    if name == "UIT" and test.closed_on is None:
        raise Refused("The UIT window is still open; close it first (uit close).")
    if test.approved_on is not None:
        raise Refused(
            f"The Panel already approved the {name} Completion Report on {test.approved_on.isoformat()}."
        )
    doc = limits.text(cmd.doc, "document reference", limits.REF, flag="--doc")
    test.report = Submission(doc=doc, on=ctx.today, by=str(actor))
    test.recommendation = None
    record_actual(state, f"{name.lower()}_report", ctx.today)
    return Outcome(f"{name} Completion Report {doc} submitted; the TAG recommends next.")


@handles(c.PhaseRecommend)
def phase_recommend(
    state: ReleaseState, actor: Actor, cmd: c.PhaseRecommend, ctx: Context
) -> Outcome:
    name, test = _phase_of(state, cmd.kind)
    system_only(state, f"recommend on {name}")
    if test.report is None:
        raise Refused(
            f"There is no {name} Completion Report to recommend on; the DCC submits it first ({name.lower()} report)."
        )
    comments = limits.text(cmd.comments, "comments", limits.TEXT, flag="--comments")
    test.recommendation = Recommendation(
        favourable=cmd.approve, comments=comments, on=ctx.today, by=str(actor)
    )
    if name == "SIT":
        record_actual(state, "sit_recommend", ctx.today)
    return Outcome(
        f"The TAG recommends {'approving' if cmd.approve else 'rejecting'} the {name} Completion Report."
    )


@handles(c.PhaseApprove)
def phase_approve(state: ReleaseState, actor: Actor, cmd: c.PhaseApprove, ctx: Context) -> Outcome:
    name, test = _phase_of(state, cmd.kind)
    system_only(state, f"approve {name}")
    if test.approved_on is not None:
        raise Refused(
            f"The {name} Completion Report was already approved on {test.approved_on.isoformat()}."
        )
    if test.report is None:
        raise Refused(
            f"There is no {name} Completion Report to approve; the DCC submits it first ({name.lower()} report)."
        )
    tag = test.recommendation
    go_live_tag = state.recommendations.get("TAG") if name == "UIT" else None
    if go_live_tag is None:
        if tag is None:
            alternative = (
                " or its go-live recommendation (recommend --group TAG)" if name == "UIT" else ""
            )
            raise Refused(
                f"The TAG has not recommended on the {name} Completion Report ({name.lower()} recommend){alternative}."
            )
        if not tag.favourable:
            raise Refused(
                f"The TAG recommended rejecting the {name} Completion Report; the DCC submits a new report."
            )
    test.approved_on = ctx.today
    record_actual(state, f"{name.lower()}_approve", ctx.today)
    return Outcome(f"The Panel approved the {name} Completion Report.")


@handles(c.UitPlan)
def uit_plan(state: ReleaseState, actor: Actor, cmd: c.UitPlan, ctx: Context) -> Outcome:
    system_only(state, "plan UIT")
    if state.uit.started_on is not None:
        raise Refused(
            f"UIT started on {state.uit.started_on.isoformat()}; its window can no longer be planned."
        )
    if cmd.end <= cmd.start:
        raise Refused(
            f"The UIT window must end after it starts; {cmd.end} is not after {cmd.start}."
        )
    if cmd.end > state.go_live:
        raise Refused(
            f"The UIT window must end before go-live ({state.go_live.isoformat()}); {cmd.end} is after."
        )
    for day in (cmd.start, cmd.end):
        date_in_calendar(state, day, "UIT date")
    state.uit.planned_start, state.uit.planned_end = cmd.start, cmd.end
    cal = calendar_of(state)
    return Outcome(
        f"UIT planned from {cmd.start.isoformat()} to {cmd.end.isoformat()}: regression plans due "
        f"{cal.add(cmd.start, -10).isoformat()}, results due {cal.add(cmd.end, -5).isoformat()}."
    )


@handles(c.UitClose)
def uit_close(state: ReleaseState, actor: Actor, cmd: c.UitClose, ctx: Context) -> Outcome:
    system_only(state, "close UIT")
    if state.uit.started_on is None:
        raise Refused("UIT has not started (uit start); the window closes after it starts.")
    if state.uit.closed_on is not None:
        raise Refused(f"The UIT window already closed on {state.uit.closed_on.isoformat()}.")
    state.uit.closed_on = ctx.today
    record_actual(state, "uit_close", ctx.today)
    return Outcome("The UIT window is closed; the DCC's UIT Completion Report comes next.")


@handles(c.Regression)
def regression(state: ReleaseState, actor: Actor, cmd: c.Regression, ctx: Context) -> Outcome:
    system_only(state, "file regression testing")
    doc = limits.text(cmd.doc, "document reference", limits.REF, flag="--doc")
    if cmd.kind == "regression_plans":
        if state.uit.planned_start is None:
            raise Refused(
                "The DCC has not planned the UIT window yet (uit plan); regression plans follow it."
            )
        target = state.regression_plans
        key, what = DeadlineKey.REGRESSION_PLANS.value, "plans"
    else:
        if state.uit.started_on is None:
            raise Refused("UIT has not started (uit start); regression results come during UIT.")
        target = state.regression_results
        key, what = DeadlineKey.REGRESSION_RESULTS.value, "results"
    if len(target) >= limits.MAX_SUBMISSIONS:
        raise Refused(f"Too many regression {what} for one release.")
    target.append(Submission(doc=doc, on=ctx.today, by=str(actor)))
    met = meet(state, key, ctx.today)
    record_actual(state, key, ctx.today)
    return Outcome(f"Regression testing {what} {doc} filed" + (f"; meets {key}." if met else "."))
