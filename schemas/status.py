"""The status of a release as `status --json` prints it (CLI.md), and the list/inbox rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import Field

from schemas.base import Model
from schemas.state import (
    CostReport,
    DefectCounts,
    ReleaseFacts,
    RidEntry,
    TestingRecord,
)


class DefectsStatus(DefectCounts):
    """Open defects by severity and testing issues; all zero until the DCC reports."""

    reported: bool = False
    reported_on: date | None = None


class RidStatus(Model):
    version: str
    frozen: bool
    frozen_on: date | None = None
    # Content changed since the last baseline (a draft version, or a change marked on it):
    # the Panel must baseline the RID as it stands before GO.
    changed_since_baseline: bool = False
    changes_since_baseline: list[str] = Field(default_factory=list)
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
    """One step a role owes (`rules.owed`): the command that takes it, and what stands in its
    way or what it concerns (e.g. the gate's unmet items on a vote), if anything."""

    role: str
    action: str
    due: date | None
    overdue: bool = False
    command: str = ""
    detail: str = ""


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
    due: date | None = None  # the deadline's due date, for reminders and escalations
    delivery: str = "queued"


class ReleaseStatus(ReleaseFacts):
    """Everything a person needs to see about one release: its record's facts as they are
    (`ReleaseFacts`), and what is computed from the record at `as_of`."""

    phase: str
    as_of: datetime
    rid: RidStatus
    deadlines: list[DeadlineRow]
    owed: list[OwedRow]
    costs: CostsStatus
    defects: DefectsStatus
    gate: list[str]
    testing: TestingRecord
    escalations: list[MessageRow]
    notices: list[MessageRow]
    warnings: list[str] = Field(default_factory=list)
    # When early-life monitoring ends and the release review begins (SPEC section 5.5).
    early_life_ends: date | None = None


OPEN_DEADLINES = ("pending", "lapsed")


class PortfolioFacts(Model):
    """What the portfolio shows of a release beyond `list`'s search attributes, as its status
    said at `as_of`: the release records it in the register with each record
    (`record_release`), so the portfolio is one read of the register, not a status query per
    release."""

    name: str
    as_of: datetime
    rid_version: str
    freeze: str | None = None  # the reason of the freeze its go-live falls in, if it does
    deadlines: list[DeadlineRow] = Field(default_factory=list)  # the open ones with a due date

    @classmethod
    def of(cls, status: ReleaseStatus) -> PortfolioFacts:
        """The facts of `status`."""
        return cls(
            name=status.name,
            as_of=status.as_of,
            rid_version=status.rid.version,
            freeze=next(
                (f.reason for f in status.freezes if f.start <= status.go_live <= f.end), None
            ),
            deadlines=[
                d for d in status.deadlines if d.status in OPEN_DEADLINES and d.due is not None
            ],
        )


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
    command: str = ""
    detail: str = ""
