"""The go-live decision paper, laid out as the November 2019 one (seeds/002).

Its recommendation is the gate's (rules.phase.gate): GO only when no item is unmet; otherwise
the paper lists each unmet item by name and does not recommend go-live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from documents.render import render
from documents.rid import CRITERIA_GROUPS, CriteriaGroup
from rules.clock import london_today
from rules.queries import gate, is_live, standing_vote
from rules.release_calendar import long_date
from schemas.state import (
    Defects,
    Recommendation,
    Redate,
    ReleaseState,
    Risk,
    Submission,
    TestPhase,
    Vote,
)
from schemas.vocabulary import ReleaseType


@dataclass(frozen=True)
class DefectRow:
    severity: int
    open: int
    position: str  # what the gate makes of it


@dataclass(frozen=True)
class GroupView:
    """The OPSG's or the TAG's view: the evidence it considered and its recommendation."""

    name: str
    long_name: str
    evidence: Submission | None
    recommendation: Recommendation | None


@dataclass(frozen=True)
class GoLivePaperView:
    release_id: str
    name: str
    system: bool
    go_live: date
    today: date
    now: datetime
    criteria: list[CriteriaGroup]
    defects: Defects | None
    defect_rows: list[DefectRow]
    testing_issues: str
    opsg: GroupView
    tag: GroupView
    sit: TestPhase
    uit: TestPhase
    readiness_on: date | None
    risks: list[Risk]
    unmet: list[str]
    vote: Vote | None
    live_on: date | None
    earlier: list[str]  # earlier votes and re-dates, oldest first, each a sentence

    @property
    def recommend_go(self) -> bool:
        return not self.unmet

    @property
    def decided_go(self) -> bool:
        """The Panel has agreed go-live (a standing GO vote): the paper records the decision."""
        return self.vote is not None and self.vote.go


def render_go_live_paper(state: ReleaseState, now: datetime, *, fmt: str = "md") -> str:
    """The paper asking the Panel to approve go-live, as Markdown (`fmt="md"`) or HTML.

    Args:
        state: the release's state (read only).
        now: the business time the paper is dated at (its London date).
        fmt: "md" or "html".

    Raises:
        Refused: an unknown format.
    """
    return render("go_live_paper", fmt, paper=go_live_paper_view(state, now))


def go_live_paper_view(state: ReleaseState, now: datetime) -> GoLivePaperView:
    """What the go-live paper shows, as of `now`."""
    return GoLivePaperView(
        release_id=state.id,
        name=state.name,
        system=state.type is ReleaseType.SYSTEM,
        go_live=state.go_live,
        today=london_today(now),
        now=now,
        criteria=[
            CriteriaGroup(title, [c for c in state.criteria if c.group == group])
            for group, title in CRITERIA_GROUPS
            if any(c.group == group for c in state.criteria)
        ],
        defects=state.defects,
        defect_rows=_defect_rows(state.defects),
        testing_issues=_testing_issues(state.defects),
        opsg=GroupView(
            "OPSG",
            "Operations Group",
            state.operational_evidence,
            state.recommendations.get("OPSG"),
        ),
        tag=GroupView(
            "TAG",
            "Testing Advisory Group",
            state.testing_evidence,
            state.recommendations.get("TAG"),
        ),
        sit=state.sit,
        uit=state.uit,
        readiness_on=state.readiness_on,
        risks=state.risks,
        unmet=gate(state),
        vote=standing_vote(state),
        live_on=_live_on(state),
        earlier=_earlier_decisions(state),
    )


def _live_on(state: ReleaseState) -> date | None:
    """The day the release went live (the later of deployment and the SEC update), if it has."""
    if not is_live(state):
        return None
    days = [d for d in (state.deployed_on, state.sec_updated_on) if d is not None]
    return max(days)


def _earlier_decisions(state: ReleaseState) -> list[str]:
    """The Panel's earlier votes (all but the standing one) and the re-dates, oldest first:
    the paper shows how the release came to the date it now asks for."""
    standing = standing_vote(state)
    dated: list[tuple[date, int, str]] = []
    for i, v in enumerate(state.votes):
        if v is standing:
            continue
        said = "GO" if v.go else "NO-GO"
        reason = f": {v.reason}" if v.reason else ""
        later = " (superseded by a re-date)" if v.superseded else ""
        dated.append((v.on, i, f"{long_date(v.on)}: the Panel voted {said}{reason}{later}."))
    for j, r in enumerate(state.redates):
        dated.append((r.requested_on, len(state.votes) + j, _redate_sentence(r)))
    return [text for _, _, text in sorted(dated)]


def _redate_sentence(r: Redate) -> str:
    what = f"modification {r.mod}'s implementation date" if r.mod else "the go-live date"
    moved = f"from {long_date(r.previous)} " if r.previous else ""
    if r.approved_on is not None:
        outcome = f"approved by the Authority on {long_date(r.approved_on)}"
    else:
        outcome = "awaiting the Authority's approval"
    return (
        f"{long_date(r.requested_on)}: the Panel requested to move {what} {moved}"
        f"to {long_date(r.go_live)} ({r.reason}); {outcome}."
    )


def _defect_rows(defects: Defects | None) -> list[DefectRow]:
    if defects is None:
        return []
    rows = []
    for severity in range(1, 6):
        count: int = getattr(defects, f"sev{severity}")
        if severity <= 2:
            position = "blocks go-live" if count else "none open"
        elif not count:
            position = "none open"
        elif defects.resolution_plan:
            position = f"resolution plan {defects.resolution_plan}"
        else:
            position = "no resolution plan: blocks go-live"
        rows.append(DefectRow(severity, count, position))
    return rows


def _testing_issues(defects: Defects | None) -> str:
    if defects is None or defects.testing_issues is None:
        return "not reported"
    if defects.threshold is None:
        return f"{defects.testing_issues} open; no threshold from the TAD is recorded"
    within = "within" if defects.testing_issues <= defects.threshold else "over"
    return (
        f"{defects.testing_issues} open against the TAD's threshold of {defects.threshold} "
        f"({within} the threshold)"
    )
