"""A release's deadlines and planned dates as an iCalendar file (RFC 5545).

One all-day event per deadline that has a due date, one per planned timetable date, and one for
the go-live date. UIDs are stable (`<release id>-<deadline key>@sec-release`,
`<release id>-planned-<event>@sec-release`, `<release id>-go-live@sec-release`), so importing
the file again after a re-date moves the events rather than duplicating them; SEQUENCE is the
deadline's cycle (it rises with each re-date), which Outlook reads as "this is an update".

The `icalendar` library writes the file (escaping, folding at 75 octets, CRLFs); this module
only decides which events there are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event, vText

from rules.release_calendar import long_date
from rules.timetable import EVENTS
from schemas.state import Deadline, DeadlineStatus, ReleaseState
from schemas.vocabulary import ReleaseType

PRODID = "-//SECAS//sec-release documents//EN"
DOMAIN = "sec-release"
_UID_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class CalendarEvent:
    """One all-day event of the calendar."""

    uid: str
    day: date
    summary: str
    description: str
    category: str  # Deadline, Planned or Go-live: what kind of date this is
    sequence: int = 0


def render_ics(state: ReleaseState, now: datetime) -> str:
    """The release's deadlines, planned timetable and go-live date as an iCalendar file.

    Args:
        state: the release's state (read only).
        now: the business time of the export (DTSTAMP).

    Returns:
        The file's text: CRLF line endings, long lines folded, text values escaped.
    """
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    # An X- property is not known to be TEXT, so it would go out unescaped.
    calendar.add("X-WR-CALNAME", vText(state.name))
    calendar.add("X-WR-TIMEZONE", "Europe/London")
    stamp = now.astimezone(UTC).replace(microsecond=0)
    for event in calendar_events(state):
        vevent = Event()
        vevent.add("UID", event.uid)
        vevent.add("DTSTAMP", stamp)
        # A `date` (not a datetime) makes an all-day event: VALUE=DATE, DTEND the day after.
        vevent.add("DTSTART", event.day)
        vevent.add("DTEND", event.day + timedelta(days=1))
        vevent.add("SUMMARY", event.summary)
        vevent.add("DESCRIPTION", event.description)
        vevent.add("CATEGORIES", [event.category])
        vevent.add("SEQUENCE", event.sequence)
        vevent.add("TRANSP", "TRANSPARENT")
        calendar.add_component(vevent)
    ical: bytes = calendar.to_ical()  # icalendar leaves its return type open
    return ical.decode("utf-8")


def uid(release_id: str, *parts: str) -> str:
    """A stable UID: the same release and key give the same UID, whatever the date."""
    name = "-".join(_UID_UNSAFE.sub("-", p) for p in (release_id, *parts))
    return f"{name}@{DOMAIN}"


def calendar_events(state: ReleaseState) -> list[CalendarEvent]:
    """Every event of the release's calendar, soonest first."""
    events = [_deadline_event(state, d) for d in state.deadlines if _dated(d)]
    system = state.type is ReleaseType.SYSTEM
    for ev in EVENTS:
        planned = state.timetable.get(ev.key)
        # The go-live event below carries the current go-live date; the RID's planned one may
        # predate a re-date.
        if planned is None or ev.key == "go_live" or (ev.system_only and not system):
            continue
        happened = state.actual.get(ev.key)
        events.append(
            CalendarEvent(
                uid=uid(state.id, "planned", ev.key),
                day=planned,
                summary=f"Planned: {ev.label} ({state.name})",
                description=f"Planned in the RID timetable of the {state.name}."
                + (f" It happened on {long_date(happened)}." if happened else ""),
                category="Planned",
            )
        )
    redates = sum(1 for r in state.redates if r.approved_on is not None)
    events.append(
        CalendarEvent(
            uid=uid(state.id, "go-live"),
            day=state.go_live,
            summary=f"Go-live: {state.name}",
            description=f"The {state.name} goes live on {long_date(state.go_live)}."
            + (
                f" Originally planned for {long_date(state.original_go_live)}."
                if state.original_go_live != state.go_live
                else ""
            ),
            category="Go-live",
            sequence=redates,
        )
    )
    return sorted(events, key=lambda e: (e.day, e.category, e.uid))


def _dated(d: Deadline) -> bool:
    return d.due is not None and d.status is not DeadlineStatus.NOT_APPLICABLE


def _deadline_event(state: ReleaseState, d: Deadline) -> CalendarEvent:
    assert d.due is not None  # filtered by _dated
    who = ", ".join(r.value for r in d.who)
    return CalendarEvent(
        uid=uid(state.id, d.key),
        day=d.due,
        summary=f"Deadline: {who}: {d.what} ({state.name})",
        description=f"{d.key}: {who} must {d.what} by {long_date(d.due)}. Status: {_status(d)}.",
        category="Deadline",
        sequence=d.cycle,
    )


def _status(d: Deadline) -> str:
    match d.status:
        case DeadlineStatus.MET if d.met_on is not None:
            late = " (late)" if d.due is not None and d.met_on > d.due else ""
            return f"met on {long_date(d.met_on)}{late}"
        case DeadlineStatus.WAIVED:
            return f"waived ({d.waived_reason})" if d.waived_reason else "waived"
        case DeadlineStatus.LAPSED:
            return f"lapsed, escalation level {d.level}"
    return d.status.value.replace("_", " ")
