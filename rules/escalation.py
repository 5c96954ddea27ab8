"""When reminders and escalations go out for a deadline (SPEC section 4, "Escalation").

- A reminder goes to the responsible role `reminder_working_days` before the due date.
- A deadline lapses when its due day ends in Europe/London. Level 1 goes out at the next 09:00
  London time on a Working Day, then one level higher every `step_working_days` up to the top
  of the ladder (`Policy.escalation_top`, default 3), then again at the top level every
  `step_working_days`, until the deadline is met or waived.
- Every send is at 09:00 London time on a Working Day, except this: a deadline already past when
  it was set (a release created late, or re-dated) lapses at once and its level 1 goes out at
  once; level 2 follows `step_working_days` after that day, and each later send the same step
  after the one before. Likewise a reminder whose time has passed when the deadline was set goes
  out at once if the deadline has not lapsed.

Releases that started before the ladder had a top (`ladder=False`) keep the old schedule: one
level higher every step without end, and after an at-once level 1 the levels stay anchored on the
original lapse (level 2 at the next slot of that schedule, which may be the next morning).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

from rules.clock import LONDON, lapse_moment, london
from rules.workdays import WorkingDayCalendar

if TYPE_CHECKING:
    from schemas.state import Policy


class SendKind(StrEnum):
    REMINDER = "reminder"
    ESCALATION = "escalation"


@dataclass(frozen=True)
class ScheduledSend:
    """One reminder or escalation: when (timezone-aware), what, and at which level."""

    at: datetime
    kind: SendKind
    level: int | None
    repeat: int = 1  # the n-th send at this level (above 1 only at the top of the ladder)

    @property
    def day(self) -> date:
        return self.at.astimezone(LONDON).date()

    @property
    def ordinal(self) -> int:
        """Which escalation this is, counting from level 1 (0 for a reminder)."""
        return 0 if self.level is None else self.level + self.repeat - 1

    @property
    def tag(self) -> str:
        """The send's name within one cycle of a deadline: `reminder`, `L1`, `L3`, `L3-2`, ..."""
        if self.level is None:
            return "reminder"
        return f"L{self.level}" if self.repeat == 1 else f"L{self.level}-{self.repeat}"

    @property
    def legacy_tag(self) -> str:
        """The name this send had before the ladder had a top (`L{ordinal}`), so a run that
        continues a release escalated the old way never sends a slot again under a new name."""
        return "reminder" if self.level is None else f"L{self.ordinal}"


def iter_escalation_schedule(
    due: date,
    policy: Policy,
    cal: WorkingDayCalendar,
    *,
    since: datetime | None = None,
    ladder: bool = True,
) -> Iterator[ScheduledSend]:
    """Every send for a deadline that stays unmet, in time order (endless once lapsed).

    `since` is when the deadline took this due date (the release's creation or a re-date);
    sends whose time had already passed then are handled as the module docstring says.
    `ladder=False` is the schedule of releases started before the ladder had a top.
    """
    lapse = lapse_moment(due)
    reminder_day = cal.add(due, -policy.reminder_working_days)
    reminder = london(reminder_day, policy.send_hour)
    if since is None or since <= reminder:
        yield ScheduledSend(reminder, SendKind.REMINDER, None)
    elif since < lapse:
        yield ScheduledSend(since, SendKind.REMINDER, None)

    anchor = cal.next_working_day(due)
    first = london(anchor, policy.send_hour)
    level_one_at = since if since is not None and since >= lapse else first
    yield ScheduledSend(level_one_at, SendKind.ESCALATION, 1)
    if ladder:
        yield from _up_the_ladder(level_one_at, policy, cal)
        return
    level = 2
    day = anchor
    while True:
        # Each slot is `step_working_days` after the previous one: counted once, not from the anchor.
        day = _step(cal, day, policy.step_working_days)
        at = london(day, policy.send_hour)
        if at <= level_one_at:
            continue
        yield ScheduledSend(at, SendKind.ESCALATION, level)
        level += 1


@lru_cache(maxsize=8192)
def _step(cal: WorkingDayCalendar, day: date, working_days: int) -> date:
    """`cal.add(day, working_days)`, remembered: a release walks each open deadline's schedule
    from its start on every wake (`tick`, `next_wake`), so the same steps are counted again and
    again, day by day, as its escalations pile up (pure, so remembering changes no date)."""
    return cal.add(day, working_days)


def _up_the_ladder(
    level_one_at: datetime, policy: Policy, cal: WorkingDayCalendar
) -> Iterator[ScheduledSend]:
    """After level 1: a step of Working Days to each next send, up to the top, then the top again."""
    top = max(policy.escalation_top, 1)
    day = level_one_at.astimezone(LONDON).date()
    level, repeat = 1, 1
    while True:
        day = _step(cal, day, policy.step_working_days)
        if level < top:
            level, repeat = level + 1, 1
        else:
            repeat += 1
        yield ScheduledSend(london(day, policy.send_hour), SendKind.ESCALATION, level, repeat)


def escalation_schedule(
    due: date,
    policy: Policy,
    cal: WorkingDayCalendar,
    *,
    resolved: date | datetime | None = None,
    until: date | datetime | None = None,
    since: datetime | None = None,
    ladder: bool = True,
) -> list[ScheduledSend]:
    """The dated reminders and escalations of a deadline.

    Stops before `resolved` (the date or moment it was met or waived: nothing goes out from
    then on; a date means the start of that day in London) and, if still open, at `until`.
    One of the two must be given, as an unmet deadline escalates for ever.
    """
    if resolved is None and until is None:
        raise ValueError("give `resolved` or `until`: an open deadline escalates for ever")
    stops = [_moment(x) for x in (resolved, until) if x is not None]
    stop = min(stops)
    out = []
    for send in iter_escalation_schedule(due, policy, cal, since=since, ladder=ladder):
        if send.at >= stop:
            break
        out.append(send)
    return out


def _moment(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return london(value)


PANEL_CHAIR = "PANEL_CHAIR"


def escalation_audience(level: int, responsible: list[str]) -> list[str]:
    """Who receives an escalation at `level`, widening as it rises.

    Level 1: SECAS, the Panel chair and whoever owes the deadline; level 2 adds the whole Panel;
    level 3 and above add the TAG and the OPSG (the sub-committees that advise the Panel). A
    ladder whose top is above 3 tells nobody more above level 3.
    """
    audience = ["SECAS", PANEL_CHAIR, *responsible]
    if level >= 2:
        audience.append("PANEL")
    if level >= 3:
        audience += ["TAG", "OPSG"]
    return list(dict.fromkeys(audience))


def reminder_audience(responsible: list[str]) -> list[str]:
    """A reminder goes to whoever owes the deadline, copied to SECAS as project manager."""
    return list(dict.fromkeys([*responsible, "SECAS"]))
