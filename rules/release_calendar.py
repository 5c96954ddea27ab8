"""The release calendar (SPEC section 2): scheduled and ad hoc releases, names, ids, freezes."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, NamedTuple

from rules.errors import Refused
from rules.workdays import WorkingDayCalendar
from schemas.vocabulary import ReleaseType

if TYPE_CHECKING:
    from schemas.state import Freeze

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

# month -> (week rule, type): February last Thursday (documentation), June last Thursday
# (system), November first Thursday (system).
SCHEDULE: dict[int, tuple[str, ReleaseType]] = {
    2: ("last", ReleaseType.DOCUMENTATION),
    6: ("last", ReleaseType.SYSTEM),
    11: ("first", ReleaseType.SYSTEM),
}

_THURSDAY = 3
# An ad hoc id may carry a letter: the second release going live on the same day is `-b`.
_ID = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2})(?:-([b-z]))?)?$")
SAME_DAY_LETTERS = "bcdefghijklmnopqrstuvwxyz"


class ScheduledRelease(NamedTuple):
    """One scheduled release of a year with its scope cut-offs."""

    id: str
    name: str
    type: ReleaseType
    go_live: date
    scope_system_cutoff: date | None
    scope_docs_cutoff: date


class ReleasePlan(NamedTuple):
    """What `release create` will create, once every rule has agreed."""

    id: str
    name: str
    type: ReleaseType
    go_live: date
    ad_hoc: bool


def long_date(day: date) -> str:
    """A date as the seeds write it: `25 June 2020`."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def first_thursday(year: int, month: int) -> date:
    day = date(year, month, 1)
    return day + timedelta(days=(_THURSDAY - day.weekday()) % 7)


def last_thursday(year: int, month: int) -> date:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    day = nxt - timedelta(days=1)
    return day - timedelta(days=(day.weekday() - _THURSDAY) % 7)


def scheduled_go_live(year: int, month: int) -> date:
    """The go-live date of the scheduled release of `month` (2, 6 or 11) in `year`."""
    rule, _ = SCHEDULE[month]
    return first_thursday(year, month) if rule == "first" else last_thursday(year, month)


def release_name(go_live: date) -> str:
    """ "June 2020 SEC Release": month and year of go-live."""
    return f"{MONTHS[go_live.month - 1]} {go_live.year} SEC Release"


def release_id(go_live: date, *, ad_hoc: bool = False) -> str:
    """`2020-06` for a scheduled release, `2020-03-12` for an ad hoc one."""
    return go_live.isoformat() if ad_hoc else go_live.strftime("%Y-%m")


def same_day_ids(plan: ReleasePlan) -> list[ReleasePlan]:
    """The plan and, for an ad hoc release, the ids it may take if its day's id is taken.

    Two ad hoc releases may go live on the same day: the first is `2026-11-30`, the second
    `2026-11-30-b`, then `-c`, ... A scheduled id, or an ad hoc id given with its letter, is the
    one id asked for.
    """
    if not plan.ad_hoc or len(plan.id) != len("YYYY-MM-DD"):
        return [plan]
    return [plan] + [
        ReleasePlan(f"{plan.id}-{letter}", plan.name, plan.type, plan.go_live, ad_hoc=True)
        for letter in SAME_DAY_LETTERS
    ]


def scope_cutoffs(
    go_live: date, release_type: ReleaseType, cal: WorkingDayCalendar
) -> tuple[date | None, date]:
    """The system-scope (12 months) and documentation-scope (6 months) cut-offs."""
    system = cal.months_before(go_live, 12) if release_type is ReleaseType.SYSTEM else None
    return system, cal.months_before(go_live, 6)


def scheduled_releases(year: int, cal: WorkingDayCalendar) -> list[ScheduledRelease]:
    """The three scheduled releases of `year`, in date order."""
    out = []
    for month, (_, kind) in sorted(SCHEDULE.items()):
        go_live = scheduled_go_live(year, month)
        system_cutoff, docs_cutoff = scope_cutoffs(go_live, kind, cal)
        out.append(
            ScheduledRelease(
                id=release_id(go_live),
                name=release_name(go_live),
                type=kind,
                go_live=go_live,
                scope_system_cutoff=system_cutoff,
                scope_docs_cutoff=docs_cutoff,
            )
        )
    return out


def freeze_containing(day: date, freezes: list[Freeze]) -> Freeze | None:
    """The first freeze that `day` falls in, if any."""
    return next((f for f in freezes if f.start <= day <= f.end), None)


def inside_freeze(freeze: Freeze, go_lives: list[tuple[str, date]]) -> str | None:
    """Which releases go live inside `freeze`, as `freeze add` says it (None: none do).

    "2027-06 (go-live 24 June 2027) falls inside it", or "A (...) and B (...) fall inside it".
    """
    inside = sorted(
        (release_id, day) for release_id, day in go_lives if freeze.start <= day <= freeze.end
    )
    if not inside:
        return None
    named = [f"{release_id} (go-live {long_date(day)})" for release_id, day in inside]
    listed = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    return f"{listed} {'falls' if len(named) == 1 else 'fall'} inside it"


def check_go_live(day: date, freezes: list[Freeze], cal: WorkingDayCalendar, today: date) -> None:
    """Refuse a go-live date that is past, not a Working Day, or inside a change freeze."""
    if day < today:
        raise Refused(
            f"The go-live date {day.isoformat()} is in the past (today is {today.isoformat()}); "
            "choose a date from today on."
        )
    if not cal.is_working_day(day):
        raise Refused(
            f"The go-live date {day.isoformat()} is not a Working Day in England and Wales; "
            f"the next Working Day is {cal.on_or_after(day).isoformat()}."
        )
    freeze = freeze_containing(day, freezes)
    if freeze is not None:
        after = cal.on_or_after(freeze.end + timedelta(days=1))
        raise Refused(
            f"The go-live date {day.isoformat()} falls inside {describe_freeze(freeze)}; "
            f"choose a date before {freeze.start.isoformat()} or from {after.isoformat()}."
        )


def check_freeze(start: date, end: date, reason: str) -> Freeze:
    """A new freeze, refused if its dates are reversed or it has no reason."""
    if end < start:
        raise Refused(
            f"A change freeze must end on or after it starts; {end.isoformat()} is before "
            f"{start.isoformat()}."
        )
    if not reason.strip():
        raise Refused("A change freeze needs a reason (--reason), as the Panel consults on it.")
    from schemas.state import Freeze  # here: the offline commands never build one

    return Freeze(start=start, end=end, reason=reason.strip())


def describe_freeze(freeze: Freeze) -> str:
    """`the change freeze from 1 June 2020 to 30 June 2020 (Summer freeze)`."""
    return (
        f"the change freeze from {long_date(freeze.start)} to {long_date(freeze.end)} "
        f"({freeze.reason})"
    )


def id_refusal(rid: str, *, ad_hoc: bool = False) -> str | None:
    """Why `release create RID` is refused for its id alone (its shape and month), or None.

    The dates (past, Working Day, freezes) are checked by `plan_release` against today.
    """
    match = _ID.match(rid)
    if not match:
        return (
            f"{rid!r} is not a release id; use YYYY-MM for a scheduled release (e.g. 2020-06) "
            "or YYYY-MM-DD for an ad hoc one (e.g. 2020-03-12)."
        )
    month = int(match[2])
    if not 1 <= month <= 12:
        return f"{rid!r} names month {month:02d}, which does not exist."
    if match[3] is not None:
        return None
    if ad_hoc:
        return (
            f"An ad hoc release id carries its go-live day (e.g. {rid}-12); {rid!r} is a "
            "scheduled release id."
        )
    if month not in SCHEDULE:
        return (
            f"{rid} is not a scheduled release (they go live in February, June and November); "
            f"for an ad hoc release use its go-live day as the id, e.g. {rid}-16, with --ad-hoc."
        )
    return None


def no_such_release(rid: str) -> str:
    """The sentence for an id no release has: how to find the releases, and how to create this
    one only when `release create` would take its id."""
    found = f"There is no release {rid!r}; `sec-release list` shows the releases"
    why_not = id_refusal(rid)
    if why_not is None:
        return f"{found}, and `sec-release release create {rid} ...` creates one."
    return f"{found}. No release can be created under that id: {why_not}"


def plan_release(
    rid: str,
    *,
    go_live: date | None,
    release_type: ReleaseType | None,
    ad_hoc: bool,
    today: date,
    freezes: list[Freeze],
    cal: WorkingDayCalendar,
) -> ReleasePlan:
    """Check a `release create` request against the calendar rules and say what it creates."""
    refusal = id_refusal(rid, ad_hoc=ad_hoc)
    if refusal is not None:
        raise Refused(refusal)
    match = _ID.match(rid)
    assert match is not None  # id_refusal checked the shape
    year, month = int(match[1]), int(match[2])
    if match[3] is not None:
        return _plan_ad_hoc(rid, go_live, release_type, today, freezes, cal)
    _, scheduled_type = SCHEDULE[month]
    day = go_live or scheduled_go_live(year, month)
    if (day.year, day.month) != (year, month):
        raise Refused(
            f"The {MONTHS[month - 1]} {year} release goes live in {MONTHS[month - 1]} {year}, "
            f"not on {day.isoformat()}; create it with its own date and re-date it later, or "
            "create an ad hoc release."
        )
    kind = release_type or scheduled_type
    if scheduled_type is ReleaseType.DOCUMENTATION and kind is ReleaseType.SYSTEM:
        raise Refused(
            "The February release is a Documentation release; a system-impacting release in "
            "February must be an ad hoc release (YYYY-MM-DD id, --ad-hoc)."
        )
    check_go_live(day, freezes, cal, today)
    return ReleasePlan(rid, release_name(day), kind, day, ad_hoc=False)


def _plan_ad_hoc(
    rid: str,
    go_live: date | None,
    release_type: ReleaseType | None,
    today: date,
    freezes: list[Freeze],
    cal: WorkingDayCalendar,
) -> ReleasePlan:
    try:
        day = date.fromisoformat(rid[: len("YYYY-MM-DD")])
    except ValueError:
        raise Refused(
            f"{rid!r} is not a real date, so it cannot be an ad hoc release id."
        ) from None
    if go_live is not None and go_live != day:
        raise Refused(
            f"An ad hoc release's id is its go-live day: {rid} goes live on "
            f"{day.isoformat()}, not {go_live.isoformat()}."
        )
    if release_type is None:
        raise Refused("An ad hoc release needs its type: --type system or --type documentation.")
    check_go_live(day, freezes, cal, today)
    return ReleasePlan(rid, release_name(day), release_type, day, ad_hoc=True)
