"""Checks that several parts of the lifecycle share: each refuses with a sentence or passes.

Dates not in the future, System-only work, the frozen RID, work before go-live, a modification
in scope, amounts in pounds, dates the release's calendar covers.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from rules.context import Context
from rules.costs import check_gbp
from rules.errors import Refused
from rules.queries import Phase, is_system, phase
from rules.rid import check_not_frozen
from rules.tracking import calendar_of
from schemas.state import Modification, ModStatus, ReleaseState

MOD_ID = re.compile(r"^[A-Z][A-Z0-9_-]{1,19}$")


def not_future(day: date, what: str, ctx: Context) -> date:
    """The day, unless it is after today (things are recorded once they happen)."""
    if day > ctx.today:
        raise Refused(
            f"The {what} {day.isoformat()} is in the future (today is {ctx.today.isoformat()}); "
            "record it on or after the day it happens."
        )
    return day


def system_only(state: ReleaseState, what: str) -> None:
    """Refuse TAD and testing work on a Documentation release."""
    if not is_system(state):
        raise Refused(
            f"The {state.name} is a Documentation release, which has no TAD or testing, so you "
            f"cannot {what}."
        )


def not_frozen(state: ReleaseState, what: str) -> None:
    """Refuse a change to the RID's content once the one-month notice froze it."""
    check_not_frozen(state.rid_frozen_on is not None, what)


def not_yet_live(state: ReleaseState, what: str, ctx: Context) -> None:
    """Refuse work that belongs before go-live once the release is live."""
    if phase(state, ctx.today) in (Phase.LIVE, Phase.POST_LIVE_REVIEW):
        raise Refused(f"The {state.name} is already live, so you cannot {what}.")


def scoped_mod(state: ReleaseState, mod_id: str) -> Modification:
    """The modification in the release's scope (not removed), or a refusal naming the ones in it."""
    wanted = mod_id.strip().upper()
    if not wanted:
        raise Refused("Name the modification, e.g. SECMP0062.")
    found = next(
        (m for m in state.modifications if m.id == wanted and m.status is not ModStatus.REMOVED),
        None,
    )
    if found is None:
        in_scope = ", ".join(m.id for m in state.modifications if m.status is not ModStatus.REMOVED)
        shown = wanted if MOD_ID.match(wanted) else repr(mod_id[:40])
        raise Refused(
            f"{shown} is not in the scope of the {state.name} (in scope: {in_scope or 'none'})."
        )
    return found


def money(value: Decimal, what: str) -> Decimal:
    """An amount in pounds and pence, or a refusal naming what it was for."""
    return check_gbp(value, f"{what} {value}")


def date_in_calendar(state: ReleaseState, day: date, what: str) -> None:
    """Refuse a date outside the years the release's Working Day calendar covers."""
    if not calendar_of(state).covers(day):
        cal = state.calendar
        raise Refused(
            f"The {what} {day.isoformat()} is outside the years this release's calendar covers "
            f"({cal.first_year} to {cal.last_year})."
        )
