"""When reminders and escalations go out (SPEC section 4, Escalation)."""

from datetime import date, datetime, time, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.clock import LONDON, lapse_moment, london
from rules.escalation import (
    SendKind,
    escalation_schedule,
)
from rules.workdays import england_and_wales
from schemas.state import Policy

CAL = england_and_wales(2015, 2035)
POLICY = Policy()
SCOPE_SYSTEM_DUE = date(2019, 6, 25)  # June 2020 release, G - 12 months


def days_and_levels(sends: list) -> list[tuple[date, str, int | None]]:  # type: ignore[type-arg]
    return [(s.day, s.kind.value, s.level) for s in sends]


def test_june_2020_scope_system_escalated_until_the_baseline_of_11_october_2019() -> None:
    sends = escalation_schedule(SCOPE_SYSTEM_DUE, POLICY, CAL, resolved=date(2019, 10, 11))
    assert sends[0].kind is SendKind.REMINDER
    assert sends[0].day == date(2019, 6, 18)
    escalations = days_and_levels(sends[1:])
    assert escalations[:4] == [
        (date(2019, 6, 26), "escalation", 1),
        (date(2019, 7, 3), "escalation", 2),
        (date(2019, 7, 10), "escalation", 3),
        (date(2019, 7, 17), "escalation", 3),  # the top of the ladder, again
    ]
    # The August bank holiday (26 August 2019) pushes a step to Thursday 29th.
    assert (date(2019, 8, 29), "escalation", 3) in escalations
    assert escalations[-1] == (date(2019, 10, 10), "escalation", 3)
    assert [s.tag for s in sends[1:5]] == ["L1", "L2", "L3", "L3-2"]
    assert sends[-1].tag == "L3-14"


def test_before_the_ladder_had_a_top_levels_rose_without_end() -> None:
    sends = escalation_schedule(
        SCOPE_SYSTEM_DUE, POLICY, CAL, resolved=date(2019, 10, 11), ladder=False
    )
    escalations = days_and_levels(sends[1:])
    assert escalations[3] == (date(2019, 7, 17), "escalation", 4)
    assert escalations[-1] == (date(2019, 10, 10), "escalation", 16)
    # Same days either way: only the level and the name differ, and the old name is kept.
    laddered = escalation_schedule(SCOPE_SYSTEM_DUE, POLICY, CAL, resolved=date(2019, 10, 11))
    assert [s.at for s in sends] == [s.at for s in laddered]
    assert [s.tag for s in sends] == [s.legacy_tag for s in laddered]


def test_the_top_of_the_ladder_is_configurable() -> None:
    policy = Policy(escalation_top=5)
    sends = escalation_schedule(SCOPE_SYSTEM_DUE, policy, CAL, until=date(2019, 8, 10))
    assert [s.level for s in sends[1:]] == [1, 2, 3, 4, 5, 5, 5]
    one = escalation_schedule(
        SCOPE_SYSTEM_DUE, Policy(escalation_top=1), CAL, until=date(2019, 7, 11)
    )
    assert [s.tag for s in one[1:]] == ["L1", "L1-2", "L1-3"]


def test_every_send_is_at_nine_in_london_on_a_working_day() -> None:
    sends = escalation_schedule(date(2019, 12, 24), POLICY, CAL, until=date(2020, 6, 1))
    for send in sends:
        local = send.at.astimezone(LONDON)
        assert local.time() == time(9)
        assert CAL.is_working_day(local.date())
    # British Summer Time: 09:00 London is 08:00 UTC in June, 09:00 UTC in January.
    june = escalation_schedule(SCOPE_SYSTEM_DUE, POLICY, CAL, until=date(2019, 6, 27))
    assert june[1].at.astimezone(LONDON).utcoffset() == timedelta(hours=1)


def test_a_deadline_lapses_when_its_day_ends_in_london() -> None:
    assert lapse_moment(SCOPE_SYSTEM_DUE) == datetime(2019, 6, 26, tzinfo=LONDON)


def test_nothing_goes_out_after_the_deadline_is_met() -> None:
    sends = escalation_schedule(SCOPE_SYSTEM_DUE, POLICY, CAL, resolved=date(2019, 6, 20))
    assert days_and_levels(sends) == [(date(2019, 6, 18), "reminder", None)]
    assert escalation_schedule(SCOPE_SYSTEM_DUE, POLICY, CAL, resolved=date(2019, 6, 1)) == []


def test_a_deadline_already_past_at_creation_escalates_at_once_then_every_step_after() -> None:
    created = london(date(2019, 7, 1), 14)  # a Monday
    sends = escalation_schedule(
        SCOPE_SYSTEM_DUE, POLICY, CAL, since=created, until=date(2019, 7, 23)
    )
    # Level 2 five Working Days after level 1 was sent, not the next morning.
    assert [(s.at, s.level) for s in sends] == [
        (created, 1),
        (london(date(2019, 7, 8), 9), 2),
        (london(date(2019, 7, 15), 9), 3),
        (london(date(2019, 7, 22), 9), 3),
    ]
    assert all(s.kind is SendKind.ESCALATION for s in sends)


def test_before_the_ladder_an_at_once_level_1_kept_the_schedule_of_the_original_lapse() -> None:
    created = london(date(2019, 7, 1), 14)
    sends = escalation_schedule(
        SCOPE_SYSTEM_DUE, POLICY, CAL, since=created, until=date(2019, 7, 18), ladder=False
    )
    assert [(s.at, s.level) for s in sends] == [
        (created, 1),
        (london(date(2019, 7, 3), 9), 2),
        (london(date(2019, 7, 10), 9), 3),
        (london(date(2019, 7, 17), 9), 4),
    ]


def test_a_missed_reminder_goes_out_at_once_if_the_deadline_is_still_open() -> None:
    created = london(date(2019, 6, 20), 11)
    sends = escalation_schedule(
        SCOPE_SYSTEM_DUE, POLICY, CAL, since=created, until=date(2019, 6, 27)
    )
    assert [(s.at, s.kind.value, s.level) for s in sends] == [
        (created, "reminder", None),
        (london(date(2019, 6, 26), 9), "escalation", 1),
    ]


def test_the_policy_is_configurable() -> None:
    policy = Policy(reminder_working_days=10, step_working_days=2, send_hour=8)
    sends = escalation_schedule(SCOPE_SYSTEM_DUE, policy, CAL, until=date(2019, 7, 1))
    assert [(s.day, s.level, s.at.astimezone(LONDON).hour) for s in sends] == [
        (date(2019, 6, 11), None, 8),
        (date(2019, 6, 26), 1, 8),
        (date(2019, 6, 28), 2, 8),
    ]


def test_an_open_deadline_needs_a_horizon() -> None:
    with pytest.raises(ValueError, match="escalates for ever"):
        escalation_schedule(SCOPE_SYSTEM_DUE, POLICY, CAL)


@given(
    st.dates(min_value=date(2018, 1, 1), max_value=date(2032, 12, 31)),
    st.integers(min_value=1, max_value=60),
)
def test_levels_rise_by_one_and_stop_before_resolution(due: date, after: int) -> None:
    resolved = CAL.add(due, after)
    sends = escalation_schedule(due, POLICY, CAL, resolved=resolved, ladder=False)
    levels = [s.level for s in sends if s.kind is SendKind.ESCALATION]
    assert levels == list(range(1, len(levels) + 1))
    assert all(s.day < resolved for s in sends)
    assert [s.at for s in sends] == sorted(s.at for s in sends)


@given(
    st.dates(min_value=date(2018, 1, 1), max_value=date(2032, 12, 31)),
    st.integers(min_value=1, max_value=120),
    st.integers(min_value=1, max_value=6),
    st.integers(min_value=1, max_value=10),
    st.one_of(st.none(), st.integers(min_value=0, max_value=24 * 40)),
)
def test_levels_climb_to_the_top_then_repeat_there_a_step_apart(
    due: date, after: int, top: int, step: int, late_hours: int | None
) -> None:
    policy = Policy(escalation_top=top, step_working_days=step)
    since = None if late_hours is None else lapse_moment(due) + timedelta(hours=late_hours)
    sends = escalation_schedule(due, policy, CAL, since=since, until=CAL.add(due, after + 40))
    escalations = [s for s in sends if s.kind is SendKind.ESCALATION]
    levels = [s.level for s in escalations]
    assert levels == [min(n, top) for n in range(1, len(levels) + 1)]
    tags = [s.tag for s in escalations]
    assert len(set(tags)) == len(tags)  # every send has its own notice key
    for before, later in pairwise(escalations):
        assert later.day == CAL.add(before.day, step)  # a step after the one before it was sent
        assert later.at.astimezone(LONDON).time() == time(9)


def _june_2020_release_unbaselined_until(day: date, *, ladder: bool) -> list[tuple[str, int]]:
    """The scope_system sends of a June 2020 release left unbaselined until `day`."""
    from rules.tracking import deadline, tick
    from tests.unit.release_factory import new

    state = new()
    tick(state, london(day, 10), ladder=ladder)
    found = deadline(state, "scope_system")
    assert found is not None
    return [
        (n.key.rsplit("/", 1)[1], n.level or 0) for n in state.notices if n.deadline == found.key
    ]


def test_a_release_escalates_up_to_the_top_and_again_there_with_its_own_notice_keys() -> None:
    sent = _june_2020_release_unbaselined_until(date(2019, 7, 25), ladder=True)
    assert sent == [("reminder", 0), ("L1", 1), ("L2", 2), ("L3", 3), ("L3-2", 3), ("L3-3", 3)]


def test_a_run_continuing_an_old_escalation_sends_no_slot_twice() -> None:
    from rules.tracking import tick
    from tests.unit.release_factory import new

    # Escalated to level 5 the old way, then continued as new with the ladder.
    state = new()
    tick(state, london(date(2019, 7, 25), 10), ladder=False)
    before = [n.key for n in state.notices]
    assert "2020-06/scope_system/c1/L5" in before
    tick(state, london(date(2019, 7, 25), 11), ladder=True)
    assert [n.key for n in state.notices] == before
    sent = tick(state, london(date(2019, 8, 1), 10), ladder=True)
    assert [(n.key.rsplit("/", 1)[1], n.level) for n in sent if n.deadline == "scope_system"] == [
        ("L3-4", 3)
    ]
