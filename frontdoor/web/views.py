"""What the pages show, computed from a release's status: pure functions, no I/O.

- `rag`: red when a deadline has lapsed, amber when one falls due within 10 Working Days,
  green otherwise;
- `next_deadline`: the soonest open deadline and who owes it;
- `gantt`: the geometry of the release page's chart (deadlines: due and met; the timetable:
  minimum, planned, actual; freezes; go-live and today lines), drawn by `templates/web`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from rules.workdays import WorkingDayCalendar, calendar_around
from schemas.status import DeadlineRow, PortfolioFacts, ReleaseStatus
from starter.render import timeline_rows

AMBER_WORKING_DAYS = 10
OPEN = ("pending", "lapsed")

Rag = Literal["red", "amber", "green"]


def calendar_for(today: date) -> WorkingDayCalendar:
    """England and Wales' Working Days around `today` (wide enough for 10 Working Days on)."""
    return calendar_around(today, before=1, after=1)


Facts = ReleaseStatus | PortfolioFacts


def open_deadlines(status: Facts) -> list[DeadlineRow]:
    return [d for d in status.deadlines if d.status in OPEN and d.due is not None]


def rag(status: Facts, cal: WorkingDayCalendar, today: date | None = None) -> Rag:
    """Red: a deadline has lapsed; amber: one is due within 10 Working Days of `today` (the
    status's own day unless given); else green."""
    deadlines = open_deadlines(status)
    if any(d.status == "lapsed" for d in deadlines):
        return "red"
    today = today or status.as_of.date()
    horizon = cal.add(today, AMBER_WORKING_DAYS)
    if any(d.due is not None and d.due <= horizon for d in deadlines):
        return "amber"
    return "green"


def next_deadline(status: Facts) -> DeadlineRow | None:
    """The soonest pending deadline (lapsed ones are already shown as red)."""
    pending = [d for d in open_deadlines(status) if d.status == "pending"]
    return min(pending, key=lambda d: (d.due or date.max, d.key), default=None)


def in_freeze(status: Facts) -> str | None:
    """The reason of the freeze the go-live falls in, if it does."""
    if isinstance(status, PortfolioFacts):
        return status.freeze
    return next((f.reason for f in status.freezes if f.start <= status.go_live <= f.end), None)


# -- the Gantt chart ----------------------------------------------------------------------------

LABEL_WIDTH = 300
CHART_WIDTH = 640
ROW_HEIGHT = 22
TOP = 34


@dataclass(frozen=True)
class Mark:
    """A point on a row: x, what it is (due, met, minimum, planned, actual) and its date."""

    x: float
    kind: str
    day: date


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    kind: str  # late (due to met), lapsed (due to today), freeze


@dataclass(frozen=True)
class GanttRow:
    y: float
    label: str
    state: str  # lapsed, late, met, pending, waived, planned
    marks: tuple[Mark, ...]
    bars: tuple[Bar, ...]
    summary: str  # the row in words (its <title>)


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Gantt:
    width: int
    height: int
    label_width: int
    top: int
    rows: tuple[GanttRow, ...]
    ticks: tuple[Tick, ...]
    today_x: float | None
    go_live_x: float | None
    freezes: tuple[Bar, ...]
    first: date
    last: date


def _d(day: date | None) -> str:
    return day.isoformat() if day else "-"


def _phases(status: ReleaseStatus) -> list[tuple[str, list[tuple[str, date, date]]]]:
    """The test phases (SIT, UIT) as bars: planned start to end, and started to closed (or to
    today while running)."""
    today = status.as_of.date()
    found: list[tuple[str, list[tuple[str, date, date]]]] = []
    for label, phase in (("SIT", status.testing.sit), ("UIT", status.testing.uit)):
        spans: list[tuple[str, date, date]] = []
        if phase.planned_start and phase.planned_end:
            spans.append(("phase-planned", phase.planned_start, phase.planned_end))
        if phase.started_on:
            spans.append(("phase-actual", phase.started_on, phase.closed_on or today))
        if spans:
            found.append((f"{label} test phase", spans))
    return found


def gantt(status: ReleaseStatus) -> Gantt:
    """The chart of one release: a row per deadline, then a row per timetable event."""
    today = status.as_of.date()
    deadlines = [d for d in status.deadlines if d.due is not None and d.status != "not_applicable"]
    events = [r for r in timeline_rows(status) if r.planned or r.minimum or r.actual]
    days: list[date] = [today, status.go_live]
    for d in deadlines:
        days += [x for x in (d.due, d.met_on) if x is not None]
    for r in events:
        days += [x for x in (r.planned, r.minimum, r.actual) if x is not None]
    phases = _phases(status)
    for _label, spans in phases:
        days += [d for _kind, start, end in spans for d in (start, end)]
    windows = [(w.published_on, w.closes_on, w) for w in status.appeals]
    days += [d for start, end, _w in windows for d in (start, end)]
    first = min(days) - timedelta(days=7)
    last = max(days) + timedelta(days=7)
    span = max((last - first).days, 1)

    def x(day: date) -> float:
        return round(LABEL_WIDTH + CHART_WIDTH * (day - first).days / span, 1)

    rows: list[GanttRow] = []
    y = float(TOP)
    for d in deadlines:
        assert d.due is not None
        marks = [Mark(x(d.due), "due", d.due)]
        bars: list[Bar] = []
        if d.met_on is not None:
            marks.append(Mark(x(d.met_on), "met", d.met_on))
            if d.met_on > d.due:
                bars.append(Bar(x(d.due), x(d.met_on) - x(d.due), "late"))
        elif d.status == "lapsed" and today > d.due:
            bars.append(Bar(x(d.due), x(today) - x(d.due), "lapsed"))
        state = d.status if d.status != "met" or not d.late else "late"
        who = ", ".join(d.who)
        summary = f"{d.what or d.key}: due {_d(d.due)}, {d.status}" + (
            f" (met {_d(d.met_on)})" if d.met_on else ""
        )
        rows.append(
            GanttRow(y, d.what or d.key, state, tuple(marks), tuple(bars), f"{summary}; {who}")
        )
        y += ROW_HEIGHT
    for r in events:
        marks = [
            Mark(x(day), kind, day)
            for kind, day in (("minimum", r.minimum), ("planned", r.planned), ("actual", r.actual))
            if day is not None
        ]
        state = "late" if r.late else "planned"
        summary = (
            f"{r.label}: minimum {_d(r.minimum)}, planned {_d(r.planned)}, "
            f"actual {_d(r.actual)}" + (", late" if r.late else "")
        )
        rows.append(GanttRow(y, r.label, state, tuple(marks), (), summary))
        y += ROW_HEIGHT
    for label, spans in phases:
        bars = [Bar(x(start), max(x(end) - x(start), 2), kind) for kind, start, end in spans]
        summary = f"{label}: " + "; ".join(
            f"{'planned' if kind == 'phase-planned' else 'actual'} {start} to {end}"
            for kind, start, end in spans
        )
        rows.append(GanttRow(y, label, "phase", (), tuple(bars), summary))
        y += ROW_HEIGHT
    for start, end, w in windows:
        state = f"appeal-{w.status.value}"
        summary = (
            f"Appeal window on RID {w.version}: {start} to {end}, {w.status.value}, "
            f"{len(w.appeals)} appeal(s)"
        )
        bar = Bar(x(start), max(x(end) - x(start), 2), "appeal")
        lodged = tuple(Mark(x(a.on), "appeal", a.on) for a in w.appeals)
        rows.append(GanttRow(y, f"Appeal window, RID {w.version}", state, lodged, (bar,), summary))
        y += ROW_HEIGHT
    ticks: list[Tick] = []
    month = date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            ticks.append(Tick(x(month), f"{month:%b %Y}"))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    if len(ticks) > 12:  # keep the axis readable on a long release: every other month
        ticks = ticks[::2]
    freezes = tuple(
        Bar(x(max(f.start, first)), max(x(min(f.end, last)) - x(max(f.start, first)), 1), "freeze")
        for f in status.freezes
        if f.end >= first and f.start <= last
    )
    return Gantt(
        width=LABEL_WIDTH + CHART_WIDTH + 20,
        height=int(y) + 10,
        label_width=LABEL_WIDTH,
        top=TOP,
        rows=tuple(rows),
        ticks=tuple(ticks),
        today_x=x(today),
        go_live_x=x(status.go_live),
        freezes=freezes,
        first=first,
        last=last,
    )


# -- the year's calendar (beside the portfolio) -------------------------------------------------


@dataclass(frozen=True)
class CalendarEntry:
    """One dated thing of the year: a go-live, a scope cut-off, or a change freeze."""

    day: date
    end: date | None  # a freeze's last day
    kind: Literal["go-live", "cut-off", "freeze"]
    text: str
    release: str | None  # the release page it links to, when the release exists


@dataclass(frozen=True)
class CalendarMonth:
    label: str
    entries: tuple[CalendarEntry, ...]


def year_calendar(
    year: int, freezes: list[tuple[date, date, str]], existing: set[str]
) -> list[CalendarMonth]:
    """The scheduled releases' go-lives and scope cut-offs falling in `year` (those of the next
    two years' releases included: their cut-offs come a year early) and the Panel's freezes
    overlapping it, month by month."""
    from rules.release_calendar import scheduled_releases

    cal = calendar_around(date(year, 1, 1), before=1, after=3)
    entries: list[CalendarEntry] = []
    for y in (year, year + 1, year + 2):
        for r in scheduled_releases(y, cal):
            linked = r.id if r.id in existing else None
            if r.go_live.year == year:
                text = f"{r.name} goes live ({r.type.value})"
                entries.append(CalendarEntry(r.go_live, None, "go-live", text, linked))
            for day, what in ((r.scope_system_cutoff, "system"), (r.scope_docs_cutoff, "docs")):
                if day is not None and day.year == year:
                    text = f"{r.name}: {what} scope cut-off"
                    entries.append(CalendarEntry(day, None, "cut-off", text, linked))
    for start, end, reason in freezes:
        if start.year <= year <= end.year:
            entries.append(CalendarEntry(max(start, date(year, 1, 1)), end, "freeze", reason, None))
    months: list[CalendarMonth] = []
    for month in range(1, 13):
        inside = sorted((e for e in entries if e.day.month == month), key=lambda e: e.day)
        months.append(CalendarMonth(f"{date(year, month, 1):%B}", tuple(inside)))
    return months
