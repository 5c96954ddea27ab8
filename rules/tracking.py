"""Keeping a release's deadlines current: which apply, when they are due, what goes out when.

`refresh_deadlines` recomputes due dates after anything that moves them (creation, re-date, a
UIT plan, an approval, a spend period, a baseline); `tick` lapses what has lapsed and records
every reminder and escalation whose time has come; `next_wake` says when to look again. The
workflow calls these and sleeps in between; they do no I/O and read no clock.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from rules.audit import SYSTEM, audit
from rules.clock import lapse_moment, london
from rules.deadlines import (
    FIXED,
    WHAT,
    DeadlineKey,
    applies,
    approval_notice_due,
    fixed_due,
    spend_update_dues,
)
from rules.escalation import (
    ScheduledSend,
    SendKind,
    escalation_audience,
    iter_escalation_schedule,
    reminder_audience,
)
from rules.release_calendar import long_date
from rules.workdays import WorkingDayCalendar, shift_months
from schemas.state import (
    AppealStatus,
    Deadline,
    DeadlineStatus,
    ModStatus,
    Notice,
    Policy,
    ReleaseState,
    WorkingDays,
)

OPEN = (DeadlineStatus.PENDING, DeadlineStatus.LAPSED)
DONE = (DeadlineStatus.MET, DeadlineStatus.WAIVED, DeadlineStatus.CLOSED)


@lru_cache(maxsize=64)
def _calendar(first: int, last: int, holidays: tuple[date, ...]) -> WorkingDayCalendar:
    return WorkingDayCalendar.from_dates(holidays, first, last)


def calendar_of(state: ReleaseState) -> WorkingDayCalendar:
    """The Working Day calendar the release holds (fixed at its start)."""
    return working_days(state.calendar)


def working_days(days: WorkingDays) -> WorkingDayCalendar:
    return _calendar(days.first_year, days.last_year, tuple(days.holidays))


def policy_of(state: ReleaseState) -> Policy:
    """How the release escalates (its own policy, fixed at creation)."""
    return state.policy


def deadline(state: ReleaseState, key: str) -> Deadline | None:
    return next((d for d in state.deadlines if d.key == key), None)


def is_ended(state: ReleaseState) -> bool:
    return state.closed_on is not None or state.cancelled_on is not None


def expected_dues(state: ReleaseState) -> dict[str, date | None]:
    """Every deadline the release should have now, with its due date (None: not yet datable)."""
    cal = calendar_of(state)
    dues: dict[str, date | None] = {}
    for key in FIXED:
        if applies(key, state.type):
            dues[key.value] = fixed_due(
                key, state.go_live, cal, state.uit.planned_start, state.uit.planned_end
            )
    for mod in state.modifications:
        if mod.status is ModStatus.APPROVED and mod.approved_on is not None:
            dues[f"{DeadlineKey.APPROVAL_NOTICE.value}:{mod.id}"] = approval_notice_due(
                mod.approved_on, cal
            )
    costs = state.costs
    if costs.period_months and costs.period_from:
        for i, due in enumerate(
            spend_update_dues(costs.period_from, costs.period_months, state.go_live, cal), 1
        ):
            dues[f"{DeadlineKey.SPEND_UPDATE.value}:{i}"] = due
    for window in state.appeals:
        dues[f"{DeadlineKey.APPEAL_WINDOW.value}:{window.version}"] = window.closes_on
    return dues


def _kind(key: str) -> DeadlineKey:
    return DeadlineKey(key.split(":", 1)[0])


def refresh_deadlines(state: ReleaseState, now: datetime) -> None:
    """Bring the deadline list in line with the release: new ones added, moved ones re-dated.

    A deadline whose due date changes starts a new cycle from `now`: its reminders and levels
    start again, and one already past lapses at once with level 1 going out at once.
    Met and waived deadlines keep their record.
    """
    expected = expected_dues(state)
    by_key = {d.key: d for d in state.deadlines}
    kept: list[Deadline] = []
    for key, due in expected.items():
        kind = _kind(key)
        who, what = WHAT[kind]
        current = by_key.pop(key, None)
        if current is None:
            current = Deadline(
                key=key,
                who=list(who),
                what=what,
                escalates=kind is not DeadlineKey.APPEAL_WINDOW,
                cycle=0,
            )
        if current.status in DONE:
            kept.append(current)
            continue
        if due is None:
            current.status = DeadlineStatus.NOT_APPLICABLE
        elif current.due != due or current.status is DeadlineStatus.NOT_APPLICABLE:
            current.status = DeadlineStatus.PENDING
            current.cycle += 1
            current.since = now
            current.level = 0
            current.sent = []
        current.due = due
        kept.append(current)
    # Deadlines no longer expected (a removed modification's notice, a changed spend period)
    # stay on the record if met or waived; open ones go.
    kept += [d for d in by_key.values() if d.status in DONE]
    order = {key.value: i for i, key in enumerate(FIXED)}
    kept.sort(key=lambda d: (d.due or date.max, order.get(d.key, len(order)), d.key))
    for kind in DeadlineKey:
        if not applies(kind, state.type) and kind in FIXED:
            kept.append(
                Deadline(
                    key=kind.value,
                    who=list(WHAT[kind][0]),
                    what=WHAT[kind][1],
                    status=DeadlineStatus.NOT_APPLICABLE,
                    escalates=False,
                )
            )
    state.deadlines = kept


def meet(state: ReleaseState, key: str, on: date) -> bool:
    """Mark a deadline met on `on` (if it is open); True when it changed."""
    found = deadline(state, key)
    if found is None or found.status not in OPEN:
        return False
    found.status = DeadlineStatus.MET
    found.met_on = on
    return True


def reopen(state: ReleaseState, key: str, now: datetime) -> None:
    """Open a met deadline again (e.g. evidence to re-give after a no-go), from `now`."""
    found = deadline(state, key)
    if found is None or found.status is not DeadlineStatus.MET:
        return
    found.status = DeadlineStatus.PENDING
    found.met_on = None
    found.cycle += 1
    found.since = now
    found.level = 0
    found.sent = []


def _subject(state: ReleaseState, d: Deadline, send: ScheduledSend) -> str:
    due = long_date(d.due) if d.due else "?"
    if send.kind is SendKind.REMINDER:
        return f"Reminder: {state.name}: {d.what} by {due} ({d.key})"
    again = f" (repeat {send.repeat})" if send.repeat > 1 else ""
    return f"Escalation level {send.level}{again}: {state.name}: {d.key} lapsed on {due} ({d.what})"


def tick(
    state: ReleaseState, now: datetime, *, audit_sends: bool = True, ladder: bool = True
) -> list[Notice]:
    """Lapse what has lapsed and record every reminder or escalation due by `now`.

    Returns the new notices (also appended to `state.notices`, queued for delivery, and with
    `audit_sends` to the audit trail). Nothing goes out for an ended release, or for a deadline
    met, waived or not applicable. `ladder=False` keeps the escalation schedule of releases that
    started before the ladder had a top (`iter_escalation_schedule`).
    """
    if is_ended(state):
        return []
    policy = policy_of(state)
    cal = calendar_of(state)
    out: list[Notice] = []
    for d in state.deadlines:
        if d.status not in OPEN or d.due is None:
            continue
        lapsed = now >= lapse_moment(d.due)
        if not d.escalates:
            if lapsed:  # an appeal window that has run its course
                d.status = DeadlineStatus.CLOSED
            continue
        if lapsed:
            d.status = DeadlineStatus.LAPSED
        already = set(d.sent)
        for send in iter_escalation_schedule(d.due, policy, cal, since=d.since, ladder=ladder):
            if send.at > now:
                break
            tag = send.tag
            # A slot sent under its old name (`L7` before the ladder had a top) is not sent again.
            if tag in already or send.legacy_tag in already:
                continue
            d.sent.append(tag)
            if send.level:
                d.level = send.level
            audience = (
                reminder_audience([r.value for r in d.who])
                if send.kind is SendKind.REMINDER
                else escalation_audience(send.level or 1, [r.value for r in d.who])
            )
            notice = Notice(
                key=f"{state.id}/{d.key}/c{d.cycle}/{tag}",
                kind=send.kind.value,
                at=send.at,
                subject=_subject(state, d, send),
                to=audience,
                deadline=d.key,
                level=send.level,
                due=d.due,
            )
            state.notices.append(notice)
            out.append(notice)
            if audit_sends:
                # As `status` prints it: the kind, the deadline and its date.
                what = send.kind.value + (f" level {send.level}" if send.level else "")
                what += f" for {d.key}" + (f" (due {d.due.isoformat()})" if d.due else "")
                what += f", repeat {send.repeat}" if send.repeat > 1 else ""
                audit(state, send.at, SYSTEM, what, f"{notice.subject}; to {', '.join(audience)}")
    return out


def next_wake(state: ReleaseState, now: datetime, *, ladder: bool = True) -> datetime | None:
    """The next moment something is due: a send, a lapse, an appeal window closing, a phase change.

    `ladder` as for `tick`: the two must agree, or the release wakes when nothing is due.
    """
    if is_ended(state):
        return None
    policy = policy_of(state)
    cal = calendar_of(state)
    moments: list[datetime] = []
    for d in state.deadlines:
        if d.status not in OPEN or d.due is None:
            continue
        lapse = lapse_moment(d.due)
        if lapse > now:
            moments.append(lapse)
        if not d.escalates:
            continue
        for send in iter_escalation_schedule(d.due, policy, cal, since=d.since, ladder=ladder):
            if send.at > now:
                moments.append(send.at)
                break
    for window in state.appeals:
        if window.status is AppealStatus.OPEN and lapse_moment(window.closes_on) > now:
            moments.append(lapse_moment(window.closes_on))
    review = early_life_end(state)
    if review is not None and london(review) > now:
        moments.append(london(review))
    return min(moments, default=None)


def early_life_end(state: ReleaseState) -> date | None:
    """When early-life monitoring ends and the release review begins (go-live + N months)."""
    if state.sec_updated_on is None:
        return None
    return shift_months(state.go_live, state.policy.early_life_months)
