"""The Release Implementation Document (RID), laid out as the June 2020 RID v3.0 (seeds/004).

`render_rid` is a pure function of a release's state: `rid_view` computes what the document
shows (through the rules: timeline, deadlines, costs), the templates only lay it out.
`version="2.0"` shows the RID as it stood at that version: its content comes from the version's
snapshot, and the record around it (what happened, costs reported, the TAD) is cut at its date.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from documents.render import render
from rules.costs import LINE_LABELS, summarise, variances
from rules.deadlines import deadlines_for
from rules.errors import Refused
from rules.release_calendar import long_date
from rules.timetable import TimelineRow, timeline
from rules.tracking import calendar_of
from schemas.state import (
    AppealStatus,
    AppealWindow,
    CostReport,
    Costs,
    Criterion,
    Deadline,
    DeadlineStatus,
    Modification,
    ModStatus,
    ReleaseState,
    RidEntry,
    RidSnapshot,
    Submission,
    Tad,
    TestPhase,
)
from schemas.vocabulary import PARTY_CATEGORIES, CostLine, ReleaseType

# The names the SEC gives the documents the June 2020 RID lists; a document the release names
# otherwise is shown as named.
SEC_DOCUMENT_TITLES = {
    "Section A": "Definitions and Interpretation",
    "Section C": "Governance",
    "Section D": "Modification Process",
    "Section G": "Security",
    "Section H": "DCC Services",
    "Section L": "Smart Metering Key Infrastructure and DCC Key Infrastructure",
    "Appendix E": "DCC User Interface Services Schedule",
    "Appendix AB": "Service Request Processing Document",
    "Appendix AH": "Self Service Interface Access Control Specification",
}

# The "Notes" column of the June 2020 RID's timetable, by timetable event.
TIMETABLE_NOTES = {
    "baseline_system": "The Panel will review the RID for DCC System-impacting modifications "
    "(including modifications targeted but not approved) and baseline the document.",
    "baseline_docs": "The Panel will review the RID for non-DCC System-impacting modifications "
    "(including modifications targeted but not approved) and re-baseline the document to "
    "include these.",
    "tad_consult": "The DCC will consult the industry on the draft TAD.",
    "tad_updated": "The TAD will be updated to account for comments provided by the TAG and from "
    "the consultation.",
    "tad_recommend": "The TAG will provide a view to the Panel on whether this document is "
    "suitable for use.",
    "tad_incorporate": "The Panel will review the TAD and incorporate it into the RID.",
    "sit_recommend": "The TAG will provide a recommendation to the Panel on whether SIT has been "
    "completed successfully.",
    "regression_plans": "By 10 Working Days before UIT begins",
    "regression_results": "By five Working Days before UIT completion",
    "tag_recommend": "The TAG will provide a recommendation to the Panel on whether UIT has been "
    "completed successfully and on whether the release should be implemented as planned.",
    "opsg_recommend": "The Operations Group will provide a recommendation to the Panel on whether "
    "the release should be implemented as planned.",
    "readiness": "SECAS will confirm that it is ready to implement the changes to the SEC.",
    "vote": "The Panel will review the status of the release against the acceptance criteria and "
    "will determine if the release should be implemented as planned.",
    "go_live": "The changes are implemented.",
}

CRITERIA_GROUPS = (
    ("operational", "Operational acceptance criteria"),
    ("testing", "Testing acceptance criteria"),
    ("panel", "Further acceptance criteria set by the Panel"),
)

GLOSSARY = (
    ("CSC", "Change Sub-Committee"),
    ("DCC", "Data Communication Company"),
    ("OPSG", "Operations Group"),
    ("PIT", "Pre-Integration Testing"),
    ("RID", "Release Implementation Document"),
    ("SEC", "Smart Energy Code"),
    ("SECAS", "Smart Energy Code Administrator and Secretariat"),
    ("SIT", "System Integration Testing"),
    ("TABASC", "Technical Architecture and Business Architecture Sub-Committee"),
    ("TAD", "Testing Approach Document"),
    ("TAG", "Testing Advisory Group"),
    ("UIT", "User Integration Testing"),
)

_DOC_NAME = re.compile(r"^(Section|Appendix) ([A-Z]{1,3})\b")


@dataclass(frozen=True)
class HistoryRow:
    """One line of the version history."""

    version: str
    on: date
    kind: str
    note: str
    status: str
    revoked: bool


@dataclass(frozen=True)
class MatrixRow:
    label: str
    ticks: list[bool]


@dataclass(frozen=True)
class TimetableLine:
    """A timetable row: planned vs minimum vs actual, with the RID's note."""

    row: TimelineRow
    note: str


@dataclass(frozen=True)
class TadStep:
    step: str
    on: str  # a date or a date range, already written out ("" when not yet)
    detail: str


@dataclass(frozen=True)
class PhaseRow:
    name: str
    planned: str
    started: date | None
    closed: date | None
    report: Submission | None
    recommendation: str
    approved: date | None


@dataclass(frozen=True)
class CostRow:
    label: str
    amounts: list[Decimal | None]
    total: Decimal


@dataclass(frozen=True)
class SpendRow:
    on: date
    amount: Decimal
    commentary: str


@dataclass(frozen=True)
class VarianceRow:
    label: str
    breakdown: Decimal | None
    forecast: Decimal | None
    actual: Decimal | None
    against_forecast: Decimal | None
    against_breakdown: Decimal | None


@dataclass(frozen=True)
class CostsView:
    quoted_total: Decimal | None
    lines: list[str]
    rows: list[CostRow]
    line_totals: list[Decimal]
    total: Decimal
    discrepancy: Decimal | None
    operational: bool
    forecast: CostReport | None
    forecast_total: Decimal | None
    spend: list[SpendRow]
    period_months: int | None
    actual: CostReport | None
    actual_total: Decimal | None
    variances: list[VarianceRow]


@dataclass(frozen=True)
class CriteriaGroup:
    title: str
    criteria: list[Criterion]


@dataclass(frozen=True)
class RidView:
    """Everything the RID shows, computed; the templates only lay it out."""

    release_id: str
    name: str
    system: bool
    go_live: date
    version: str
    version_kind: str
    version_on: date | None
    as_of_version: bool
    now: datetime
    history: list[HistoryRow]
    approved: list[Modification]
    targeted: list[Modification]
    removed: list[Modification]
    scope_system_cutoff: date | None
    scope_docs_cutoff: date | None
    categories: Sequence[str]
    impact_rows: list[MatrixRow]
    document_columns: list[str]
    documents: list[str]
    document_rows: list[MatrixRow]
    timetable: list[TimetableLine]
    deadlines: list[Deadline]
    tad: Tad
    tad_steps: list[TadStep]
    phases: list[PhaseRow]
    regression_plans: list[Submission]
    regression_results: list[Submission]
    costs: CostsView
    criteria: list[CriteriaGroup]
    glossary: Sequence[tuple[str, str]] = field(default=GLOSSARY)


def render_rid(
    state: ReleaseState, now: datetime, *, fmt: str = "md", version: str | None = None
) -> str:
    """The Release Implementation Document of `state` as Markdown (`fmt="md"`) or HTML.

    Args:
        state: the release's state (read only).
        now: the business time the document is generated at; it is shown on the document,
            and everything else comes from the state's record.
        fmt: "md" or "html".
        version: a RID version (e.g. "2.0") to show the RID as it stood then; None for the RID
            as it stands now.

    Raises:
        Refused: an unknown format, or a version the RID never had (the sentence lists them).
    """
    return render("rid", fmt, rid=rid_view(state, now, version))


def rid_view(state: ReleaseState, now: datetime, version: str | None = None) -> RidView:
    """What the RID shows, now or as it stood at `version`."""
    if version is None:
        return _view(state, now, _current_content(state), state.rid_history, None)
    entry, index = find_version(state, version)
    if entry.snapshot is None:
        raise Refused(
            f"RID version {entry.version} of the {state.name} was recorded without its content, "
            "so it cannot be shown as it stood; show the current RID instead."
        )
    return _view(state, now, entry.snapshot, state.rid_history[: index + 1], entry.on)


def find_version(state: ReleaseState, version: str) -> tuple[RidEntry, int]:
    """The history entry of `version` (the latest, should a version recur) and its position."""
    wanted = version.strip()
    for index in range(len(state.rid_history) - 1, -1, -1):
        if state.rid_history[index].version == wanted:
            return state.rid_history[index], index
    known = ", ".join(dict.fromkeys(e.version for e in state.rid_history))
    if not known:
        raise Refused(f"The RID of the {state.name} has no versions yet, so {wanted!r} is unknown.")
    raise Refused(
        f"The RID of the {state.name} has no version {wanted!r}; its versions are {known}."
    )


def _current_content(state: ReleaseState) -> RidSnapshot:
    return RidSnapshot(
        go_live=state.go_live,
        modifications=state.modifications,
        timetable=state.timetable,
        criteria=state.criteria,
        quoted_total=state.costs.quoted_total,
        tad_incorporated_on=state.tad.incorporated_on,
    )


def _on_or_before(day: date | None, upto: date | None) -> bool:
    return day is not None and (upto is None or day <= upto)


def _view(
    state: ReleaseState,
    now: datetime,
    content: RidSnapshot,
    entries: list[RidEntry],
    upto: date | None,
) -> RidView:
    system = state.type is ReleaseType.SYSTEM
    mods = content.modifications
    in_scope = [m for m in mods if m.status is not ModStatus.REMOVED]
    minimums = _minimums(state, content, upto)
    last = entries[-1] if entries else None
    documents = _sorted_documents({d for m in in_scope for d in m.documents})
    tad = _tad_as_of(state.tad, content.tad_incorporated_on, upto)
    return RidView(
        release_id=state.id,
        name=state.name,
        system=system,
        go_live=content.go_live,
        version=last.version if last else state.rid_version,
        version_kind=last.kind if last else "none",
        version_on=last.on if last else None,
        as_of_version=upto is not None,
        now=now,
        history=[_history_row(state, e, current=upto is None) for e in entries],
        approved=[m for m in in_scope if m.status is ModStatus.APPROVED],
        targeted=[m for m in in_scope if m.status is ModStatus.TARGETED],
        removed=[m for m in mods if m.status is ModStatus.REMOVED],
        scope_system_cutoff=minimums.get("scope_system"),
        scope_docs_cutoff=minimums.get("scope_docs"),
        categories=PARTY_CATEGORIES,
        impact_rows=[MatrixRow(m.id, [c in m.impacts for c in PARTY_CATEGORIES]) for m in in_scope],
        document_columns=[m.id for m in in_scope],
        documents=[_document_title(d) for d in documents],
        document_rows=[MatrixRow(d, [d in m.documents for m in in_scope]) for d in documents],
        timetable=[
            TimetableLine(row, TIMETABLE_NOTES.get(row.key, ""))
            for row in timeline(
                system=system,
                planned=content.timetable,
                minimums=minimums,
                actual={k: v for k, v in state.actual.items() if _on_or_before(v, upto)},
            )
            # A System release's readiness is the TAG and OPSG recommendations: SECAS never
            # confirms it (rules.go_no_go.readiness_confirm refuses), so the row would stay blank.
            if not (system and row.key == "readiness")
        ],
        deadlines=[] if upto is not None else _dated_deadlines(state),
        tad=tad,
        tad_steps=_tad_steps(tad, minimums) if system else [],
        phases=_phases(state, upto) if system else [],
        regression_plans=[s for s in state.regression_plans if _on_or_before(s.on, upto)],
        regression_results=[s for s in state.regression_results if _on_or_before(s.on, upto)],
        costs=_costs(in_scope, content.quoted_total, state.costs, upto),
        criteria=[
            CriteriaGroup(title, [c for c in content.criteria if c.group == group])
            for group, title in CRITERIA_GROUPS
            if any(c.group == group for c in content.criteria)
        ],
    )


def _minimums(state: ReleaseState, content: RidSnapshot, upto: date | None) -> dict[str, date]:
    """The minimum (deadline) dates the timetable compares with, by deadline key."""
    if upto is None:
        dues = {
            d.key: d.due
            for d in state.deadlines
            if d.due is not None and d.status is not DeadlineStatus.NOT_APPLICABLE
        }
    else:  # as the deadlines stood for that version's go-live date
        specs = deadlines_for(content.go_live, state.type, calendar=calendar_of(state))
        dues = {s.key: s.due for s in specs}
    dues["go_live"] = content.go_live
    return dues


def _dated_deadlines(state: ReleaseState) -> list[Deadline]:
    return [
        d
        for d in state.deadlines
        if d.due is not None and d.status is not DeadlineStatus.NOT_APPLICABLE
    ]


def _history_row(state: ReleaseState, entry: RidEntry, *, current: bool) -> HistoryRow:
    if entry.kind != "baseline":
        status = "Draft"
    else:
        status = f"Baseline ({entry.scope} scope)" if entry.scope else "Baseline"
        window = next((w for w in state.appeals if w.version == entry.version), None)
        if current and window is not None:
            status += f"; {_appeal_words(window)}"
    if entry.revoked:
        status = f"REVOKED: {status}"
    return HistoryRow(entry.version, entry.on, entry.kind, entry.note, status, entry.revoked)


def _appeal_words(window: AppealWindow) -> str:
    closes = long_date(window.closes_on)
    match window.status:
        case AppealStatus.OPEN:
            return f"appeal window open until {closes}"
        case AppealStatus.UNCHALLENGED:
            return f"appeal window closed unchallenged on {closes}"
        case AppealStatus.REFERRED:
            return f"{len(window.appeals)} appeal(s) referred to the Authority"
        case AppealStatus.UPHELD:
            on = f" on {long_date(window.determined_on)}" if window.determined_on else ""
            return f"appeal: the Authority upheld the approval{on}"
        case AppealStatus.OVERTURNED:
            on = f" on {long_date(window.determined_on)}" if window.determined_on else ""
            return f"appeal: the Authority overturned the approval{on}"
    return window.status.value


def _document_key(name: str) -> tuple[int, int, str]:
    """Sections first, then Appendices (A..Z before AA..), then anything else by name."""
    match = _DOC_NAME.match(name)
    if match is None:
        return (2, 0, name)
    return (0 if match[1] == "Section" else 1, len(match[2]), match[2])


def _sorted_documents(names: set[str]) -> list[str]:
    return sorted(names, key=_document_key)


def _document_title(name: str) -> str:
    title = SEC_DOCUMENT_TITLES.get(name)
    return f"{name} ‘{title}’" if title else name


def _tad_as_of(tad: Tad, incorporated_on: date | None, upto: date | None) -> Tad:
    if upto is None:
        return tad
    consulted = _on_or_before(tad.consultation_from, upto)
    return Tad(
        submissions=[s for s in tad.submissions if s.on <= upto],
        reviews=[r for r in tad.reviews if r.on <= upto],
        consultation_from=tad.consultation_from if consulted else None,
        consultation_to=tad.consultation_to if consulted else None,
        recommendation=tad.recommendation
        if tad.recommendation is not None and tad.recommendation.on <= upto
        else None,
        incorporated_on=incorporated_on,
    )


def _not_yet(minimums: Mapping[str, date], key: str) -> str:
    due = minimums.get(key)
    return f"not yet (due by {long_date(due)})" if due else "not yet"


def _tad_steps(tad: Tad, minimums: Mapping[str, date]) -> list[TadStep]:
    drafts = [s for s in tad.submissions if not s.updated]
    updates = [s for s in tad.submissions if s.updated]
    steps = [
        TadStep(
            "DCC submits draft SEC Release TAD",
            long_date(drafts[0].on) if drafts else "",
            drafts[0].doc if drafts else _not_yet(minimums, "tad_to_tag"),
        )
    ]
    steps += [
        TadStep("TAG reviews draft SEC Release TAD", long_date(r.on), r.comments)
        for r in tad.reviews
    ] or [TadStep("TAG reviews draft SEC Release TAD", "", "not yet")]
    if tad.consultation_from and tad.consultation_to:
        span = f"{long_date(tad.consultation_from)} to {long_date(tad.consultation_to)}"
        steps.append(TadStep("DCC consults on draft SEC Release TAD", span, ""))
    else:
        steps.append(TadStep("DCC consults on draft SEC Release TAD", "", "not yet"))
    steps += [
        TadStep("DCC submits updated SEC Release TAD", long_date(s.on), s.doc) for s in updates
    ] or [TadStep("DCC submits updated SEC Release TAD", "", "not yet")]
    rec = tad.recommendation
    if rec is not None:
        verdict = "Suitable for use" if rec.favourable else "Not suitable"
        detail = f"{verdict}: {rec.comments}" if rec.comments else verdict
        steps.append(TadStep("TAG reviews updated SEC Release TAD", long_date(rec.on), detail))
    else:
        steps.append(TadStep("TAG reviews updated SEC Release TAD", "", "not yet"))
    if tad.incorporated_on is not None:
        steps.append(
            TadStep(
                "Panel reviews SEC Release TAD and incorporates it into the RID",
                long_date(tad.incorporated_on),
                "Incorporated as Annex A",
            )
        )
    else:
        steps.append(
            TadStep(
                "Panel reviews SEC Release TAD and incorporates it into the RID",
                "",
                _not_yet(minimums, "tad_final"),
            )
        )
    return steps


def _phase_row(name: str, test: TestPhase, upto: date | None, tag_go_live: str) -> PhaseRow:
    planned = ""
    if test.planned_start and test.planned_end and upto is None:
        planned = f"{long_date(test.planned_start)} to {long_date(test.planned_end)}"
    rec = test.recommendation
    recommendation = ""
    if rec is not None and _on_or_before(rec.on, upto):
        verdict = "approve" if rec.favourable else "reject"
        recommendation = f"{long_date(rec.on)}: {verdict}" + (
            f" ({rec.comments})" if rec.comments else ""
        )
    elif tag_go_live:
        recommendation = tag_go_live
    report = (
        test.report if test.report is not None and _on_or_before(test.report.on, upto) else None
    )
    return PhaseRow(
        name=name,
        planned=planned,
        started=test.started_on if _on_or_before(test.started_on, upto) else None,
        closed=test.closed_on if _on_or_before(test.closed_on, upto) else None,
        report=report,
        recommendation=recommendation,
        approved=test.approved_on if _on_or_before(test.approved_on, upto) else None,
    )


def _phases(state: ReleaseState, upto: date | None) -> list[PhaseRow]:
    # The TAG's go-live recommendation also covers the UIT Completion Report (SPEC 5.3).
    tag = state.recommendations.get("TAG")
    covers_uit = ""
    if tag is not None and _on_or_before(tag.on, upto):
        covers_uit = (
            f"{long_date(tag.on)}: {'go' if tag.favourable else 'no-go'} (go-live recommendation)"
        )
    return [
        _phase_row("SIT", state.sit, upto, ""),
        _phase_row("UIT", state.uit, upto, covers_uit),
    ]


def _report_total(report: CostReport | None) -> Decimal | None:
    if report is None:
        return None
    return report.total if report.total is not None else sum(report.lines.values(), Decimal(0))


def _costs(
    mods: list[Modification], quoted: Decimal | None, costs: Costs, upto: date | None
) -> CostsView:
    costed = [m for m in mods if m.costs]
    summary = summarise({m.id: m.costs for m in costed}, quoted)
    lines = [line for line in CostLine if any(line in m.costs for m in costed)]
    forecast = costs.forecast if costs.forecast and _on_or_before(costs.forecast.on, upto) else None
    actual = costs.actual if costs.actual and _on_or_before(costs.actual.on, upto) else None
    return CostsView(
        quoted_total=quoted,
        lines=[LINE_LABELS[line] for line in lines],
        rows=[
            CostRow(m.id, [m.costs.get(line) for line in lines], summary.by_modification[m.id])
            for m in costed
        ],
        line_totals=[summary.by_line.get(line, Decimal(0)) for line in lines],
        total=summary.total,
        discrepancy=summary.discrepancy,
        operational=any(
            line in (CostLine.ONE_OFF_OPERATIONAL, CostLine.ONGOING_OPERATIONAL) for line in lines
        ),
        forecast=forecast,
        forecast_total=_report_total(forecast),
        spend=[
            SpendRow(s.on, _report_total(s) or Decimal(0), s.commentary)
            for s in costs.spend
            if _on_or_before(s.on, upto)
        ],
        period_months=costs.period_months,
        actual=actual,
        actual_total=_report_total(actual),
        variances=_variances(summary.by_line, summary.total, forecast, actual),
    )


def _variances(
    breakdown: Mapping[CostLine, Decimal],
    breakdown_total: Decimal,
    forecast: CostReport | None,
    actual: CostReport | None,
) -> list[VarianceRow]:
    """Actual costs against the forecast and against the RID's breakdown, per line and in total."""
    if actual is None:
        return []
    rows: list[VarianceRow] = []
    forecast_lines = forecast.lines if forecast else {}
    if actual.lines:
        by_forecast = variances(forecast_lines, actual.lines) if forecast_lines else {}
        by_breakdown = variances(breakdown, actual.lines)
        for line in CostLine:
            if line in actual.lines or line in breakdown or line in forecast_lines:
                rows.append(
                    VarianceRow(
                        LINE_LABELS[line],
                        breakdown.get(line),
                        forecast_lines.get(line),
                        actual.lines.get(line),
                        by_forecast.get(line),
                        by_breakdown.get(line),
                    )
                )
    actual_total = _report_total(actual)
    forecast_total = _report_total(forecast)
    assert actual_total is not None  # an actual report is here
    rows.append(
        VarianceRow(
            "Total",
            breakdown_total,
            forecast_total,
            actual_total,
            None if forecast_total is None else actual_total - forecast_total,
            actual_total - breakdown_total,
        )
    )
    return rows
