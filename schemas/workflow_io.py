"""Inputs and signals of the workflows, and the arguments of their activities."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from schemas.base import Actor, Model
from schemas.seal import Seal, TrustedKey
from schemas.state import (
    Appeal,
    AppealStatus,
    AuditEntry,
    Freeze,
    Notice,
    Policy,
    ReleaseState,
    WorkingDays,
)
from schemas.status import PortfolioFacts, ReleaseStatus
from schemas.vocabulary import ReleaseType

PANEL_WORKFLOW_ID = "sec-release/panel"


def release_workflow_id(release_id: str) -> str:
    """`release/2020-06`: one workflow per release."""
    return f"release/{release_id}"


class CreateRelease(Model):
    """What `release create` decided, after the calendar rules agreed."""

    id: str
    name: str
    type: ReleaseType
    go_live: date
    ad_hoc: bool = False
    actor: Actor
    calendar: WorkingDays
    freezes: list[Freeze] = Field(default_factory=list)
    policy: Policy = Field(default_factory=Policy)


class ReleaseInput(Model):
    """Starts a release (`create`) or continues one as new (`state`)."""

    create: CreateRelease | None = None
    state: ReleaseState | None = None
    clock_offset_seconds: float = 0.0  # business clock = workflow time + offset (0 in production)
    max_history_events: int = 1800  # well below 2,000: handlers finish before the run ends
    max_history_bytes: int = 800_000  # continue as new before a run's history reaches 1 MB
    recorded_seq: int = 0  # audit entries already written to the store
    panel_workflow_id: str = PANEL_WORKFLOW_ID
    # Temporal's time-skipping test server (tests, `rehearse`) leaks its time lock when a child
    # completes after the run that started it has closed, so there a run waits for the appeal
    # windows it started before continuing as new or completing. A real server needs no wait:
    # the windows (parent-close policy ABANDON) outlive the run and report by workflow id.
    hold_for_appeal_windows: bool = False
    # A delivery whose worker stops heartbeating for this long is retried on another worker.
    notice_heartbeat_seconds: float = 30.0
    # The front door's signature on the creation (ACCESS.md): over everything above but `state`
    # and `recorded_seq`, for this workflow id.
    seal: Seal | None = None

    def signed_body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"seal", "state", "recorded_seq"})


class ReleaseResult(Model):
    """What a release workflow returns when the release is closed or cancelled."""

    status: ReleaseStatus


class FreezeSync(Model):
    """The Panel's change freezes, sent to every open release whenever they change."""

    freezes: list[Freeze]


class RegisterRelease(Model):
    release_id: str
    workflow_id: str
    # Kept by the Panel from Temporal's answer when the registration was verified (the release's
    # SecGoLive), never from the signal: a sender's go-live is ignored.
    go_live: date | None = None


class FreezeRequest(Model):
    """`freeze add`: Panel-wide, not tied to one release."""

    actor: Actor
    start: date
    end: date
    reason: str
    seal: Seal | None = None  # the front door's signature (ACCESS.md)

    def signed_body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"seal"})


class PanelInput(Model):
    freezes: list[Freeze] = Field(default_factory=list)
    releases: list[RegisterRelease] = Field(default_factory=list)
    audit: list[AuditEntry] = Field(default_factory=list)
    clock_offset_seconds: float = 0.0
    max_history_events: int = 1800
    # How often the register is reconciled with Temporal (0: never, as in rehearsals).
    reconcile_every_hours: float = 24.0
    # Carried across continue-as-new: the keys the Panel trusts and the request ids it has seen.
    trusted_keys: list[TrustedKey] = Field(default_factory=list)
    seen_requests: dict[str, datetime] = Field(default_factory=dict)


class PanelView(Model):
    freezes: list[Freeze]
    releases: list[str]
    audit: list[AuditEntry]


class AppealWindowInput(Model):
    release_id: str
    release_name: str
    parent_workflow_id: str
    version: str
    published_on: date
    closes_on: date
    clock_offset_seconds: float = 0.0
    # The release decides the window's outcome from its own record (it started the window
    # after that change): the window only times the close and nudges the release.
    release_decides: bool = False


class Determination(Model):
    upheld: bool
    notes: str = ""
    on: date


class AppealOutcome(Model):
    """What an appeal window reports to its release, by signalling the release's workflow id."""

    version: str
    status: AppealStatus
    appeals: int = 0
    notes: str = ""
    hint_only: bool = False  # "look at your record of this window": claims nothing


class AppealWindowView(Model):
    version: str
    closes_on: date
    status: AppealStatus
    appeals: list[Appeal]


class NoticeRequest(Model):
    """The `send_notice` activity's argument: one message a release asks to send."""

    release_id: str
    release_name: str
    go_live: date
    notice: Notice


class NoticeReceipt(Model):
    key: str
    recipients: list[str] = Field(default_factory=list)
    delivered_at: datetime | None = None


class NoticesRequest(Model):
    """The `send_notices` activity's argument: the messages one wake of a release queued, to
    send in this order, each exactly once by its key (as `send_notice` sends one)."""

    release_id: str
    release_name: str
    go_live: date
    notices: list[Notice]

    def one(self, notice: Notice) -> NoticeRequest:
        """The `send_notice` request of one of these notices."""
        return NoticeRequest(
            release_id=self.release_id,
            release_name=self.release_name,
            go_live=self.go_live,
            notice=notice,
        )


class UndeliverableNotice(Model):
    """A notice of a batch that can never be sent: its key and the sentence saying why (the
    message `send_notice`'s `Undeliverable` error carries)."""

    key: str
    sentence: str


class NoticesReceipt(Model):
    """What `send_notices` did, per key: sent (or kept for the digest), or never sendable."""

    sent: list[NoticeReceipt] = Field(default_factory=list)
    undeliverable: list[UndeliverableNotice] = Field(default_factory=list)


class PanelFreezesRequest(Model):
    """The `read_panel_freezes` activity's argument: where the Panel's own list is."""

    panel_workflow_id: str


class DescribeRequest(Model):
    """The `describe_release` activity's argument."""

    workflow_id: str


class ReleaseRunState(Model):
    """What Temporal says of a release's workflow (the `describe_release` activity's answer)."""

    workflow_id: str
    found: bool
    is_release: bool = False
    running: bool = False
    status: str = ""  # Temporal's status name: RUNNING, COMPLETED, TERMINATED, CANCELED, ...
    closed_at: datetime | None = None
    go_live: date | None = None  # the release's own SecGoLive search attribute


class UnfinishedRelease(Model):
    """A register row with no final record and no operator finding yet."""

    release_id: str
    name: str
    go_live: date


class OperatorFinding(Model):
    """A release whose workflow an operator ended outside the rules, found by reconciliation."""

    release_id: str
    name: str
    go_live: date
    how: str


class ReconcileResult(Model):
    checked: int = 0
    findings: list[OperatorFinding] = Field(default_factory=list)


class RecordReceipt(Model):
    """What `record_release` found: audit seqs the store already held with other content."""

    diverged: list[int] = Field(default_factory=list)


class RecordRequest(Model):
    """The `record_release` activity's argument: the register row and new audit entries."""

    release_id: str
    name: str
    type: ReleaseType
    phase: str
    go_live: date
    lapsed: bool
    audit: list[AuditEntry] = Field(default_factory=list)
    final: ReleaseStatus | None = None  # the full record, once the release has ended
    closed_on: date | None = None
    # What the portfolio shows (name, RID version, freeze, open deadlines); None from a run
    # started before releases recorded it (the portfolio then reads that release's status).
    portfolio: PortfolioFacts | None = None
