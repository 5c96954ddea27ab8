"""What the pure rules cost the workflow per update, without Temporal: the validator
(`rules.lifecycle.validate`, which applies the command to a deep copy of the state) beside
applying the same command once, and the work the main loop repeats on every wake.

The state is a System release after the 20 commands of `throughput.twenty_commands`, as the
throughput benchmark leaves it; the command timed is the 20th (`risk add`). Also timed: other
ways of copying the state that give the validator the same independent copy, to show what the
copy costs. Each figure is the best of 5 repeats of a loop, in ms per call.

    .venv/bin/python bench/rules_cost.py
"""

from __future__ import annotations

import copy
import timeit
from collections.abc import Callable
from datetime import date

import benchlib
from throughput import twenty_commands

from rules import lifecycle
from rules.context import Context
from rules.escalation import london
from rules.phase import phase
from rules.release_calendar import ReleasePlan, ReleaseType, release_name
from rules.status import build_status, has_lapsed, owing_roles
from rules.tracking import next_wake, tick
from rules.workdays import bank_holidays
from schemas.state import Policy, ReleaseState, WorkingDays

GO_LIVE = date(2029, 1, 3)
NOW = london(date(2026, 11, 25), 10)


def ms(call: Callable[[], object], number: int = 200) -> float:
    return 1000 * min(timeit.repeat(call, number=number, repeat=5)) / number


def release_after_twenty() -> ReleaseState:
    first, last = NOW.year - 1, GO_LIVE.year + 10  # as `Deployment.create_release` holds it
    calendar = WorkingDays(first_year=first, last_year=last, holidays=bank_holidays(first, last))
    plan = ReleasePlan(
        GO_LIVE.isoformat(), release_name(GO_LIVE), ReleaseType.SYSTEM, GO_LIVE, True
    )
    actor, _ = twenty_commands(GO_LIVE)[0]
    state = lifecycle.new_release(
        plan, actor=actor, now=NOW, calendar=calendar, freezes=[], policy=Policy()
    )
    for who, command in twenty_commands(GO_LIVE)[:-1]:
        lifecycle.apply(state, who, command, Context(NOW))
    return state


def main() -> None:
    state = release_after_twenty()
    ctx = Context(NOW)
    actor, command = twenty_commands(GO_LIVE)[-1]
    copy_deep = ms(lambda: state.model_copy(deep=True))
    validate = ms(lambda: lifecycle.validate(state, actor, command, ctx))
    apply_once = (
        ms(lambda: lifecycle.apply(state.model_copy(deep=True), actor, command, ctx)) - copy_deep
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
            "create_release: bank_holidays (12 years, uncached)",
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
    benchlib.write_result(
        "rules_cost",
        validate,
        apply_once,
        "ms",
        figure="rules.lifecycle.validate per update (apply to a deep copy)",
        baseline_is="rules.lifecycle.apply of the same command, once",
        state_json_bytes=size,
        ms_per_call={name.strip(): round(t, 4) for name, t in rows},
    )


if __name__ == "__main__":
    main()
