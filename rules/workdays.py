"""Working Days in England and Wales (SPEC section 3).

A Working Day is any day other than a Saturday, a Sunday or a bank/public holiday in England and
Wales. The holidays come from the maintained `holidays` library (GB, subdivision ENG), never a
hand-written table: for 1970 to 2130 through `rules.bank_holidays_table`, which
scripts/generate_bank_holidays.py writes from the library (a test proves they agree year by year;
reading it spares a command the library's import), and outside those years from the library
itself. A `WorkingDayCalendar` holds the holidays of a span of years as plain dates,
so a running release can keep the calendar it started with: a later library upgrade never moves a
deadline already computed (the client computes the calendar when it creates the release, and
the release keeps it in its state).
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

from rules.errors import Refused

_DAY = timedelta(days=1)


class WorkingDayCalendar(NamedTuple):
    """The bank holidays of England and Wales for `first_year`..`last_year` inclusive."""

    holidays: frozenset[date]
    first_year: int
    last_year: int

    @classmethod
    def from_dates(
        cls, holidays: Iterable[date], first_year: int, last_year: int
    ) -> WorkingDayCalendar:
        """Build a calendar from stored holiday dates (e.g. a workflow's recorded calendar)."""
        return cls(frozenset(holidays), first_year, last_year)

    def covers(self, day: date) -> bool:
        """Whether `day` falls in the years this calendar knows."""
        return self.first_year <= day.year <= self.last_year

    def _require(self, day: date) -> None:
        if not self.covers(day):
            raise Refused(
                f"{day.isoformat()} is outside the Working Day calendar this release holds "
                f"({self.first_year} to {self.last_year}); choose a date within those years."
            )

    def is_working_day(self, day: date) -> bool:
        """Whether `day` is a Working Day (not a weekend, not a bank holiday)."""
        self._require(day)
        return day.weekday() < 5 and day not in self.holidays

    def on_or_after(self, day: date) -> date:
        """`day` if it is a Working Day, else the next Working Day."""
        while not self.is_working_day(day):
            day += _DAY
        return day

    def on_or_before(self, day: date) -> date:
        """`day` if it is a Working Day, else the previous Working Day."""
        while not self.is_working_day(day):
            day -= _DAY
        return day

    def add(self, day: date, n: int) -> date:
        """The N-th Working Day after `day` (N > 0) or before it (N < 0); `day` never counts.

        10 Working Days after Friday 20 December 2019 is Wednesday 8 January 2020.
        """
        step = _DAY if n >= 0 else -_DAY
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def next_working_day(self, day: date) -> date:
        """The first Working Day strictly after `day`."""
        return self.add(day, 1)

    def count_between(self, start: date, end: date) -> int:
        """How many Working Days lie after `start` up to and including `end` (0 if end <= start)."""
        count = 0
        day = start
        while day < end:
            day += _DAY
            if self.is_working_day(day):
                count += 1
        return count

    def months_before(self, day: date, months: int) -> date:
        """A "no later than N months before" deadline: same day-of-month (clamped), else earlier.

        Go-live 25 June 2020, six months before: 25 December 2019 is Christmas Day, so the
        deadline is Tuesday 24 December 2019.
        """
        return self.on_or_before(shift_months(day, -months))

    def months_after(self, day: date, months: int) -> date:
        """A "within N months after" deadline: same day-of-month (clamped), else the next Working Day."""
        return self.on_or_after(shift_months(day, months))

    def weeks_before(self, day: date, weeks: int) -> date:
        """A "no later than N weeks before" deadline: else the previous Working Day."""
        return self.on_or_before(day - timedelta(weeks=weeks))


def shift_months(day: date, months: int) -> date:
    """The same day-of-month `months` later (negative: earlier), clamped to the month's end."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = _calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def bank_holidays(first_year: int, last_year: int) -> list[date]:
    """Bank and public holidays in England and Wales, as the `holidays` library gives them."""
    return list(_bank_holidays(first_year, last_year))


@lru_cache(maxsize=32)
def _bank_holidays(first_year: int, last_year: int) -> tuple[date, ...]:
    from rules.bank_holidays_table import DAYS, FIRST_YEAR, LAST_YEAR

    if first_year >= FIRST_YEAR and last_year <= LAST_YEAR:
        return tuple(
            date(year, int(day[:2]), int(day[3:]))
            for year in range(first_year, last_year + 1)
            for day in DAYS[year].split()
        )
    return library_bank_holidays(first_year, last_year)


def library_bank_holidays(first_year: int, last_year: int) -> tuple[date, ...]:
    """The `holidays` library's answer itself (years outside the generated table)."""
    # Imported here: the library takes a fifth of a second to load and most commands never need it.
    from holidays.countries.united_kingdom import UnitedKingdom

    years = range(first_year, last_year + 1)
    found: dict[date, str] = UnitedKingdom(subdiv="ENG", years=years)  # type: ignore[no-untyped-call]
    return tuple(sorted(found))


@lru_cache(maxsize=32)
def england_and_wales(first_year: int, last_year: int) -> WorkingDayCalendar:
    """The Working Day calendar of England and Wales for a span of years."""
    return WorkingDayCalendar.from_dates(
        bank_holidays(first_year, last_year), first_year, last_year
    )


def calendar_around(*days: date, before: int = 2, after: int = 3) -> WorkingDayCalendar:
    """A calendar wide enough for deadlines computed around `days` (for the offline commands)."""
    return england_and_wales(min(d.year for d in days) - before, max(d.year for d in days) + after)
