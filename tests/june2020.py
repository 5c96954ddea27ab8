"""The June 2020 SEC Release as the seeds tell it, as dated commands (shared test data).

From the RID v3.0 (seeds/004): the scope (SECMP0053 and SECMP0062 approved, MP079, MP084 and
MP088 targeted), their participant and document impacts, the DCC cost breakdown and quoted
total, the planned timetable and the version history 0.1 to 3.0 with its dates. Where the seeds
are silent the dates below are assumptions, chosen to show what the system must handle and
marked `# assumed`: the late TAD (the v3.0 RID of February 2020 still awaits it), an appeal
against 2.0, and a GO vote refused for an open Severity 1 defect before a later GO.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from rules.clock import london
from schemas import commands as c
from schemas.base import Actor
from schemas.vocabulary import CostLine
from tests.seed_data import (
    rid_cost_breakdown,
    rid_document_impacts,
    rid_participant_impacts,
    rid_quoted_total,
    rid_timetable,
    rid_version_history,
)

RELEASE = "2020-06"
GO_LIVE = date(2020, 6, 25)
CREATED = london(date(2019, 5, 9), 10)

SECAS = Actor.parse("SECAS:David Kemp")
PANEL = Actor.parse("PANEL:Chair")
DCC = Actor.parse("DCC:Release Manager")
TAG = Actor.parse("TAG:Chair")
OPSG = Actor.parse("OPSG:Chair")
PARTY = Actor.parse("PARTY:Supplier A")
AUTHORITY = Actor.parse("AUTHORITY:Ofgem")

TITLES = {
    "SECMP0053": "Amend Target Response Times for Service Requests Critical to Installation and Commissioning Processes",
    "SECMP0062": "Northbound Application Traffic Management – Alert Storm Protection",
    "MP079": "Provisions for withdrawing modifications",
    "MP084": "Other User Panel Seating Amendment",
    "MP088": "Power to raise modifications",
}
SYSTEM = {"SECMP0053", "SECMP0062"}

TIMETABLE_KEYS = {
    "Panel baselines RID for system-impacting modifications": "baseline_system",
    "Panel baselines RID for non-system-impacting modifications": "baseline_docs",
    "DCC submits UIT Completion Report and evidence against the testing acceptance criteria": "uit_report",
    "DCC submits evidence against the operational acceptance criteria": "operational_evidence",
    "TAG reviews UIT Completion Report and status against the testing acceptance criteria": "tag_recommend",
    "Operations Group reviews status against the operational acceptance criteria": "opsg_recommend",
    "Panel approves UIT Completion Report": "uit_approve",
    "Panel go/no-go decision": "vote",
    "Release go-live": "go_live",
}


@dataclass(frozen=True)
class Step:
    at: datetime
    actor: Actor
    command: c.Command


def at(day: date, hour: int = 10) -> datetime:
    return london(day, hour)


def _documents(mod: str) -> list[str]:
    return [doc for doc, mods in rid_document_impacts().items() if mod in mods]


def _costs(mod: str) -> dict[CostLine, Decimal]:
    lines = rid_cost_breakdown().get(mod, {})
    return {CostLine(k): v for k, v in lines.items()}


def scope_steps() -> list[Step]:
    """Scope, costs, timetable and the RID up to v3.0, all from the seed."""
    impacts = rid_participant_impacts()
    d = CREATED.date()
    steps = [
        Step(
            at(d),
            SECAS,
            c.ModAdd(
                mod=mod,
                title=TITLES[mod],
                system=mod in SYSTEM,
                approved_on=d
                if mod == "SECMP0053"
                else None,  # assumed: approved before the first draft
                impacts=impacts[mod],
                documents=_documents(mod),
                costs=_costs(mod),
            ),
        )
        for mod in ("SECMP0053", "SECMP0062", "MP079", "MP084", "MP088")
    ]
    steps.append(Step(at(d, 11), SECAS, c.NoticeSend(notice="approval", mod="SECMP0053")))
    history = {v.version: v for v in rid_version_history()}
    steps.append(Step(at(history["0.1"].on, 12), SECAS, c.RidDraft(note=history["0.1"].note)))
    steps.append(Step(at(history["0.2"].on), SECAS, c.RidDraft(note=history["0.2"].note)))
    for row in rid_timetable():
        key = next(v for k, v in TIMETABLE_KEYS.items() if row.text.startswith(k))
        steps.append(Step(at(history["0.3"].on, 9), SECAS, c.TimetableSet(event=key, on=row.on)))
    steps.append(Step(at(history["0.3"].on, 9), DCC, c.CostsQuote(total=rid_quoted_total())))
    steps.append(Step(at(history["0.3"].on), SECAS, c.RidDraft(note=history["0.3"].note)))
    # 1.0 covered the system scope alone (its note says so); 2.0 added the documentation scope.
    steps.append(
        Step(at(history["1.0"].on), PANEL, c.RidBaseline(note=history["1.0"].note, scope="system"))
    )
    steps.append(Step(at(date(2019, 10, 14)), SECAS, c.NoticeSend(notice="12m")))  # assumed: late
    steps.append(Step(at(history["1.1"].on), SECAS, c.RidDraft(note=history["1.1"].note)))
    steps.append(Step(at(history["2.0"].on), PANEL, c.RidBaseline(note=history["2.0"].note)))
    steps.append(Step(at(history["2.0"].on, 14), SECAS, c.NoticeSend(notice="6m")))  # assumed: late
    # assumed: a Party appeals against 2.0; the Authority upholds the approval.
    steps.append(
        Step(
            at(date(2020, 1, 24)),
            PARTY,
            c.AppealLodge(reasons="The documentation-only scope was added without consultation."),
        )
    )
    steps.append(
        Step(
            at(date(2020, 2, 10)),
            AUTHORITY,
            c.AppealDetermine(
                upheld=True, notes="The Panel followed the Release Management Policy."
            ),
        )
    )
    steps.append(
        Step(at(date(2020, 2, 21)), SECAS, c.ModApprove(mod="SECMP0062", on=date(2020, 2, 21)))
    )  # assumed date
    steps.append(
        Step(at(date(2020, 2, 24)), SECAS, c.NoticeSend(notice="approval", mod="SECMP0062"))
    )
    steps.append(Step(at(history["3.0"].on), PANEL, c.RidBaseline(note=history["3.0"].note)))
    return steps


def testing_steps() -> list[Step]:
    """The late TAD, SIT, UIT and the go-live decision (dates assumed where the seed is blank)."""
    return [
        Step(at(date(2020, 3, 2)), DCC, c.TadSubmit(doc="DCC-TAD-JUN20-0.1")),
        Step(at(date(2020, 3, 2), 11), DCC, c.PhaseStart(kind="sit_start")),
        Step(
            at(date(2020, 3, 9)),
            TAG,
            c.TadReview(comments="Clarify the regression scope for SECMP0062."),
        ),
        Step(
            at(date(2020, 3, 10)), DCC, c.TadConsult(start=date(2020, 3, 10), end=date(2020, 3, 24))
        ),
        Step(at(date(2020, 3, 16)), DCC, c.UitPlan(start=date(2020, 4, 27), end=date(2020, 5, 15))),
        Step(at(date(2020, 3, 31)), DCC, c.TadSubmit(doc="DCC-TAD-JUN20-1.0", updated=True)),
        Step(
            at(date(2020, 4, 7)), TAG, c.TadRecommend(suitable=True, comments="Suitable for use.")
        ),
        Step(
            at(date(2020, 4, 8)),
            PARTY,
            c.Regression(kind="regression_plans", doc="SUPA-REG-PLAN-1"),
        ),
        Step(at(date(2020, 4, 9)), PANEL, c.TadIncorporate()),
        Step(at(date(2020, 4, 20)), DCC, c.PhaseReport(kind="sit_report", doc="DCC-SIT-CR-JUN20")),
        Step(
            at(date(2020, 4, 22)),
            TAG,
            c.PhaseRecommend(kind="sit_recommend", approve=True, comments="SIT exit criteria met."),
        ),
        # assumed: the Panel baselines the RID with the TAD (draft 3.1) at its next meeting, as
        # GO needs the RID as it stands baselined.
        Step(
            at(date(2020, 4, 24), 9),
            PANEL,
            c.RidBaseline(note="Baselined with the TAD incorporated as Annex A."),
        ),
        Step(at(date(2020, 4, 24)), PANEL, c.PhaseApprove(kind="sit_approve")),
        Step(at(date(2020, 4, 27)), DCC, c.PhaseStart(kind="uit_start")),
        Step(
            at(date(2020, 5, 7)),
            PARTY,
            c.Regression(kind="regression_results", doc="SUPA-REG-RESULTS-1"),
        ),
        Step(at(date(2020, 5, 15)), DCC, c.UitClose()),
        Step(at(date(2020, 5, 20)), DCC, c.PhaseReport(kind="uit_report", doc="DCC-UIT-CR-JUN20")),
        Step(
            at(date(2020, 5, 20), 11),
            DCC,
            c.EvidenceSubmit(evidence="testing", doc="DCC-TEST-EVIDENCE-JUN20"),
        ),
        Step(at(date(2020, 5, 22)), SECAS, c.NoticeSend(notice="1m")),
        Step(
            at(date(2020, 5, 26)),
            DCC,
            c.EvidenceSubmit(evidence="operational", doc="DCC-OPS-EVIDENCE-JUN20"),
        ),
        Step(
            at(date(2020, 5, 27)),
            TAG,
            c.Recommend(group="TAG", go=True, comments="UIT complete; release may go live."),
        ),
        Step(
            at(date(2020, 6, 2)),
            OPSG,
            c.Recommend(group="OPSG", go=True, comments="Operationally ready."),
        ),
        Step(
            at(date(2020, 6, 5)),
            DCC,
            c.DefectsSet(
                sev1=1, sev3=4, resolution_plan="DCC-RP-JUN20", testing_issues=3, threshold=10
            ),
        ),
        *[
            Step(
                at(date(2020, 6, 5), 11),
                DCC,
                c.CriterionSet(key=key, status="met", evidence="DCC-EVIDENCE-PACK"),
            )
            for key in [f"op-{i}" for i in range(1, 11)]
            + [f"test-{i}" for i in range(1, 8) if i != 5]
        ],
        Step(
            at(date(2020, 6, 5), 12),
            DCC,
            c.RiskAdd(
                risk="Alert throttling thresholds set too low",
                mitigation="Thresholds configurable without a release",
                view="OPSG accepted the mitigation",
            ),
        ),
        Step(at(date(2020, 6, 12)), PANEL, c.PhaseApprove(kind="uit_approve")),
        Step(at(date(2020, 6, 12), 11), PANEL, c.VoteCast(go=True)),  # refused: Severity 1 open
    ]


def go_live_steps() -> list[Step]:
    """The defect fixed, GO, go-live and the review (assumed)."""
    return [
        Step(
            at(date(2020, 6, 18)),
            DCC,
            c.DefectsSet(
                sev1=0, sev3=4, resolution_plan="DCC-RP-JUN20", testing_issues=3, threshold=10
            ),
        ),
        Step(
            at(date(2020, 6, 18), 11),
            DCC,
            c.CriterionSet(key="test-5", status="met", evidence="DCC-DEFECT-CLOSURE"),
        ),
        Step(at(date(2020, 6, 19)), PANEL, c.VoteCast(go=True)),
        Step(at(date(2020, 6, 25), 8), DCC, c.GoLiveConfirm(what="deployed")),
        Step(at(date(2020, 6, 25), 9), SECAS, c.GoLiveConfirm(what="sec_updated")),
        Step(at(date(2020, 7, 30)), DCC, c.LessonsSubmit(doc="DCC-LESSONS-JUN20")),
        Step(
            at(date(2020, 8, 20)),
            DCC,
            c.CostsReport(
                kind="costs_actual", total=Decimal("1150000"), commentary="SIT shared with CR1088."
            ),
        ),
        Step(at(date(2020, 9, 10)), PANEL, c.ReleaseEnd(kind="release_close")),
    ]


def all_steps() -> list[Step]:
    return scope_steps() + testing_steps() + go_live_steps()
