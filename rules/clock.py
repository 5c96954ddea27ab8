"""The London clock: deadlines are London dates, and sends go out at London hours (SPEC 4)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def london(day: date, hour: int = 0) -> datetime:
    """`hour`:00 on `day` in London, as an aware datetime."""
    return datetime.combine(day, time(hour), tzinfo=LONDON)


def lapse_moment(due: date) -> datetime:
    """A deadline lapses when its due day ends in London."""
    return london(due + timedelta(days=1))


def london_today(now: datetime) -> date:
    """The date in London at `now` (an aware datetime)."""
    return now.astimezone(LONDON).date()
