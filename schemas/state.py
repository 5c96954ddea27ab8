"""The state of one release: everything the workflow holds and carries across continue-as-new.

Every field has a default so a release started by older code still loads in newer code.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field

from schemas.base import Model
from schemas.declare import Opt
from schemas.seal import TrustedKey
from schemas.text import MAX_COUNT, RefText
from schemas.vocabulary import CostLine, CriterionStatus, ReleaseType, Role


class ModStatus(StrEnum):
    TARGETED = "targeted"
    APPROVED = "approved"
    REMOVED = "removed"


class Modification(Model):
    id: str
    title: str
    system: bool
    status: ModStatus = ModStatus.TARGETED
    approved_on: date | None = None
    added_on: date
    impacts: list[str] = Field(default_factory=list)
    documents: list[str] = Field(default_factory=list)
    costs: dict[CostLine, Decimal] = Field(default_factory=dict)
    rationale: str | None = None
    decision_by: date | None = None
    fall_back: date | None = None
    removed_reason: str | None = None


class RidSnapshot(Model):
    """The RID's content as it stood at one version (so `doc rid --version` can show it)."""

    go_live: date
    modifications: list[Modification] = Field(default_factory=list)
    timetable: dict[str, date] = Field(default_factory=dict)
    criteria: list[Criterion] = Field(default_factory=list)
    quoted_total: Decimal | None = None
    tad_incorporated_on: date | None = None


class RidEntry(Model):
    """One line of the RID's version history."""

    version: str
    on: date
    kind: str  # "draft" or "baseline"
    note: str = ""
    scope: str | None = None  # for baselines: system, documentation or full
    revoked: bool = False
    snapshot: RidSnapshot | None = None


class DeadlineStatus(StrEnum):
    PENDING = "pending"
    MET = "met"
    LAPSED = "lapsed"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"
    CLOSED = "closed"  # an appeal window that has run its course (not an obligation to meet)


class Deadline(Model):
    """One deadline and where its reminders and escalations stand.

    `since` is when the current due date was set (creation or re-date); `cycle` counts those
    settings, so a notice key names the cycle it belongs to and a re-date never re-sends an old one.
    """

    key: str
    due: date | None = None
    who: list[Role] = Field(default_factory=list)
    what: str = ""
    status: DeadlineStatus = DeadlineStatus.PENDING
    met_on: date | None = None
    waived_reason: str | None = None
    escalates: bool = True
    cycle: int = 1
    since: datetime | None = None
    level: int = 0
    sent: list[str] = Field(default_factory=list)  # "reminder", "L1", "L2", ... of this cycle


class Delivery(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED_RETRYING = "failed-retrying"
    FAILED = "failed"  # can never be sent (e.g. no valid recipient); SECAS is told


class ScopedModification(Model):
    """One modification as a 12-month or 6-month notice sets it out."""

    id: str
    title: str
    system: bool  # system-impacting; else documentation-only
    approved: bool  # approved; else targeted


class CutOff(Model):
    """A cut-off date a notice gives: the deadline's key, what it closes, and its due date."""

    key: str  # scope_system | scope_docs
    what: str
    due: date | None = None


class NoticeScope(Model):
    """What a 12-month or 6-month notice sets out, as it stood when the notice was queued."""

    modifications: list[ScopedModification] = Field(default_factory=list)
    cut_offs: list[CutOff] = Field(default_factory=list)


class Notice(Model):
    """A message the release asked to send: a reminder, an escalation, a notice or a decision."""

    key: str
    kind: str  # notice | reminder | escalation | appeal | decision
    at: datetime
    subject: str
    to: list[str] = Field(default_factory=list)
    deadline: str | None = None
    level: int | None = None
    due: date | None = None
    delivery: Delivery = Delivery.QUEUED
    notice: str | None = None  # 12m, 6m, 1m, approval
    detail: str = ""
    scope: NoticeScope | None = None  # 12m and 6m notices: the scope and cut-off dates
    error: str = ""  # why it could not be sent, when delivery is failed


class AuditEntry(Model):
    seq: int
    at: datetime
    actor: str
    command: str
    outcome: str = "accepted"  # accepted | refused | ignored (a message not taken on its word)
    detail: str = ""
    # A command the front door signed (ACCESS.md): who was authenticated, the request's id, and
    # the signature with the exact message it covers, so `audit verify` can check it for ever.
    principal: str = ""  # `login (ROLE, organisation)`
    request_id: str = ""
    key_id: str = ""
    signature: str = ""  # base64 Ed25519 signature
    signed: str = ""  # the canonical JSON message the signature covers


class Submission(Model):
    doc: str
    on: date
    by: str = ""


class Recommendation(Model):
    favourable: bool  # suitable / approve / go
    comments: str = ""
    on: date
    by: str = ""


class TadSubmission(Submission):
    updated: bool = False


class Tad(Model):
    submissions: list[TadSubmission] = Field(default_factory=list)
    reviews: list[Recommendation] = Field(default_factory=list)  # TAG comments (favourable unused)
    consultation_from: date | None = None
    consultation_to: date | None = None
    recommendation: Recommendation | None = None
    incorporated_on: date | None = None


class TestPhase(Model):
    """SIT or UIT: start, completion report, TAG recommendation, Panel approval."""

    planned_start: date | None = None
    planned_end: date | None = None
    started_on: date | None = None
    closed_on: date | None = None
    report: Submission | None = None
    recommendation: Recommendation | None = None
    approved_on: date | None = None


class Criterion(Model):
    key: str
    group: str  # operational | testing | panel
    text: str
    status: CriterionStatus = CriterionStatus.NOT_MET
    evidence: list[str] = Field(default_factory=list)
    reason: str | None = None
    updated_on: date | None = None


# A count (defects, testing issues): the rules give the sentence for a negative one.
Count = Annotated[int, Field(le=MAX_COUNT, ge=-MAX_COUNT)]


class DefectCounts(Model):
    """Open defects by severity and testing issues against the TAD's threshold (the one model
    of them: the DCC's `defects set` command, the release's record and its status extend it)."""

    sev1: Count = 0
    sev2: Count = 0
    sev3: Count = 0
    sev4: Count = 0
    sev5: Count = 0
    resolution_plan: Annotated[RefText | None, Opt(metavar="REF")] = None
    testing_issues: Count | None = None
    threshold: Count | None = None


class Defects(DefectCounts):
    """The DCC's latest defect report, as the release keeps it."""

    reported_on: date


class Risk(Model):
    risk: str
    mitigation: str
    view: str = ""
    on: date


class CostReport(Model):
    kind: str  # forecast | spend | actual
    on: date
    total: Decimal | None = None
    lines: dict[CostLine, Decimal] = Field(default_factory=dict)
    commentary: str = ""


class Costs(Model):
    quoted_total: Decimal | None = None
    quoted_on: date | None = None
    forecast: CostReport | None = None
    spend: list[CostReport] = Field(default_factory=list)
    actual: CostReport | None = None
    period_months: int | None = None
    period_from: date | None = None


class Vote(Model):
    go: bool
    reason: str = ""
    on: date
    by: str = ""
    superseded: bool = False  # a re-date after a no-go makes the lifecycle resume


class Redate(Model):
    go_live: date
    reason: str
    requested_on: date
    by: str = ""
    approved_on: date | None = None
    previous: date | None = None
    mod: str | None = None  # one modification's implementation date (it leaves this release)


class CancelRequested(Model):
    by: str
    on: date
    reason: str


class Appeal(Model):
    by: str
    reasons: str
    on: date


class AppealStatus(StrEnum):
    OPEN = "open"
    UNCHALLENGED = "unchallenged"
    REFERRED = "referred"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


class AppealWindow(Model):
    version: str
    published_on: date
    closes_on: date
    status: AppealStatus = AppealStatus.OPEN
    appeals: list[Appeal] = Field(default_factory=list)
    notes: str = ""
    determined_on: date | None = None
    workflow_id: str = ""


class Freeze(Model):
    start: date
    end: date
    reason: str


class Auditor(Model):
    name: str
    terms: str
    on: date


class WorkingDays(Model):
    """The bank holidays this release computes with, fixed at its start (replay-safe)."""

    first_year: int
    last_year: int
    holidays: list[date]


class Policy(Model):
    """How a release reminds and escalates (SPEC section 4), fixed when it is created."""

    reminder_working_days: int = 5
    step_working_days: int = 5
    # The top of the escalation ladder: levels rise to it, then repeat at it every step.
    escalation_top: int = Field(3, ge=1)
    send_hour: int = 9
    early_life_months: int = 1


RidSnapshot.model_rebuild()
RidEntry.model_rebuild()


class ReleaseFacts(Model):
    """What a release's record holds and its status shows as it is (`ReleaseStatus` extends it,
    so the status is derived from the record, never re-listed)."""

    id: str
    name: str
    type: ReleaseType
    ad_hoc: bool = False
    created_at: datetime
    go_live: date
    original_go_live: date
    freezes: list[Freeze] = Field(default_factory=list)
    modifications: list[Modification] = Field(default_factory=list)
    timetable: dict[str, date] = Field(default_factory=dict)
    criteria: list[Criterion] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    votes: list[Vote] = Field(default_factory=list)
    redates: list[Redate] = Field(default_factory=list)
    auditor: Auditor | None = None
    appeals: list[AppealWindow] = Field(default_factory=list)
    readiness_on: date | None = None
    deployed_on: date | None = None
    sec_updated_on: date | None = None
    lessons: Submission | None = None
    closed_on: date | None = None
    cancelled_on: date | None = None
    end_reason: str = ""
    audit: list[AuditEntry] = Field(default_factory=list)
    actual: dict[str, date] = Field(default_factory=dict)  # timetable event -> when it happened
    runs: int = 1  # workflow runs so far (a long release continues as new several times)
    # Refused or ignored messages are audited up to a budget, then only counted, so hostile
    # input cannot grow the record without bound.
    refusals_unrecorded: int = 0
    # Older reminders and escalations (and their audit lines) left in the store, not carried.
    compacted_notices: int = 0
    compacted_audit: int = 0


class TestingRecord(Model):
    """The TAD, SIT and UIT, regression testing, evidence and recommendations of a release."""

    tad: Tad = Field(default_factory=Tad)
    sit: TestPhase = Field(default_factory=TestPhase)
    uit: TestPhase = Field(default_factory=TestPhase)
    regression_plans: list[Submission] = Field(default_factory=list)
    regression_results: list[Submission] = Field(default_factory=list)
    testing_evidence: Submission | None = None
    operational_evidence: Submission | None = None
    recommendations: dict[str, Recommendation] = Field(default_factory=dict)  # TAG, OPSG


class ReleaseState(ReleaseFacts, TestingRecord):
    """The whole record of one release."""

    created_by: str = ""
    calendar: WorkingDays
    policy: Policy = Field(default_factory=Policy)
    rid_version: str = "0.0"
    rid_history: list[RidEntry] = Field(default_factory=list)
    rid_frozen_on: date | None = None
    # What changed in the RID's baselined content since its last baseline (SPEC section 5.1):
    # while any, the RID stands "changed since its baseline" and GO waits for a new baseline.
    rid_changes: list[str] = Field(default_factory=list)
    deadlines: list[Deadline] = Field(default_factory=list)
    defects: Defects | None = None
    costs: Costs = Field(default_factory=Costs)
    cancel_requested: CancelRequested | None = None
    notices: list[Notice] = Field(default_factory=list)
    refusals_recorded: int = 0
    # The first audit seq at which the store was found to disagree with this release (a reset).
    audit_diverged_at: int | None = None
    ended_by_operator: str = ""  # how an operator ended it (e.g. a Temporal cancel), if one did
    # The public keys whose signatures this release accepts (read from its worker at each run's
    # start and when told keys changed), and the signed requests it has seen lately (ACCESS.md).
    trusted_keys: list[TrustedKey] = Field(default_factory=list)
    seen_requests: dict[str, datetime] = Field(default_factory=dict)
