"""The status of a release as `status --json` prints it (CLI.md), and the list/inbox rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from schemas.base import Model
from schemas.state import (
    AppealWindow,
    AuditEntry,
    Auditor,
    CostReport,
    Criterion,
    DefectCounts,
    Freeze,
    Modification,
    Recommendation,
    Redate,
    RidEntry,
    Risk,
    Submission,
    Tad,
    TestPhase,
    Vote,
)


class DefectsStatus(DefectCounts):
    """Open defects by severity and testing issues; all zero until the DCC reports."""

    reported: bool = False
    reported_on: date | None = None


class RidStatus(Model):
    version: str
    frozen: bool
    frozen_on: date | None = None
    history: list[RidEntry] = Field(default_factory=list)


class DeadlineRow(Model):
    key: str
    due: date | None
    status: str
    met_on: date | None
    escalation_level: int
    who: list[str]
    what: str = ""
    waived_reason: str | None = None
    late: bool = False  # lapsed, or met after its due date: the record keeps showing it


class OwedRow(Model):
    role: str
    action: str
    due: date | None
    overdue: bool = False


class CostsStatus(Model):
    total: Decimal
    quoted_total: Decimal | None
    discrepancy: Decimal | None
    by_modification: dict[str, Decimal] = Field(default_factory=dict)
    by_line: dict[str, Decimal] = Field(default_factory=dict)
    forecast: CostReport | None = None
    spend: list[CostReport] = Field(default_factory=list)
    actual: CostReport | None = None
    variances: dict[str, Decimal] = Field(default_factory=dict)
    period_months: int | None = None


class MessageRow(Model):
    key: str
    kind: str
    at: datetime
    subject: str
    to: list[str]
    deadline: str | None = None
    level: int | None = None
    delivery: str = "queued"


class TestingStatus(Model):
    tad: Tad
    sit: TestPhase
    uit: TestPhase
    regression_plans: list[Submission] = Field(default_factory=list)
    regression_results: list[Submission] = Field(default_factory=list)
    testing_evidence: Submission | None = None
    operational_evidence: Submission | None = None
    recommendations: dict[str, Recommendation] = Field(default_factory=dict)


class ReleaseStatus(Model):
    """Everything a person needs to see about one release."""

    id: str
    name: str
    type: str
    phase: str
    go_live: date
    original_go_live: date
    ad_hoc: bool = False
    created_at: datetime
    as_of: datetime
    rid: RidStatus
    deadlines: list[DeadlineRow]
    owed: list[OwedRow]
    modifications: list[Modification]
    costs: CostsStatus
    criteria: list[Criterion]
    defects: DefectsStatus
    gate: list[str]
    testing: TestingStatus
    risks: list[Risk]
    votes: list[Vote]
    redates: list[Redate]
    appeals: list[AppealWindow]
    auditor: Auditor | None
    freezes: list[Freeze]
    timetable: dict[str, date]
    actual: dict[str, date]
    escalations: list[MessageRow]
    notices: list[MessageRow]
    audit: list[AuditEntry]
    warnings: list[str] = Field(default_factory=list)
    deployed_on: date | None = None
    sec_updated_on: date | None = None
    readiness_on: date | None = None
    lessons: Submission | None = None
    closed_on: date | None = None
    cancelled_on: date | None = None
    end_reason: str = ""
    runs: int = 1
    # Older reminders and escalations kept only in the store (outbox, audit), not in the release.
    compacted_notices: int = 0
    compacted_audit: int = 0
    refusals_unrecorded: int = 0  # refused or ignored messages counted but not audited


class ListRow(Model):
    id: str
    name: str = ""
    type: str = ""
    phase: str
    go_live: date | None
    lapsed: bool


class InboxRow(Model):
    release: str
    action: str
    due: date | None
    overdue: bool
