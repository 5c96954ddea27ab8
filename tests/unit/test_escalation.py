"""When reminders and escalations go out (SPEC section 4, Escalation)."""

from datetime import date, datetime, time, timedelta

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
        (date(2019, 7, 17), "escalation", 4),
    ]
    # The August bank holiday (26 August 2019) pushes a step to Thursday 29th.
    assert (date(2019, 8, 29), "escalation", 10) in escalations
    assert escalations[-1] == (date(2019, 10, 10), "escalation", 16)


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


def test_a_deadline_already_past_at_creation_escalates_at_once_then_keeps_the_schedule() -> None:
    created = london(date(2019, 7, 1), 14)
    sends = escalation_schedule(
        SCOPE_SYSTEM_DUE, POLICY, CAL, since=created, until=date(2019, 7, 18)
    )
    assert [(s.at, s.level) for s in sends] == [
        (created, 1),
        (london(date(2019, 7, 3), 9), 2),
        (london(date(2019, 7, 10), 9), 3),
        (london(date(2019, 7, 17), 9), 4),
    ]
    assert all(s.kind is SendKind.ESCALATION for s in sends)


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
    sends = escalation_schedule(due, POLICY, CAL, resolved=resolved)
    levels = [s.level for s in sends if s.kind is SendKind.ESCALATION]
    assert levels == list(range(1, len(levels) + 1))
    assert all(s.day < resolved for s in sends)
    assert [s.at for s in sends] == sorted(s.at for s in sends)
