"""Releases built by the pure rules for unit tests (no Temporal)."""

from __future__ import annotations

from datetime import date, datetime

from rules import pipeline
from rules.clock import london
from rules.context import Context
from rules.release_calendar import plan_release
from rules.tracking import tick
from rules.workdays import WorkingDayCalendar, bank_holidays
from schemas import commands as c
from schemas.base import Actor
from schemas.state import Policy, ReleaseState, WorkingDays
from schemas.vocabulary import ReleaseType

HOLIDAYS = bank_holidays(2018, 2032)
CALENDAR = WorkingDays(first_year=2018, last_year=2032, holidays=HOLIDAYS)
CAL = WorkingDayCalendar.from_dates(HOLIDAYS, 2018, 2032)

SECAS = Actor.parse("SECAS:Kemp")
PANEL = Actor.parse("PANEL:Chair")
DCC = Actor.parse("DCC:Smith")
TAG = Actor.parse("TAG:Chair")
OPSG = Actor.parse("OPSG:Chair")
PARTY = Actor.parse("PARTY:Supplier A")
AUTHORITY = Actor.parse("AUTHORITY:Ofgem")


def new(
    release_id: str = "2020-06", created: datetime | None = None, kind: ReleaseType | None = None
) -> ReleaseState:
    created = created or london(date(2019, 5, 9), 10)
    plan = plan_release(
        release_id,
        go_live=None,
        release_type=kind,
        ad_hoc=False,
        today=created.date(),
        freezes=[],
        cal=CAL,
    )
    return pipeline.new_release(
        plan, actor=SECAS, now=created, calendar=CALENDAR, freezes=[], policy=Policy()
    )


def act(state: ReleaseState, when: datetime, actor: Actor, command: c.Command) -> str:
    tick(state, when)
    return pipeline.apply(state, actor, command, Context(when)).summary


def at(day: date, hour: int = 10) -> datetime:
    return london(day, hour)
