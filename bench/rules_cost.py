"""What the pure rules cost the workflow, without Temporal: per update, the validator
(`rules.pipeline.validate`, which applies the command to a deep copy of the state) beside
applying the same command once, and the work the main loop repeats on every wake; then, for a
release whose deadlines are left to escalate (the June 2020 release created on 9 May 2019 and
never acted on, to 30 September 2020, as `bench/scenarios/june-2020-release-only.yaml`), what
each wake costs as its escalation levels climb.

The state is a System release after the 20 commands of `throughput.twenty_commands`, as the
throughput benchmark leaves it; the command timed is the 20th (`risk add`). Also timed: other
ways of copying the state that give the validator the same independent copy, to show what the
copy costs. Each figure is the best of 5 repeats of a loop, in ms per call.

    .venv/bin/python bench/rules_cost.py
"""

from __future__ import annotations

import copy
import time
import timeit
from collections.abc import Callable, Iterator
from datetime import date, datetime
from functools import partial

import benchlib
from throughput import twenty_commands

from rules import pipeline
from rules.clock import lapse_moment, london
from rules.context import Context
from rules.escalation import (
    ScheduledSend,
    SendKind,
    iter_escalation_schedule,
)
from rules.queries import phase
from rules.release_calendar import ReleasePlan, release_name
from rules.status import build_status, has_lapsed, owing_roles
from rules.tracking import calendar_of, next_wake, policy_of, tick
from rules.workdays import WorkingDayCalendar, bank_holidays
from schemas.state import Policy, ReleaseState, WorkingDays
from schemas.vocabulary import ReleaseType

GO_LIVE = date(2029, 1, 3)
NOW = london(date(2026, 11, 25), 10)


def ms(call: Callable[[], object], number: int = 200) -> float:
    return 1000 * min(timeit.repeat(call, number=number, repeat=5)) / number


def release_after_twenty() -> ReleaseState:
    first, last = NOW.year - 1, GO_LIVE.year + 10  # as `ReleaseClient.create_release` holds it
    calendar = WorkingDays(first_year=first, last_year=last, holidays=bank_holidays(first, last))
    plan = ReleasePlan(
        GO_LIVE.isoformat(), release_name(GO_LIVE), ReleaseType.SYSTEM, GO_LIVE, True
    )
    actor, _ = twenty_commands(GO_LIVE)[0]
    state = pipeline.new_release(
        plan, actor=actor, now=NOW, calendar=calendar, freezes=[], policy=Policy()
    )
    for who, command in twenty_commands(GO_LIVE)[:-1]:
        pipeline.apply(state, who, command, Context(NOW))
    return state


def stepwise_schedule(
    due: date, policy: Policy, cal: WorkingDayCalendar, *, since: datetime | None = None
) -> Iterator[ScheduledSend]:
    """`iter_escalation_schedule` with each level's day counted on from the previous level's,
    rather than from the anchor again (the same dates: adding Working Days composes), so that
    reaching level L costs L steps instead of L * (L + 1) / 2. A proposal, checked below."""
    lapse = lapse_moment(due)
    reminder = london(cal.add(due, -policy.reminder_working_days), policy.send_hour)
    if since is None or since <= reminder:
        yield ScheduledSend(reminder, SendKind.REMINDER, None)
    elif since < lapse:
        yield ScheduledSend(since, SendKind.REMINDER, None)
    day = cal.next_working_day(due)
    level_one_at = since if since is not None and since >= lapse else london(day, policy.send_hour)
    yield ScheduledSend(level_one_at, SendKind.ESCALATION, 1)
    level = 2
    while True:
        day = cal.add(day, policy.step_working_days)
        at = london(day, policy.send_hour)
        if at > level_one_at:
            yield ScheduledSend(at, SendKind.ESCALATION, level)
            level += 1


def one_wake(state: ReleaseState, now: datetime) -> None:
    """What the workflow's main loop asks of the rules each time it wakes."""
    tick(state, now)
    next_wake(state, now)


def left_alone() -> dict[str, float]:
    """The June 2020 release never acted on: wake as the workflow does (`tick` at each
    `next_wake`) from its creation to 30 September 2020; the cost of a wake, early and late."""
    created, until = london(date(2019, 5, 9), 10), london(date(2020, 9, 30), 23)
    go_live = date(2020, 6, 25)
    calendar = WorkingDays(first_year=2018, last_year=2030, holidays=bank_holidays(2018, 2030))
    plan = ReleasePlan("2020-06", release_name(go_live), ReleaseType.SYSTEM, go_live, False)
    actor, _ = twenty_commands(GO_LIVE)[0]
    state = pipeline.new_release(
        plan, actor=actor, now=created, calendar=calendar, freezes=[], policy=Policy()
    )
    now, wakes, first_wake_ms = created, 0, 0.0
    start = time.process_time()
    while (wake := next_wake(state, now)) is not None and wake <= until:
        now = wake
        tick(state, now)
        wakes += 1
        if wakes == 1:
            first_wake_ms = ms(partial(one_wake, state, now), 20)
    total = time.process_time() - start
    last_wake_ms = ms(partial(one_wake, state, now), 5)
    # The proposal gives the same sends, level for level, as the rule as it is.
    policy, cal = policy_of(state), calendar_of(state)
    top = max(d.level for d in state.deadlines)
    deadline = max(state.deadlines, key=lambda d: d.level)
    due, since = deadline.due, deadline.since
    assert due is not None

    def first_sends(schedule: Iterator[ScheduledSend]) -> list[ScheduledSend]:
        return [send for send, _ in zip(schedule, range(top + 1), strict=False)]

    as_is = first_sends(iter_escalation_schedule(due, policy, cal, since=since))
    stepwise = first_sends(stepwise_schedule(due, policy, cal, since=since))
    assert as_is == stepwise, "the stepwise schedule differs"
    return {
        "wakes": wakes,
        "notices": len(state.notices),
        "highest_level": top,
        "lapsed_deadlines": sum(1 for d in state.deadlines if d.level > 0),
        "simulation_cpu_s": total,
        "first_wake_ms": first_wake_ms,
        "last_wake_ms": last_wake_ms,
        "schedule_to_top_as_is_ms": ms(
            lambda: first_sends(iter_escalation_schedule(due, policy, cal, since=since)),
            5,
        ),
        "schedule_to_top_stepwise_ms": ms(
            lambda: first_sends(stepwise_schedule(due, policy, cal, since=since)),
            5,
        ),
    }


def main() -> None:
    state = release_after_twenty()
    ctx = Context(NOW)
    actor, command = twenty_commands(GO_LIVE)[-1]
    copy_deep = ms(lambda: state.model_copy(deep=True))
    validate = ms(lambda: pipeline.validate(state, actor, command, ctx))
    apply_once = (
        ms(lambda: pipeline.apply(state.model_copy(deep=True), actor, command, ctx)) - copy_deep
    )
    rows: list[tuple[str, float]] = [
        ("validate (as is: apply to model_copy(deep=True))", validate),
        ("  of which model_copy(deep=True)", copy_deep),
        ("apply once (the work itself)", apply_once),
        (
            "alternative copy: model_validate(model_dump())",
            ms(lambda: ReleaseState.model_validate(state.model_dump())),
        ),
        (
            "alternative copy: model_validate_json(model_dump_json())",
            ms(lambda: ReleaseState.model_validate_json(state.model_dump_json())),
        ),
        (
            "alternative copy: deepcopy sharing the calendar",
            ms(lambda: copy.deepcopy(state, {id(state.calendar): state.calendar})),
        ),
        ("main loop: tick", ms(lambda: tick(state, NOW))),
        ("main loop: next_wake", ms(lambda: next_wake(state, NOW))),
        (
            "main loop: search attributes (phase, lapsed, owes)",
            ms(lambda: (phase(state, ctx.today), has_lapsed(state), owing_roles(state, NOW))),
        ),
        ("status query: build_status", ms(lambda: build_status(state, NOW))),
        (
            "create_release: bank_holidays (12 years)",
            ms(lambda: bank_holidays(NOW.year - 1, GO_LIVE.year + 10), 5),
        ),
    ]
    size = len(state.model_dump_json())
    print(f"state after {len(state.audit)} audit entries: {size:,} bytes of JSON")
    print(benchlib.table(["rule", "ms per call"], [[name, f"{t:.3f}"] for name, t in rows]))
    print(
        f"the validator's copy is {100 * copy_deep / validate:.0f}% of its time and "
        f"{copy_deep / apply_once:.0f}x the work it guards"
    )
    alone = left_alone()
    print()
    print(
        f"June 2020 left alone from 9 May 2019 to 30 September 2020: {alone['wakes']} wakes, "
        f"{alone['notices']} notices, {alone['lapsed_deadlines']} deadlines escalating, up to "
        f"level {alone['highest_level']}; {alone['simulation_cpu_s']:.1f} s of CPU in the rules"
    )
    print(
        benchlib.table(
            ["per wake (tick + next_wake)", "ms"],
            [
                ["first wake", f"{alone['first_wake_ms']:.3f}"],
                ["last wake", f"{alone['last_wake_ms']:.3f}"],
                [
                    f"one deadline's schedule to level {alone['highest_level']}, as is",
                    f"{alone['schedule_to_top_as_is_ms']:.3f}",
                ],
                [
                    "the same, each level counted from the previous (same dates)",
                    f"{alone['schedule_to_top_stepwise_ms']:.3f}",
                ],
            ],
        )
    )
    benchlib.write_result(
        "rules_cost",
        validate,
        apply_once,
        "ms",
        figure="rules.pipeline.validate per update (apply to a deep copy)",
        baseline_is="rules.pipeline.apply of the same command, once",
        state_json_bytes=size,
        ms_per_call={name.strip(): round(t, 4) for name, t in rows},
        left_alone={k: round(v, 4) for k, v in alone.items()},
    )


if __name__ == "__main__":
    main()
