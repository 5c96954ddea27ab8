"""Working Days in England and Wales (SPEC section 3)."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.errors import Refused
from rules.workdays import WorkingDayCalendar, england_and_wales, shift_months

CAL = england_and_wales(2015, 2035)
days = st.dates(min_value=date(2017, 1, 1), max_value=date(2033, 12, 31))
counts = st.integers(min_value=0, max_value=400)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2019, 12, 20), 10, date(2020, 1, 8)),  # Christmas, Boxing Day, New Year's Day
        (date(2020, 5, 1), 5, date(2020, 5, 11)),  # VE Day moved the May bank holiday to Friday 8th
        (date(2020, 4, 9), 1, date(2020, 4, 14)),  # Good Friday and Easter Monday
        (date(2022, 9, 16), 1, date(2022, 9, 20)),  # the State Funeral of Queen Elizabeth II
        (date(2020, 1, 8), -10, date(2019, 12, 20)),
        (date(2020, 6, 25), 0, date(2020, 6, 25)),
    ],
)
def test_adding_working_days_matches_the_published_examples(
    start: date, n: int, expected: date
) -> None:
    assert CAL.add(start, n) == expected


def test_bank_holidays_come_from_the_library_including_one_off_days() -> None:
    assert not CAL.is_working_day(date(2022, 9, 19))  # State Funeral
    assert not CAL.is_working_day(date(2023, 5, 8))  # Coronation
    assert not CAL.is_working_day(date(2019, 12, 25))
    assert not CAL.is_working_day(date(2020, 4, 10))  # Good Friday
    assert not CAL.is_working_day(date(2020, 12, 28))  # Boxing Day (observed)
    assert CAL.is_working_day(date(2020, 5, 4))  # the usual May bank holiday moved that year


def test_months_before_falls_back_to_the_previous_working_day() -> None:
    # 25 December 2019 is Christmas Day: six months before 25 June 2020 is the 24th.
    assert CAL.months_before(date(2020, 6, 25), 6) == date(2019, 12, 24)
    # 25 May 2020 is the Spring bank holiday: one month before go-live is Friday 22 May.
    assert CAL.months_before(date(2020, 6, 25), 1) == date(2020, 5, 22)
    # 31 March minus one month clamps to 29 February 2020 (a Saturday), then back to Friday.
    assert CAL.months_before(date(2020, 3, 31), 1) == date(2020, 2, 28)


def test_months_after_moves_to_the_next_working_day() -> None:
    assert CAL.months_after(date(2020, 6, 25), 2) == date(2020, 8, 25)
    # 29 October + 2 months = 29 December 2020: Tuesday, a Working Day.
    assert CAL.months_after(date(2020, 10, 29), 2) == date(2020, 12, 29)
    # 26 October 2020 + 2 months = Saturday 26 December, then Boxing Day (observed) on the 28th.
    assert CAL.months_after(date(2020, 10, 26), 2) == date(2020, 12, 29)


def test_shift_months_clamps_to_the_end_of_the_month() -> None:
    assert shift_months(date(2020, 8, 31), -6) == date(2020, 2, 29)
    assert shift_months(date(2019, 8, 31), -6) == date(2019, 2, 28)
    assert shift_months(date(2020, 1, 31), 1) == date(2020, 2, 29)
    assert shift_months(date(2020, 12, 15), 1) == date(2021, 1, 15)


def test_a_date_outside_the_calendar_is_refused_with_the_years_it_knows() -> None:
    small = england_and_wales(2020, 2021)
    with pytest.raises(Refused, match=r"outside the Working Day calendar .* \(2020 to 2021\)"):
        small.is_working_day(date(2025, 1, 2))


def test_a_stored_calendar_ignores_a_later_library_change() -> None:
    # A running release keeps the dates it was given: here a calendar without the 2022 State
    # Funeral, as a release started before it was announced would hold.
    stored = WorkingDayCalendar.from_dates(
        [d for d in CAL.holidays if d != date(2022, 9, 19)], CAL.first_year, CAL.last_year
    )
    assert stored.add(date(2022, 9, 16), 1) == date(2022, 9, 19)
    assert CAL.add(date(2022, 9, 16), 1) == date(2022, 9, 20)


@given(days, counts)
@settings(max_examples=300)
def test_adding_then_subtracting_returns_a_working_day_start(start: date, n: int) -> None:
    start = CAL.on_or_after(start)
    assert CAL.add(CAL.add(start, n), -n) == start


@given(days, st.integers(min_value=1, max_value=400))
def test_adding_lands_on_a_working_day_n_working_days_away(start: date, n: int) -> None:
    end = CAL.add(start, n)
    assert CAL.is_working_day(end)
    assert CAL.count_between(start, end) == n


@given(days, st.integers(min_value=1, max_value=24))
def test_months_before_is_a_working_day_no_later_than_the_calendar_date(day: date, n: int) -> None:
    due = CAL.months_before(day, n)
    assert CAL.is_working_day(due)
    assert due <= shift_months(day, -n)
    # Nothing between the due date and the calendar date is a Working Day.
    probe = due + timedelta(days=1)
    while probe <= shift_months(day, -n):
        assert not CAL.is_working_day(probe)
        probe += timedelta(days=1)
