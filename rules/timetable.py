"""The RID's implementation timetable: planned dates beside minimum deadlines and what happened.

The events are those of the June 2020 RID's "Release implementation timetable", in its order.
SECAS plans dates for them (`timetable set`); the minimum is the SPEC section 4 deadline the
event meets, where there is one; the actual date is when the release recorded it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from rules.deadlines import DeadlineKey
from rules.errors import Refused
from schemas.state import ReleaseState


@dataclass(frozen=True)
class TimetableEvent:
    key: str
    label: str
    deadline: DeadlineKey | None
    system_only: bool
    documentation_only: bool = False

    def applies(self, system: bool) -> bool:
        """Whether the event belongs in a System (`system`) or Documentation release's timetable."""
        return not (self.system_only and not system) and not (self.documentation_only and system)


def _event(
    key: str,
    label: str,
    deadline: DeadlineKey | None = None,
    system_only: bool = True,
    documentation_only: bool = False,
) -> TimetableEvent:
    return TimetableEvent(key, label, deadline, system_only, documentation_only)


EVENTS: tuple[TimetableEvent, ...] = (
    _event(
        "baseline_system",
        "Panel baselines RID for system-impacting modifications",
        DeadlineKey.SCOPE_SYSTEM,
    ),
    _event(
        "baseline_docs",
        "Panel baselines RID for non-system-impacting modifications",
        DeadlineKey.SCOPE_DOCS,
        system_only=False,
    ),
    _event("tad_draft", "DCC submits draft SEC Release TAD", DeadlineKey.TAD_TO_TAG),
    _event("tad_review", "TAG reviews draft SEC Release TAD"),
    _event("tad_consult", "DCC consults on draft SEC Release TAD"),
    _event("tad_updated", "DCC submits updated SEC Release TAD"),
    _event("tad_recommend", "TAG reviews updated SEC Release TAD"),
    _event("tad_incorporate", "Panel reviews SEC Release TAD", DeadlineKey.TAD_FINAL),
    _event("sit_start", "SIT commences"),
    _event("sit_report", "DCC submits SIT Completion Report"),
    _event("sit_recommend", "TAG reviews SIT Completion Report"),
    _event("sit_approve", "Panel approves SIT Completion Report"),
    _event(
        "regression_plans",
        "Test Participants inform DCC of their regression testing plans",
        DeadlineKey.REGRESSION_PLANS,
    ),
    _event("uit_start", "UIT commences"),
    _event(
        "regression_results",
        "Test Participants provide regression testing results to DCC",
        DeadlineKey.REGRESSION_RESULTS,
    ),
    _event("uit_close", "UIT window closes"),
    _event(
        "uit_report",
        "DCC submits UIT Completion Report and evidence against the testing acceptance criteria",
        DeadlineKey.EVIDENCE,
    ),
    _event(
        "operational_evidence",
        "DCC submits evidence against the operational acceptance criteria",
        DeadlineKey.EVIDENCE,
    ),
    _event(
        "tag_recommend",
        "TAG reviews UIT Completion Report and status against the testing acceptance criteria",
    ),
    _event(
        "opsg_recommend",
        "Operations Group reviews status against the operational acceptance criteria",
    ),
    _event("uit_approve", "Panel approves UIT Completion Report"),
    _event("readiness", "SECAS confirms readiness", system_only=False, documentation_only=True),
    _event("vote", "Panel go/no-go decision", system_only=False),
    _event("go_live", "Release go-live", system_only=False),
)

BY_KEY = {e.key: e for e in EVENTS}


def event(key: str) -> TimetableEvent:
    """The timetable event `key`, or a refusal listing the known ones."""
    found = BY_KEY.get(key)
    if found is None:
        known = ", ".join(BY_KEY)
        raise Refused(f"{key!r} is not a timetable event; use one of {known}.")
    return found


@dataclass(frozen=True)
class TimelineRow:
    """One line of the timeline: planned vs minimum vs actual."""

    key: str
    label: str
    planned: date | None
    minimum: date | None
    actual: date | None

    @property
    def planned_after_minimum(self) -> bool:
        return self.planned is not None and self.minimum is not None and self.planned > self.minimum

    @property
    def late(self) -> bool:
        """Happened after its minimum deadline."""
        return self.actual is not None and self.minimum is not None and self.actual > self.minimum


def timeline(
    *,
    system: bool,
    planned: Mapping[str, date],
    minimums: Mapping[str, date],
    actual: Mapping[str, date],
) -> list[TimelineRow]:
    """The timetable rows of a release; `minimums` maps deadline keys to their due dates."""
    rows = []
    for ev in EVENTS:
        if not ev.applies(system):
            continue
        minimum = minimums.get(ev.deadline.value) if ev.deadline else None
        if ev.key == "go_live":
            minimum = minimums.get("go_live")
        rows.append(TimelineRow(ev.key, ev.label, planned.get(ev.key), minimum, actual.get(ev.key)))
    return rows


def record_actual(state: ReleaseState, key: str, on: date) -> None:
    """Record when a timetable event actually happened (the latest time: after a re-date,
    evidence and recommendations given again show their new dates)."""
    state.actual[key] = on
