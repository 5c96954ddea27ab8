"""The deadlines of a release (SPEC section 4), G being the current go-live date.

The dates are minimums (the latest a step may happen); a release may plan earlier dates in its
RID timetable. Months and weeks before G fall back to the previous Working Day; months after G
move to the next Working Day; Working Day counts never include the day counted from.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import NamedTuple

from rules.workdays import WorkingDayCalendar, calendar_around, shift_months
from schemas.vocabulary import ReleaseType, Role


class DeadlineKey(StrEnum):
    """The fixed deadlines; per-item ones add a suffix (`approval_notice:SECMP0062`)."""

    SCOPE_SYSTEM = "scope_system"
    SCOPE_DOCS = "scope_docs"
    NOTICE_12M = "notice_12m"
    NOTICE_6M = "notice_6m"
    NOTICE_1M = "notice_1m"
    TAD_TO_TAG = "tad_to_tag"
    TAD_FINAL = "tad_final"
    EVIDENCE = "evidence"
    REGRESSION_PLANS = "regression_plans"
    REGRESSION_RESULTS = "regression_results"
    APPROVAL_NOTICE = "approval_notice"
    APPEAL_WINDOW = "appeal_window"
    ACTUAL_COSTS = "actual_costs"
    SPEND_UPDATE = "spend_update"


class DeadlineSpec(NamedTuple):
    """A deadline as the rules compute it: key, due date, who must act and what they owe."""

    key: str
    due: date
    who: tuple[Role, ...]
    what: str


WHAT: dict[DeadlineKey, tuple[tuple[Role, ...], str]] = {
    DeadlineKey.SCOPE_SYSTEM: ((Role.PANEL,), "baseline the RID (v1.0) with the system scope"),
    DeadlineKey.SCOPE_DOCS: ((Role.PANEL,), "baseline the RID including documentation-only scope"),
    DeadlineKey.NOTICE_12M: ((Role.SECAS,), "send the 12-month notice of scope and cut-off dates"),
    DeadlineKey.NOTICE_6M: ((Role.SECAS,), "send the 6-month notice of scope and cut-off dates"),
    DeadlineKey.NOTICE_1M: ((Role.SECAS,), "send the one-month notice of imminent go-live"),
    DeadlineKey.TAD_TO_TAG: ((Role.DCC,), "issue the draft TAD to the TAG"),
    DeadlineKey.TAD_FINAL: (
        (Role.DCC, Role.PANEL),
        "finalise the TAD and incorporate it into the RID",
    ),
    DeadlineKey.EVIDENCE: ((Role.DCC,), "submit the testing and operational go-live evidence"),
    DeadlineKey.REGRESSION_PLANS: ((Role.PARTY,), "tell the DCC your regression testing plans"),
    DeadlineKey.REGRESSION_RESULTS: ((Role.PARTY,), "give the DCC your regression testing results"),
    DeadlineKey.APPROVAL_NOTICE: ((Role.SECAS,), "notify Parties of the approval and its date"),
    DeadlineKey.APPEAL_WINDOW: ((Role.PARTY,), "lodge any appeal against the RID approval"),
    DeadlineKey.ACTUAL_COSTS: ((Role.DCC,), "present the actual cost report with variances"),
    DeadlineKey.SPEND_UPDATE: ((Role.DCC,), "give the Panel a spend update"),
}

SYSTEM_ONLY = frozenset(
    {
        DeadlineKey.SCOPE_SYSTEM,
        DeadlineKey.TAD_TO_TAG,
        DeadlineKey.TAD_FINAL,
        DeadlineKey.EVIDENCE,
        DeadlineKey.REGRESSION_PLANS,
        DeadlineKey.REGRESSION_RESULTS,
        DeadlineKey.ACTUAL_COSTS,
        DeadlineKey.SPEND_UPDATE,
    }
)

# The fixed deadlines in the order status shows them.
FIXED = (
    DeadlineKey.SCOPE_SYSTEM,
    DeadlineKey.NOTICE_12M,
    DeadlineKey.TAD_TO_TAG,
    DeadlineKey.SCOPE_DOCS,
    DeadlineKey.NOTICE_6M,
    DeadlineKey.TAD_FINAL,
    DeadlineKey.REGRESSION_PLANS,
    DeadlineKey.REGRESSION_RESULTS,
    DeadlineKey.EVIDENCE,
    DeadlineKey.NOTICE_1M,
    DeadlineKey.ACTUAL_COSTS,
)


def spec(key: DeadlineKey, due: date, suffix: str | None = None) -> DeadlineSpec:
    """A deadline of kind `key` due on `due`; `suffix` names the item it is for."""
    who, what = WHAT[key]
    return DeadlineSpec(f"{key.value}:{suffix}" if suffix else key.value, due, who, what)


def applies(key: DeadlineKey, release_type: ReleaseType) -> bool:
    """Whether a deadline kind applies to a release type."""
    return release_type is ReleaseType.SYSTEM or key not in SYSTEM_ONLY


def fixed_due(
    key: DeadlineKey,
    go_live: date,
    cal: WorkingDayCalendar,
    uit_start: date | None = None,
    uit_end: date | None = None,
) -> date | None:
    """The due date of one fixed deadline, or None when it cannot be dated yet."""
    match key:
        case DeadlineKey.SCOPE_SYSTEM | DeadlineKey.NOTICE_12M:
            return cal.months_before(go_live, 12)
        case DeadlineKey.TAD_TO_TAG:
            return cal.months_before(go_live, 9)
        case DeadlineKey.SCOPE_DOCS | DeadlineKey.NOTICE_6M | DeadlineKey.TAD_FINAL:
            return cal.months_before(go_live, 6)
        case DeadlineKey.NOTICE_1M:
            return cal.months_before(go_live, 1)
        case DeadlineKey.EVIDENCE:
            return cal.weeks_before(go_live, 6)
        case DeadlineKey.ACTUAL_COSTS:
            return cal.months_after(go_live, 2)
        case DeadlineKey.REGRESSION_PLANS:
            return cal.add(uit_start, -10) if uit_start else None
        case DeadlineKey.REGRESSION_RESULTS:
            return cal.add(uit_end, -5) if uit_end else None
    return None


def deadlines_for(
    go_live: date,
    release_type: ReleaseType,
    uit_start: date | None = None,
    uit_end: date | None = None,
    calendar: WorkingDayCalendar | None = None,
) -> list[DeadlineSpec]:
    """The fixed deadlines of SPEC section 4 for a go-live date, soonest first.

    UIT-relative deadlines appear only once the UIT window is known. Per-item deadlines
    (approval notices, appeal windows, spend updates) have their own functions below.
    """
    cal = calendar or calendar_around(go_live)
    out = []
    for key in FIXED:
        if not applies(key, release_type):
            continue
        due = fixed_due(key, go_live, cal, uit_start, uit_end)
        if due is not None:
            out.append(spec(key, due))
    return sorted(out, key=lambda d: (d.due, FIXED.index(DeadlineKey(d.key))))


def approval_notice_due(decision: date, cal: WorkingDayCalendar) -> date:
    """Notice of a modification's approval: within one Working Day of the decision."""
    return cal.add(decision, 1)


def appeal_window_closes(published: date, cal: WorkingDayCalendar) -> date:
    """The last day of the 10 Working Day appeal window after a RID approval is published."""
    return cal.add(published, 10)


def spend_update_dues(
    start: date, months: int, go_live: date, cal: WorkingDayCalendar
) -> list[date]:
    """Spend updates every `months` from `start` up to go-live (next Working Day when not one)."""
    if months < 1:
        return []
    out = []
    step = 1
    while (day := shift_months(start, months * step)) <= go_live:
        out.append(cal.on_or_after(day))
        step += 1
    return out
