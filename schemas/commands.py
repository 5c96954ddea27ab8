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
from schemas.text import MAX_COUNT, MAX_LIST, IdText, Prose, RefText, TitleText, register_tags

# Money on the wire: bounded in digits, so `1E+999999` is refused before any arithmetic.
Money = Annotated[Decimal, Field(max_digits=24, allow_inf_nan=False)]
# A count (defects, testing issues, months): the rules give the sentence for a negative one.
Count = Annotated[int, Field(le=MAX_COUNT, ge=-MAX_COUNT)]


class ModAdd(Model):
    kind: Literal["mod_add"] = "mod_add"
    mod: IdText
    title: TitleText
    system: bool
    approved_on: date | None = None  # None: targeted
    impacts: Annotated[list[TitleText], Field(max_length=MAX_LIST)] = Field(default_factory=list)
    documents: Annotated[list[RefText], Field(max_length=MAX_LIST)] = Field(default_factory=list)
    costs: dict[CostLine, Money] = Field(default_factory=dict)
    rationale: Prose | None = None
    decision_by: date | None = None
    fall_back: date | None = None


class ModApprove(Model):
    kind: Literal["mod_approve"] = "mod_approve"
    mod: IdText
    on: date


class ModRemove(Model):
    kind: Literal["mod_remove"] = "mod_remove"
    mod: IdText
    reason: Prose


class CostsQuote(Model):
    kind: Literal["costs_quote"] = "costs_quote"
    total: Money


class RidDraft(Model):
    kind: Literal["rid_draft"] = "rid_draft"
    note: Prose = ""


class RidBaseline(Model):
    kind: Literal["rid_baseline"] = "rid_baseline"
    published_on: date | None = None
    scope: Literal["system", "documentation", "full"] | None = None
    note: Prose = ""


class NoticeSend(Model):
    kind: Literal["notice_send"] = "notice_send"
    notice: Literal["approval", "12m", "6m", "1m"]
    mod: IdText | None = None


class TimetableSet(Model):
    kind: Literal["timetable_set"] = "timetable_set"
    event: IdText
    on: date


class CriterionDefine(Model):
    kind: Literal["criterion_define"] = "criterion_define"
    key: IdText
    text: Prose
    group: Literal["operational", "testing", "panel"] = "panel"


class ReadinessConfirm(Model):
    kind: Literal["readiness_confirm"] = "readiness_confirm"


class TadSubmit(Model):
    kind: Literal["tad_submit"] = "tad_submit"
    doc: RefText
    updated: bool = False


class TadReview(Model):
    kind: Literal["tad_review"] = "tad_review"
    comments: Prose


class TadConsult(Model):
    kind: Literal["tad_consult"] = "tad_consult"
    start: date
    end: date


class TadRecommend(Model):
    kind: Literal["tad_recommend"] = "tad_recommend"
    suitable: bool
    comments: Prose = ""


class TadIncorporate(Model):
    kind: Literal["tad_incorporate"] = "tad_incorporate"


class PhaseStart(Model):
    """`sit start` / `uit start`."""

    kind: Literal["sit_start", "uit_start"]
    planned_end: date | None = None


class PhaseReport(Model):
    """`sit report` / `uit report`."""

    kind: Literal["sit_report", "uit_report"]
    doc: RefText


class PhaseRecommend(Model):
    """`sit recommend` / `uit recommend` (TAG)."""

    kind: Literal["sit_recommend", "uit_recommend"]
    approve: bool
    comments: Prose


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
    doc: RefText


class EvidenceSubmit(Model):
    kind: Literal["evidence_submit"] = "evidence_submit"
    evidence: Literal["testing", "operational"]
    doc: RefText


class Recommend(Model):
    kind: Literal["recommend"] = "recommend"
    group: Literal["TAG", "OPSG"]
    go: bool
    comments: Prose


class DefectsSet(Model):
    kind: Literal["defects_set"] = "defects_set"
    sev1: Count = 0
    sev2: Count = 0
    sev3: Count = 0
    sev4: Count = 0
    sev5: Count = 0
    resolution_plan: RefText | None = None
    testing_issues: Count | None = None
    threshold: Count | None = None


class CriterionSet(Model):
    kind: Literal["criterion_set"] = "criterion_set"
    key: IdText
    status: Literal["met", "not_met", "waived"]
    evidence: RefText | None = None
    reason: Prose | None = None


class RiskAdd(Model):
    kind: Literal["risk_add"] = "risk_add"
    risk: Prose
    mitigation: Prose
    view: Prose = ""


class CostsReport(Model):
    """`costs forecast` / `costs spend` / `costs actual` (DCC): a total or line items."""

    kind: Literal["costs_forecast", "costs_spend", "costs_actual"]
    total: Money | None = None
    lines: dict[CostLine, Money] = Field(default_factory=dict)
    commentary: Prose = ""


class CostsPeriod(Model):
    kind: Literal["costs_period"] = "costs_period"
    months: Count


class VoteCast(Model):
    kind: Literal["vote"] = "vote"
    go: bool
    reason: Prose = ""


class RedateRequest(Model):
    kind: Literal["redate_request"] = "redate_request"
    go_live: date
    reason: Prose
    mod: str | None = None  # revise one modification's implementation date, not the release's


class CancelRequest(Model):
    """SECAS asks the Panel to cancel the release (the Panel decides: release cancel)."""

    kind: Literal["cancel_request"] = "cancel_request"
    reason: Prose


class RedateApprove(Model):
    kind: Literal["redate_approve"] = "redate_approve"


class Waive(Model):
    kind: Literal["waive"] = "waive"
    deadline: IdText
    reason: Prose


class AuditorAppoint(Model):
    kind: Literal["auditor_appoint"] = "auditor_appoint"
    name: TitleText
    terms: RefText


class AppealLodge(Model):
    kind: Literal["appeal_lodge"] = "appeal_lodge"
    reasons: Prose
    version: IdText | None = None  # default: the latest open window


class AppealDetermine(Model):
    kind: Literal["appeal_determine"] = "appeal_determine"
    upheld: bool
    notes: Prose = ""
    version: IdText | None = None  # default: the window referred to the Authority


class GoLiveConfirm(Model):
    kind: Literal["golive_confirm"] = "golive_confirm"
    what: Literal["deployed", "sec_updated"]


class LessonsSubmit(Model):
    kind: Literal["lessons_submit"] = "lessons_submit"
    doc: RefText


class ReleaseEnd(Model):
    """`release close` / `release cancel` (PANEL)."""

    kind: Literal["release_close", "release_cancel"]
    reason: Prose = ""


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


register_tags(
    {
        kind
        for model in Command.__origin__.__args__  # type: ignore[attr-defined]
        for kind in model.model_fields["kind"].annotation.__args__
    }
)


class ActRequest(Model):
    """One command by one actor: the argument of the `act` update and signal."""

    actor: Actor
    command: Command


class ActResult(Model):
    """What an accepted command changed, in a sentence, plus the release's phase after it."""

    summary: str
    phase: str
    rid_version: str
