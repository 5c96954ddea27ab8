"""The release documents (issue 7): the RID, the go-live paper and the iCalendar export.

Golden-style: the June 2020 release is built from the seeds by the pure rules
(tests/june2020_state.py) and its documents must show what the seed RID v3.0 shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import icalendar
import pytest

from documents import render_go_live_paper, render_ics, render_rid
from documents.render import md_escape
from rules import pipeline
from rules.clock import london
from rules.context import Context
from rules.costs import format_gbp
from rules.errors import Refused
from rules.release_calendar import long_date
from schemas import commands as c
from schemas.state import DeadlineStatus, ReleaseState
from tests.june2020 import AUTHORITY, PANEL, SECAS, TIMETABLE_KEYS, TITLES
from tests.june2020_state import june_2020_state
from tests.seed_data import (
    PARTY_CATEGORIES,
    rid_cost_breakdown,
    rid_document_impacts,
    rid_participant_impacts,
    rid_quoted_total,
    rid_timetable,
    rid_version_history,
)
from tests.unit.release_factory import new as new_release_for_tests

AFTER_V3 = london(date(2020, 3, 1), 12)  # RID 3.0 baselined on 25 February 2020
BEFORE_REFUSED_GO = london(date(2020, 6, 12), 10)  # one Severity 1 defect open, test-5 not met
AFTER_GO = london(date(2020, 6, 20), 12)  # the Panel voted GO on 19 June 2020
AFTER_CLOSE = london(date(2020, 9, 30), 12)  # actual costs reported, release closed


@cache
def _state(at: datetime) -> ReleaseState:
    state, _ = june_2020_state(at)
    return state


def state_at(at: datetime) -> ReleaseState:
    """The June 2020 release at `at`: a fresh copy, so a test may change it."""
    return _state(at).model_copy(deep=True)


def table(markdown: str, header: str) -> list[list[str]]:
    """The body rows of the first Markdown table whose header row starts with `header` cells."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def section(markdown: str, start: str, end: str) -> str:
    return markdown[markdown.index(start) : markdown.index(end)]


@pytest.fixture(scope="module")
def rid() -> str:
    return render_rid(state_at(AFTER_V3), AFTER_V3)


# ---------------------------------------------------------------------------------------------
# The RID, golden against the seed RID v3.0.


def test_the_rid_shows_every_seed_modification_in_its_scope(rid: str) -> None:
    approved = section(rid, "### Approved Modification Proposals", "### Targeted")
    targeted = section(rid, "### Targeted Modification Proposals", "## 2. Impacts")
    for mod in ("SECMP0053", "SECMP0062"):
        assert f"**{mod}** ‘{TITLES[mod]}’" in approved
    for mod in ("MP079", "MP084", "MP088"):
        assert f"**{mod}** ‘{TITLES[mod]}’" in targeted
    assert "approved on 21 February 2020" in approved
    assert "version 3.0" in rid


def test_the_participant_impact_matrix_is_the_seeds(rid: str) -> None:
    rows = table(rid, "Modification")
    assert [row[0] for row in rows] == list(rid_participant_impacts())
    shown = {
        row[0]: [cat for cat, cell in zip(PARTY_CATEGORIES, row[1:], strict=True) if cell == "✓"]
        for row in rows
    }
    assert shown == rid_participant_impacts()


def test_the_document_impact_matrix_is_the_seeds(rid: str) -> None:
    header = next(line for line in rid.splitlines() if line.startswith("| Document |"))
    mods = [cell.strip() for cell in header.strip("| ").split("|")][1:]
    assert mods == ["SECMP0053", "SECMP0062", "MP079", "MP084", "MP088"]
    rows = table(rid, "Document")
    assert [row[0] for row in rows] == list(rid_document_impacts())  # the seed's order
    shown = {
        row[0]: [m for m, cell in zip(mods, row[1:], strict=True) if cell == "✓"] for row in rows
    }
    assert shown == rid_document_impacts()
    assert "- Section L ‘Smart Metering Key Infrastructure and DCC Key Infrastructure’" in rid


def test_every_dated_timetable_row_of_the_seed_is_planned_beside_its_minimum(rid: str) -> None:
    rows = table(rid, "Planned")
    by_event = {row[1]: row for row in rows}
    for seed_row in rid_timetable():
        label = next(k for k in TIMETABLE_KEYS if seed_row.text.startswith(k))
        planned, _event, _minimum, _actual, _notes = by_event[label]
        assert planned.startswith(long_date(seed_row.on)), (label, planned)
    # Planned dates beside the minimum deadlines and what happened: the late baselines.
    baseline = by_event["Panel baselines RID for system-impacting modifications"]
    assert baseline[2:4] == ["25 June 2019", "11 October 2019 (late)"]
    assert by_event["Panel baselines RID for non-system-impacting modifications"][3] == (
        "20 January 2020 (late)"
    )
    assert by_event["Release go-live"][:3] == ["25 June 2020", "Release go-live", "25 June 2020"]
    # The TAD has no planned date in the seed; its minimum still shows.
    assert by_event["DCC submits draft SEC Release TAD"][:3] == [
        "",
        "DCC submits draft SEC Release TAD",
        "25 September 2019",
    ]


def test_the_deadlines_show_lapsed_and_late_ones(rid: str) -> None:
    rows = {row[0]: row for row in table(rid, "Deadline")}
    assert rows["`scope_system`"][3:] == ["25 June 2019", "met on 11 October 2019 (late)"]
    assert rows["`tad_to_tag`"][4].startswith("lapsed (escalation level")


def test_the_version_history_runs_from_0_1_to_3_0_with_dates_and_notes(rid: str) -> None:
    rows = table(rid, "Version")
    seed = rid_version_history()
    assert [row[0] for row in rows] == [v.version for v in seed]
    for row, version in zip(rows, seed, strict=True):
        assert row[1] == long_date(version.on)
        assert row[2] == md_escape(version.note)
    statuses = {row[0]: row[3] for row in rows}
    assert statuses["0.3"] == "Draft"
    assert statuses["1.0"].startswith("Baseline (system scope); appeal window closed unchallenged")
    assert "the Authority upheld the approval on 10 February 2020" in statuses["2.0"]


def test_the_costs_show_each_line_the_computed_total_and_the_discrepancy(rid: str) -> None:
    rows = {row[0]: row for row in table(rid, "Modification | Design, Build & PIT")}
    for mod, lines in rid_cost_breakdown().items():
        assert rows[mod][1:5] == [format_gbp(amount) for amount in lines.values()]
    assert rows["SECMP0053"][5] == "£91,650"
    assert rows["SECMP0062"][5] == "£1,088,392"
    assert rows["**Total (computed)**"][5] == "**£1,180,042**"
    assert f"currently quoted as {format_gbp(rid_quoted_total())}." in rid
    totals = {row[0]: row[1] for row in table(rid, "Total")}
    assert totals == {
        "Computed from the cost lines": "£1,180,042",
        "Quoted by the DCC": "£1,120,042",
        "Discrepancy (computed minus quoted)": "**£60,000** ⚠",
    }
    assert "**Discrepancy:** the cost lines add up to £1,180,042" in rid
    assert "by £60,000" in rid


def test_actual_costs_show_their_variance_once_reported() -> None:
    rid = render_rid(state_at(AFTER_CLOSE), AFTER_CLOSE)
    assert "The DCC reported actual costs of £1,150,000 on 20 August 2020" in rid
    total = next(row for row in table(rid, "Cost line") if row[0] == "Total")
    assert total == ["Total", "£1,180,042", "", "£1,150,000", "", "-£30,042"]


def test_the_criteria_show_status_and_evidence() -> None:
    rid = render_rid(state_at(BEFORE_REFUSED_GO), BEFORE_REFUSED_GO)
    rows = {row[0]: row for row in table(rid, "#")}
    assert len(rows) == 10  # the first table: the operational criteria
    assert rows["op-1"][2:] == ["Met (5 June 2020)", "DCC-EVIDENCE-PACK"]
    testing = section(rid, "### Testing acceptance criteria", "## Glossary")
    assert "| test-5 |" in testing
    assert "| Not met |" in testing


def test_an_earlier_version_shows_the_rid_as_it_stood() -> None:
    state = state_at(AFTER_V3)
    rid = render_rid(state, AFTER_V3, version="1.0")
    assert "version 1.0" in rid
    assert "as it stood at version 1.0 (11 October 2019)" in rid
    targeted = section(rid, "### Targeted Modification Proposals", "## 2. Impacts")
    assert "**SECMP0062**" in targeted  # approved only in February 2020
    assert [row[0] for row in table(rid, "Version")] == ["0.1", "0.2", "0.3", "1.0"]
    assert "| 1.1 |" not in rid
    # Only what had happened by 11 October 2019: the system baseline, not the documentation one.
    rows = {row[1]: row for row in table(rid, "Planned")}
    assert rows["Panel baselines RID for system-impacting modifications"][3] == (
        "11 October 2019 (late)"
    )
    assert rows["Panel baselines RID for non-system-impacting modifications"][3] == ""
    assert "£1,180,042" in rid


def test_an_unknown_version_is_refused_with_the_versions_listed() -> None:
    with pytest.raises(Refused) as refused:
        render_rid(state_at(AFTER_V3), AFTER_V3, version="4.0")
    assert refused.value.sentence == (
        "The RID of the June 2020 SEC Release has no version '4.0'; "
        "its versions are 0.1, 0.2, 0.3, 1.0, 1.1, 2.0, 3.0."
    )


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(Refused, match="'pdf' is not a document format; use md or html"):
        render_rid(state_at(AFTER_V3), AFTER_V3, fmt="pdf")


def test_the_html_rid_has_the_same_content_and_prints() -> None:
    html = render_rid(state_at(AFTER_V3), AFTER_V3, fmt="html")
    assert html.startswith("<!DOCTYPE html>")
    assert "@media print" in html
    assert "<caption>Participant impact matrix</caption>" in html
    for mod in TITLES:
        assert f"<td>{mod}</td>" in html
    assert '<td class="num">£1,180,042</td>' in html
    assert "£60,000 ⚠" in html


# ---------------------------------------------------------------------------------------------
# Escaping.


def with_hostile_title(state: ReleaseState) -> ReleaseState:
    pipeline.apply(
        state,
        SECAS,
        c.ModAdd(
            mod="MP999",
            title="<script>alert(1)</script> | *bold*",
            system=False,
            documents=["Section X"],
            rationale="Panel exception for a late documentation change.",
        ),
        Context(AFTER_V3),
    )
    return state


def test_a_hostile_title_shows_as_text_in_html() -> None:
    html = render_rid(with_hostile_title(state_at(AFTER_V3)), AFTER_V3, fmt="html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; | *bold*" in html


def test_a_hostile_title_shows_as_text_in_markdown() -> None:
    rid = render_rid(with_hostile_title(state_at(AFTER_V3)), AFTER_V3)
    assert "<script>" not in rid
    assert r"‘\<script\>alert(1)\</script\> \| \*bold\*’" in rid
    # The new document row keeps the matrix rectangular.
    assert all(len(row) == 7 for row in table(rid, "Document"))


def test_markdown_escaping_keeps_words_readable() -> None:
    assert md_escape("scope_system") == "scope_system"
    assert md_escape("_x_ a|b\nc") == r"\_x\_ a\|b c"


# ---------------------------------------------------------------------------------------------
# The go-live decision paper.


def test_the_paper_before_the_refused_vote_recommends_no_go_and_names_what_is_missing() -> None:
    paper = render_go_live_paper(state_at(BEFORE_REFUSED_GO), BEFORE_REFUSED_GO)
    assert paper.startswith("# Approval to implement the June 2020 SEC Release")
    assert "The June 2020 SEC Release is due to be implemented on 25 June 2020." in paper
    assert "Recommendation: GO" not in paper
    assert "**Recommendation: NOT READY (no GO)**" in paper
    approval = section(paper, "## 6. Approval to proceed", "## 7. Recommendations")
    assert "- 1 Severity 1 defect is open\n" in approval
    assert "- acceptance criterion test-5 is neither met nor waived\n" in approval
    assert ["Severity 1", "1", "blocks go-live"] in table(paper, "Severity")
    assert "3 open against the TAD's threshold of 10 (within the threshold)" in paper
    assert "recommends **GO**: “Operationally ready.”" in paper  # the OPSG's view
    assert "recommends **GO**: “UIT complete; release may go live.”" in paper  # the TAG's
    assert table(paper, "Residual risk") == [
        [
            "Alert throttling thresholds set too low",
            "Thresholds configurable without a release",
            "OPSG accepted the mitigation",
        ]
    ]


def test_the_paper_after_the_go_vote_records_the_decision() -> None:
    paper = render_go_live_paper(state_at(AFTER_GO), AFTER_GO)
    assert "**Decision: GO**" in paper
    assert "records the Panel's decision that the SEC Release goes live" in paper
    assert (
        "The Panel AGREED on 19 June 2020 that the June 2020 SEC Release can be set live on "
        "25 June 2020." in paper
    )
    assert "requested to" not in paper
    assert "unmet" not in paper
    assert "went live" not in paper
    assert "the Panel voted **GO** on 19 June 2020" in paper
    html = render_go_live_paper(state_at(AFTER_GO), AFTER_GO, fmt="html")
    assert "<strong>Decision: GO</strong>" in html
    assert "requested to" not in html


def test_the_paper_after_go_live_says_the_release_went_live() -> None:
    paper = render_go_live_paper(state_at(AFTER_CLOSE), AFTER_CLOSE)
    assert "The June 2020 SEC Release went live on 25 June 2020. Before" in paper
    assert "\nThe June 2020 SEC Release went live on 25 June 2020.\n" in paper
    assert "requested to" not in paper
    html = render_go_live_paper(state_at(AFTER_CLOSE), AFTER_CLOSE, fmt="html")
    assert "<p>The June 2020 SEC Release went live on 25 June 2020.</p>" in html


def test_the_paper_lists_earlier_no_go_votes_and_re_dates_with_their_reasons() -> None:
    state = state_at(BEFORE_REFUSED_GO)
    ctx = Context(BEFORE_REFUSED_GO)
    pipeline.apply(state, PANEL, c.VoteCast(go=False, reason="Severity 1 defect open"), ctx)
    pipeline.apply(
        state,
        PANEL,
        c.RedateRequest(go_live=date(2020, 7, 30), reason="Time to fix the defect"),
        ctx,
    )
    pipeline.apply(state, AUTHORITY, c.RedateApprove(), ctx)
    paper = render_go_live_paper(state, BEFORE_REFUSED_GO)
    earlier = paper[paper.index("### Earlier decisions and re-dates") :]
    assert (
        "- 12 June 2020: the Panel voted NO-GO: Severity 1 defect open "
        "(superseded by a re-date).\n" in earlier
    )
    assert (
        "- 12 June 2020: the Panel requested to move the go-live date from 25 June 2020 to "
        "30 July 2020 (Time to fix the defect); approved by the Authority on 12 June 2020.\n"
        in earlier
    )
    assert "Decision recorded" not in paper  # the re-date superseded the NO-GO
    html = render_go_live_paper(state, BEFORE_REFUSED_GO, fmt="html")
    assert "<h3>Earlier decisions and re-dates</h3>" in html
    assert "the Panel voted NO-GO: Severity 1 defect open" in html


def test_the_html_paper_names_the_unmet_items() -> None:
    html = render_go_live_paper(state_at(BEFORE_REFUSED_GO), BEFORE_REFUSED_GO, fmt="html")
    assert '<li class="flag">1 Severity 1 defect is open</li>' in html
    assert "Recommendation: NOT READY (no GO)" in html


# ---------------------------------------------------------------------------------------------
# The iCalendar export.


@dataclass(frozen=True)
class Event:
    """A VEVENT as icalendar reads it back."""

    start: date
    summary: str
    category: str
    sequence: int


def events(ics: str) -> dict[str, Event]:
    """The events of an iCalendar file by UID, parsed by the real `icalendar` library."""
    calendar = icalendar.Calendar.from_ical(ics)
    found: dict[str, Event] = {}
    for component in calendar.walk("VEVENT"):
        e: Any = component
        found[str(e["UID"])] = Event(
            start=e.decoded("DTSTART"),
            summary=str(e["SUMMARY"]),
            category=e.decoded("CATEGORIES")[0],
            sequence=e.decoded("SEQUENCE"),
        )
    assert len(found) == len(calendar.walk("VEVENT")), "UIDs are unique"
    return found


def test_the_calendar_has_one_event_per_dated_deadline_and_each_planned_date() -> None:
    state = state_at(AFTER_V3)
    ics = render_ics(state, AFTER_V3)
    found = events(ics)
    dated = [d for d in state.deadlines if d.due and d.status is not DeadlineStatus.NOT_APPLICABLE]
    planned = [k for k in state.timetable if k != "go_live"]
    assert len(found) == len(dated) + len(planned) + 1  # and the go-live date
    for d in dated:
        event = found[f"2020-06-{d.key.replace(':', '-')}@sec-release"]
        assert type(event.start) is date  # all-day: a date, not a datetime
        assert event.start == d.due
        assert event.category == "Deadline"
    event = found["2020-06-planned-baseline_system@sec-release"]
    assert event.start == date(2019, 10, 11)
    assert event.summary.startswith("Planned: ")
    assert event.category == "Planned"
    assert found["2020-06-go-live@sec-release"].start == date(2020, 6, 25)


def test_the_calendar_is_valid_icalendar_text() -> None:
    ics = render_ics(state_at(AFTER_V3), AFTER_V3)
    assert ics.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert ics.endswith("END:VCALENDAR\r\n")
    lines = ics.split("\r\n")[:-1]
    assert all("\n" not in line and "\r" not in line for line in lines)
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines), "long lines are folded"
    assert "DTSTAMP:20200301T120000Z" in ics
    calendar = icalendar.Calendar.from_ical(ics)
    assert str(calendar["PRODID"]) == "-//SECAS//sec-release documents//EN"
    assert str(calendar["VERSION"]) == "2.0"
    summaries = [e.summary for e in events(ics).values()]
    assert (
        "Deadline: PANEL: baseline the RID (v1.0) with the system scope (June 2020 SEC Release)"
        in summaries
    )


def test_a_re_date_moves_the_events_under_the_same_uids() -> None:
    state = state_at(AFTER_V3)
    before = events(render_ics(state, AFTER_V3))
    pipeline.apply(
        state,
        PANEL,
        c.RedateRequest(go_live=date(2020, 7, 2), reason="SIT environment late."),
        Context(AFTER_V3),
    )
    pipeline.apply(state, AUTHORITY, c.RedateApprove(), Context(AFTER_V3))
    after = events(render_ics(state, AFTER_V3))
    assert set(after) == set(before)
    go_live = "2020-06-go-live@sec-release"
    assert after[go_live].start == date(2020, 7, 2)
    assert after[go_live].sequence == before[go_live].sequence + 1
    evidence = "2020-06-evidence@sec-release"
    assert before[evidence].start == date(2020, 5, 14)
    assert after[evidence].start == date(2020, 5, 21)
    assert after[evidence].sequence == before[evidence].sequence + 1
    met = "2020-06-scope_system@sec-release"  # met deadlines keep their date
    assert after[met].start == before[met].start


def test_awkward_text_round_trips_through_an_icalendar_parser() -> None:
    # Commas and semicolons separate values, a backslash escapes, a newline ends a content
    # line, and a long line of two-octet characters must be folded between characters.
    name = 'June, 2020; "SEC" Release\\draft\nsecond line ' + "£" * 80
    state = state_at(AFTER_V3)
    state.name = name
    ics = render_ics(state, AFTER_V3)
    lines = ics.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    calendar = icalendar.Calendar.from_ical(ics)
    # Calendar clients read X-WR-CALNAME as TEXT; icalendar's parser unescapes an X- property
    # only when told its type.
    typed = ics.replace("\r\nX-WR-CALNAME:", "\r\nX-WR-CALNAME;VALUE=TEXT:")
    assert str(icalendar.Calendar.from_ical(typed)["X-WR-CALNAME"]) == name
    go_live: Any = next(
        e for e in calendar.walk("VEVENT") if str(e["UID"]) == "2020-06-go-live@sec-release"
    )
    assert str(go_live["SUMMARY"]) == f"Go-live: {name}"
    assert str(go_live["DESCRIPTION"]).startswith(f"The {name} goes live on ")
    assert events(ics)["2020-06-go-live@sec-release"].start == date(2020, 6, 25)


# ---------------------------------------------------------------------------------------------
# A Documentation release: no TAD, no testing, readiness instead of the TAG and OPSG.


def documentation_release(now: datetime) -> ReleaseState:
    state = new_release_for_tests("2021-02", created=now)
    ctx = Context(now)
    pipeline.apply(
        state,
        SECAS,
        c.ModAdd(
            mod="MP100", title="Clarify the Panel's powers", system=False, documents=["Section C"]
        ),
        ctx,
    )
    pipeline.apply(state, SECAS, c.RidDraft(note="First draft."), ctx)
    pipeline.apply(state, PANEL, c.RidBaseline(note="Baselined."), ctx)
    return state


def test_a_documentation_release_has_no_test_strategy_and_needs_readiness() -> None:
    now = london(date(2020, 3, 2), 10)
    state = documentation_release(now)
    rid = render_rid(state, now)
    assert "This is a Documentation release: it changes SEC text only" in rid
    assert "### Testing Approach Document" not in rid
    assert table(rid, "Modification") == [["MP100", "", "", "", "", ""]]
    assert [row[1] for row in table(rid, "Planned")] == [
        "Panel baselines RID for non-system-impacting modifications",
        "SECAS confirms readiness",
        "Panel go/no-go decision",
        "Release go-live",
    ]
    paper = render_go_live_paper(state, now)
    assert "TAG" not in paper
    headings = [line for line in paper.splitlines() if line.startswith("## ")]
    assert headings == [
        "## 1. Purpose",
        "## 2. Acceptance criteria",
        "## 3. Readiness",
        "## 4. Residual risks",
        "## 5. Approval to proceed",
        "## 6. Recommendations",
    ]
    assert "- SECAS has not confirmed readiness (readiness confirm)\n" in paper
    assert "NOTE SECAS's confirmation of readiness;" in paper
    html = render_go_live_paper(state, now, fmt="html")
    assert '<li class="flag">SECAS has not confirmed readiness (readiness confirm)</li>' in html
