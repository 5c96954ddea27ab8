"""The status document of a release, built from its state at a moment (pure)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from rules.clock import lapse_moment
from rules.context import Context
from rules.costs import summarise, variances
from rules.owed import owed_now
from rules.queries import gate, owed, phase
from rules.redates_and_waivers import freeze_warnings
from rules.tracking import early_life_end
from schemas.state import (
    Deadline,
    DeadlineStatus,
    ModStatus,
    Notice,
    ReleaseFacts,
    ReleaseState,
    TestingRecord,
)
from schemas.status import (
    OPEN_DEADLINES,
    CostsStatus,
    DeadlineRow,
    DefectsStatus,
    MessageRow,
    OwedRow,
    PortfolioFacts,
    ReleaseStatus,
    RidStatus,
)

ESCALATION_KINDS = ("reminder", "escalation")


def _message(n: Notice) -> MessageRow:
    return MessageRow(
        key=n.key,
        kind=n.kind,
        at=n.at,
        subject=n.subject,
        to=n.to,
        deadline=n.deadline,
        level=n.level,
        due=n.due,
        delivery=n.delivery.value,
    )


def _lapsed_now(d: Deadline, now: datetime) -> bool:
    """Lapsed, or pending with its day ended (it reads lapsed before the workflow wakes)."""
    if d.status is DeadlineStatus.LAPSED:
        return True
    return (
        d.status is DeadlineStatus.PENDING
        and d.due is not None
        and d.escalates
        and now >= lapse_moment(d.due)
    )


def _status_now(state: ReleaseState, d: Deadline, now: datetime) -> str:
    """The deadline's status as of `now`.

    A cancelled release owes nothing: a deadline still open (pending or lapsed) reads not
    applicable; one missed before the cancellation stays marked late, with its level.
    """
    if state.cancelled_on is not None and d.status in (
        DeadlineStatus.PENDING,
        DeadlineStatus.LAPSED,
    ):
        return DeadlineStatus.NOT_APPLICABLE.value
    return DeadlineStatus.LAPSED.value if _lapsed_now(d, now) else d.status.value


def _is_late(state: ReleaseState, d: Deadline, now: datetime) -> bool:
    """Missed: lapsed (for a cancelled release, lapsed before it was cancelled), or met late."""
    if d.met_on is not None and d.due is not None and d.met_on > d.due:
        return True
    if state.cancelled_on is not None:
        return d.status is DeadlineStatus.LAPSED
    return _lapsed_now(d, now)


def _by_time(notices: list[Notice]) -> list[Notice]:
    return sorted(notices, key=lambda n: (n.at, n.key))


def costs_status(state: ReleaseState) -> CostsStatus:
    in_scope = [m for m in state.modifications if m.status is not ModStatus.REMOVED and m.costs]
    summary = summarise({m.id: m.costs for m in in_scope}, state.costs.quoted_total)
    c = state.costs
    var: dict[str, Decimal] = {}
    if c.forecast is not None and c.actual is not None:
        var = {k.value: v for k, v in variances(c.forecast.lines, c.actual.lines).items()}
        if c.forecast.total is not None and c.actual.total is not None:
            var["total"] = c.actual.total - c.forecast.total
    return CostsStatus(
        total=summary.total,
        quoted_total=summary.quoted_total,
        discrepancy=summary.discrepancy,
        by_modification=summary.by_modification,
        by_line={k.value: v for k, v in summary.by_line.items()},
        forecast=c.forecast,
        spend=c.spend,
        actual=c.actual,
        variances=var,
        period_months=c.period_months,
    )


def build_status(state: ReleaseState, now: datetime) -> ReleaseStatus:
    """The status of `state` as of business time `now`."""
    ctx = Context(now)
    today = ctx.today
    return ReleaseStatus(
        **{name: getattr(state, name) for name in ReleaseFacts.model_fields if name != "audit"},
        # The signatures stay in the record (and the store, for `audit verify`), not the status.
        audit=[
            e.model_copy(update={"signature": "", "signed": ""}) if e.signed else e
            for e in state.audit
        ],
        phase=phase(state, today).value,
        as_of=now,
        rid=RidStatus(
            version=state.rid_version,
            frozen=state.rid_frozen_on is not None,
            frozen_on=state.rid_frozen_on,
            changed_since_baseline=bool(state.rid_changes),
            changes_since_baseline=state.rid_changes,
            history=state.rid_history,
        ),
        deadlines=[_deadline_row(state, d, now) for d in state.deadlines],
        owed=[
            OwedRow(
                role=o.role.value,
                action=o.action,
                due=o.due,
                overdue=o.due is not None and o.due < today,
                command=o.command,
                detail=o.detail,
            )
            for o in owed_now(state, today)
        ],
        costs=costs_status(state),
        defects=DefectsStatus(reported=True, **state.defects.model_dump())
        if state.defects is not None
        else DefectsStatus(),
        gate=gate(state),
        testing=TestingRecord(**{k: getattr(state, k) for k in TestingRecord.model_fields}),
        escalations=[_message(n) for n in _by_time(state.notices) if n.kind in ESCALATION_KINDS],
        notices=[_message(n) for n in _by_time(state.notices) if n.kind not in ESCALATION_KINDS],
        warnings=freeze_warnings(state),
        early_life_ends=early_life_end(state),
    )


def _deadline_row(state: ReleaseState, d: Deadline, now: datetime) -> DeadlineRow:
    return DeadlineRow(
        key=d.key,
        due=d.due,
        status=_status_now(state, d, now),
        met_on=d.met_on if d.status is DeadlineStatus.MET else None,
        escalation_level=d.level,
        who=[r.value for r in d.who],
        what=d.what,
        waived_reason=d.waived_reason,
        late=_is_late(state, d, now),
    )


def portfolio_facts(state: ReleaseState, now: datetime) -> PortfolioFacts:
    """`PortfolioFacts.of(build_status(state, now))`, without building the rest of the status
    (the audit trail, costs, notices): the release works these out after every command."""
    rows = (_deadline_row(state, d, now) for d in state.deadlines if d.due is not None)
    return PortfolioFacts(
        name=state.name,
        as_of=now,
        rid_version=state.rid_version,
        freeze=next((f.reason for f in state.freezes if f.start <= state.go_live <= f.end), None),
        deadlines=[row for row in rows if row.status in OPEN_DEADLINES],
    )


def has_lapsed(state: ReleaseState) -> bool:
    return any(d.status is DeadlineStatus.LAPSED for d in state.deadlines)


def owing_roles(state: ReleaseState, now: datetime, *, lifecycle: bool = True) -> list[str]:
    """The roles that owe something now (a search attribute for `inbox`).

    `lifecycle=False` keeps the roles of the list as it was before `rules.owed` (runs recorded
    before it upsert what their histories hold).
    """
    today = Context(now).today
    return sorted({o.role.value for o in (owed_now if lifecycle else owed)(state, today)})
