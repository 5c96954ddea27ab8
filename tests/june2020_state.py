"""The June 2020 release's state built by the pure rules alone (no Temporal), at any moment."""

from __future__ import annotations

from datetime import datetime

from rules import appeals, pipeline
from rules.context import Context
from rules.errors import Refused
from rules.outcome import Effect, ForwardDetermination
from rules.release_calendar import plan_release
from rules.tracking import next_wake, tick
from rules.workdays import WorkingDayCalendar, bank_holidays
from schemas.state import Policy, ReleaseState, WorkingDays
from tests.june2020 import CREATED, RELEASE, SECAS, Step, all_steps


def june_2020_state(
    until: datetime, steps: list[Step] | None = None
) -> tuple[ReleaseState, list[tuple[Step, str]]]:
    """Apply the June 2020 steps up to `until`, ticking deadlines between them as the workflow does.

    Returns the state and the refused steps with their sentences (appeal windows close and
    determinations apply here as the appeal workflow would report them).
    """
    holidays = bank_holidays(2018, 2030)
    cal = WorkingDayCalendar.from_dates(holidays, 2018, 2030)
    plan = plan_release(
        RELEASE,
        go_live=None,
        release_type=None,
        ad_hoc=False,
        today=CREATED.date(),
        freezes=[],
        cal=cal,
    )
    state = pipeline.new_release(
        plan,
        actor=SECAS,
        now=CREATED,
        calendar=WorkingDays(first_year=2018, last_year=2030, holidays=holidays),
        freezes=[],
        policy=Policy(),
    )
    refused: list[tuple[Step, str]] = []
    now = CREATED
    for step in steps if steps is not None else all_steps():
        if step.at > until:
            break
        now = _run_until(state, now, step.at)
        try:
            outcome = pipeline.apply(state, step.actor, step.command, Context(step.at))
        except Refused as exc:
            refused.append((step, exc.sentence))
            continue
        for effect in outcome.effects:
            _simulate(state, effect, Context(step.at))
    _run_until(state, now, until)
    return state, refused


def _run_until(state: ReleaseState, now: datetime, until: datetime) -> datetime:
    from schemas.state import AppealStatus

    tick(state, now)
    while (wake := next_wake(state, now)) is not None and wake <= until:
        now = wake
        tick(state, now)
        for window in state.appeals:  # the appeal window's close, as its workflow reports it
            if window.status is AppealStatus.OPEN and now.date() > window.closes_on:
                status = AppealStatus.REFERRED if window.appeals else AppealStatus.UNCHALLENGED
                appeals.apply_appeal_outcome(state, window.version, status, "", Context(now))
    return until


def _simulate(state: ReleaseState, effect: Effect, ctx: Context) -> None:
    from rules.tracking import refresh_deadlines
    from schemas.state import AppealStatus

    if isinstance(effect, ForwardDetermination):
        status = AppealStatus.UPHELD if effect.upheld else AppealStatus.OVERTURNED
        appeals.apply_appeal_outcome(state, effect.version, status, effect.notes, ctx)
        refresh_deadlines(state, ctx.now)
