"""The lifecycle commands of SPEC section 5, one model each, sent to a release as `act`.

Each command is a Workflow Update (validated, then applied) and also accepted as a signal of
the same name for fire-and-forget integrations. Sizes are checked by the rules, so an
oversized field is refused with a sentence rather than failing to decode.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from rules.costs import CostLine
from schemas.base import Actor, Model


class ModAdd(Model):
    kind: Literal["mod_add"] = "mod_add"
    mod: str
    title: str
    system: bool
    approved_on: date | None = None  # None: targeted
    impacts: list[str] = Field(default_factory=list)
    documents: list[str] = Field(default_factory=list)
    costs: dict[CostLine, Decimal] = Field(default_factory=dict)
    rationale: str | None = None
    decision_by: date | None = None
    fall_back: date | None = None


class ModApprove(Model):
    kind: Literal["mod_approve"] = "mod_approve"
    mod: str
    on: date


class ModRemove(Model):
    kind: Literal["mod_remove"] = "mod_remove"
    mod: str
    reason: str


class CostsQuote(Model):
    kind: Literal["costs_quote"] = "costs_quote"
    total: Decimal


class RidDraft(Model):
    kind: Literal["rid_draft"] = "rid_draft"
    note: str = ""


class RidBaseline(Model):
    kind: Literal["rid_baseline"] = "rid_baseline"
    published_on: date | None = None
    scope: Literal["system", "documentation", "full"] | None = None
    note: str = ""


class NoticeSend(Model):
    kind: Literal["notice_send"] = "notice_send"
    notice: Literal["approval", "12m", "6m", "1m"]
    mod: str | None = None


class TimetableSet(Model):
    kind: Literal["timetable_set"] = "timetable_set"
    event: str
    on: date


class CriterionDefine(Model):
    kind: Literal["criterion_define"] = "criterion_define"
    key: str
    text: str
    group: Literal["operational", "testing", "panel"] = "panel"


class ReadinessConfirm(Model):
    kind: Literal["readiness_confirm"] = "readiness_confirm"


class TadSubmit(Model):
    kind: Literal["tad_submit"] = "tad_submit"
    doc: str
    updated: bool = False


class TadReview(Model):
    kind: Literal["tad_review"] = "tad_review"
    comments: str


class TadConsult(Model):
    kind: Literal["tad_consult"] = "tad_consult"
    start: date
    end: date


class TadRecommend(Model):
    kind: Literal["tad_recommend"] = "tad_recommend"
    suitable: bool
    comments: str = ""


class TadIncorporate(Model):
    kind: Literal["tad_incorporate"] = "tad_incorporate"


class PhaseStart(Model):
    """`sit start` / `uit start`."""

    kind: Literal["sit_start", "uit_start"]
    planned_end: date | None = None


class PhaseReport(Model):
    """`sit report` / `uit report`."""

    kind: Literal["sit_report", "uit_report"]
    doc: str


class PhaseRecommend(Model):
    """`sit recommend` / `uit recommend` (TAG)."""

    kind: Literal["sit_recommend", "uit_recommend"]
    approve: bool
    comments: str


class PhaseApprove(Model):
    """`sit approve` / `uit approve` (PANEL)."""

    kind: Literal["sit_approve", "uit_approve"]


class UitPlan(Model):
    kind: Literal["uit_plan"] = "uit_plan"
    start: date
    end: date


class UitClose(Model):
    kind: Literal["uit_close"] = "uit_close"


class Regression(Model):
    """`regression plans` / `regression results` (PARTY)."""

    kind: Literal["regression_plans", "regression_results"]
    doc: str


class EvidenceSubmit(Model):
    kind: Literal["evidence_submit"] = "evidence_submit"
    evidence: Literal["testing", "operational"]
    doc: str


class Recommend(Model):
    kind: Literal["recommend"] = "recommend"
    group: Literal["TAG", "OPSG"]
    go: bool
    comments: str


class DefectsSet(Model):
    kind: Literal["defects_set"] = "defects_set"
    sev1: int = 0
    sev2: int = 0
    sev3: int = 0
    sev4: int = 0
    sev5: int = 0
    resolution_plan: str | None = None
    testing_issues: int | None = None
    threshold: int | None = None


class CriterionSet(Model):
    kind: Literal["criterion_set"] = "criterion_set"
    key: str
    status: Literal["met", "not_met", "waived"]
    evidence: str | None = None
    reason: str | None = None


class RiskAdd(Model):
    kind: Literal["risk_add"] = "risk_add"
    risk: str
    mitigation: str
    view: str = ""


class CostsReport(Model):
    """`costs forecast` / `costs spend` / `costs actual` (DCC): a total or line items."""

    kind: Literal["costs_forecast", "costs_spend", "costs_actual"]
    total: Decimal | None = None
    lines: dict[CostLine, Decimal] = Field(default_factory=dict)
    commentary: str = ""


class CostsPeriod(Model):
    kind: Literal["costs_period"] = "costs_period"
    months: int


class VoteCast(Model):
    kind: Literal["vote"] = "vote"
    go: bool
    reason: str = ""


class RedateRequest(Model):
    kind: Literal["redate_request"] = "redate_request"
    go_live: date
    reason: str
    mod: str | None = None  # revise one modification's implementation date, not the release's


class CancelRequest(Model):
    """SECAS asks the Panel to cancel the release (the Panel decides: release cancel)."""

    kind: Literal["cancel_request"] = "cancel_request"
    reason: str


class RedateApprove(Model):
    kind: Literal["redate_approve"] = "redate_approve"


class Waive(Model):
    kind: Literal["waive"] = "waive"
    deadline: str
    reason: str


class AuditorAppoint(Model):
    kind: Literal["auditor_appoint"] = "auditor_appoint"
    name: str
    terms: str


class AppealLodge(Model):
    kind: Literal["appeal_lodge"] = "appeal_lodge"
    reasons: str
    version: str | None = None  # default: the latest open window


class AppealDetermine(Model):
    kind: Literal["appeal_determine"] = "appeal_determine"
    upheld: bool
    notes: str = ""
    version: str | None = None  # default: the window referred to the Authority


class GoLiveConfirm(Model):
    kind: Literal["golive_confirm"] = "golive_confirm"
    what: Literal["deployed", "sec_updated"]


class LessonsSubmit(Model):
    kind: Literal["lessons_submit"] = "lessons_submit"
    doc: str


class ReleaseEnd(Model):
    """`release close` / `release cancel` (PANEL)."""

    kind: Literal["release_close", "release_cancel"]
    reason: str = ""


Command = Annotated[
    ModAdd
    | ModApprove
    | ModRemove
    | CostsQuote
    | RidDraft
    | RidBaseline
    | NoticeSend
    | TimetableSet
    | CriterionDefine
    | ReadinessConfirm
    | TadSubmit
    | TadReview
    | TadConsult
    | TadRecommend
    | TadIncorporate
    | PhaseStart
    | PhaseReport
    | PhaseRecommend
    | PhaseApprove
    | UitPlan
    | UitClose
    | Regression
    | EvidenceSubmit
    | Recommend
    | DefectsSet
    | CriterionSet
    | RiskAdd
    | CostsReport
    | CostsPeriod
    | VoteCast
    | RedateRequest
    | RedateApprove
    | CancelRequest
    | Waive
    | AuditorAppoint
    | AppealLodge
    | AppealDetermine
    | GoLiveConfirm
    | LessonsSubmit
    | ReleaseEnd,
    Field(discriminator="kind"),
]


class ActRequest(Model):
    """One command by one actor: the argument of the `act` update and signal."""

    actor: Actor
    command: Command


class ActResult(Model):
    """What an accepted command changed, in a sentence, plus the release's phase after it."""

    summary: str
    phase: str
    rid_version: str
