"""The lifecycle commands of SPEC section 5, applied to a release's state.

`apply` checks every rule first (raising `Refused` with a sentence before anything changes),
then changes the state and says what it did. The workflow's validator calls `validate`, which
runs `apply` on a copy, so the validator and the handler can never disagree. Anything the
workflow must do beyond the state (start an appeal window, signal it) is returned as an effect.

The rules of each command live in the module named after what it governs; importing them here
registers every handler in `HANDLERS`.
"""

from __future__ import annotations

from datetime import datetime

# Each import registers the handlers of one part of SPEC section 5 (`@handles`).
from rules import (  # noqa: F401
    appeals,
    cost_reports,
    go_no_go,
    golive_and_closure,
    notices,
    redates_and_waivers,
    scope_and_rid,
    tad,
    testing,
)
from rules.audit import audit
from rules.context import Context
from rules.criteria import default_criteria
from rules.errors import Refused
from rules.outcome import Outcome
from rules.permissions import check_permission
from rules.queries import is_system
from rules.registry import HANDLERS
from rules.release_calendar import ReleasePlan
from rules.tracking import is_ended, refresh_deadlines, tick
from schemas import commands as c
from schemas.base import Actor
from schemas.state import Criterion, Freeze, Policy, ReleaseState, WorkingDays
from schemas.text import excerpt

__all__ = ["HANDLERS", "apply", "command_line", "new_release", "validate"]


def new_release(
    plan: ReleasePlan,
    *,
    actor: Actor,
    now: datetime,
    calendar: WorkingDays,
    freezes: list[Freeze],
    policy: Policy,
    audit_sends: bool = True,
    ladder: bool = True,
) -> ReleaseState:
    """The state of a newly created release, deadlines computed, creation audited.

    `audit_sends` and `ladder` are `tick`'s: behaviour a release started before them lacks."""
    state = ReleaseState(
        id=plan.id,
        name=plan.name,
        type=plan.type,
        ad_hoc=plan.ad_hoc,
        created_at=now,
        created_by=str(actor),
        go_live=plan.go_live,
        original_go_live=plan.go_live,
        calendar=calendar,
        policy=policy,
        freezes=freezes,
    )
    if is_system(state):
        state.criteria = [Criterion(key=k, group=g, text=t) for k, g, t in default_criteria()]
    refresh_deadlines(state, now)
    audit(state, now, actor, "release create", f"{plan.name}, go-live {plan.go_live.isoformat()}")
    tick(
        state, now, audit_sends=audit_sends, ladder=ladder
    )  # past deadlines lapse now, level 1 queued
    return state


def command_line(command: c.Command) -> str:
    """The command as the audit trail shows it: as a person types it (`vote go`)."""
    return excerpt(c.typed(command), 300)


def validate(state: ReleaseState, actor: Actor, command: c.Command, ctx: Context) -> None:
    """Refuse (raise `Refused`) exactly when `apply` would; changes nothing.

    It applies the command to a copy rebuilt by pydantic-core (five times faster than a deep
    copy of the state, which grows with the audit trail).
    """
    apply(ReleaseState.model_validate(state.model_dump()), actor, command, ctx)


def apply(state: ReleaseState, actor: Actor, command: c.Command, ctx: Context) -> Outcome:
    """Check `command` against every rule, then apply it and audit it."""
    _permit(command, actor)
    if is_ended(state):
        status = "closed" if state.closed_on else "cancelled"
        day = state.closed_on or state.cancelled_on
        raise Refused(
            f"The {state.name} was {status} on {day.isoformat() if day else '?'}; its record "
            "can be read but nothing more can be done to it."
        )
    handler = HANDLERS[type(command)]
    outcome = handler(state, actor, command, ctx)
    refresh_deadlines(state, ctx.now)
    audit(state, ctx.now, actor, command_line(command), outcome.summary)
    return outcome


def _permit(command: c.Command, actor: Actor) -> None:
    """Refuse unless the actor's role may issue the command (SPEC section 6)."""
    check_permission(command, actor.role)
