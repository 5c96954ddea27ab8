"""Cost reports (SPEC section 5.1): the DCC's quoted total, forecast, spend updates, actuals.

The arithmetic (totals, variances, amounts in pounds) is in `rules.costs`.
"""

from __future__ import annotations

from decimal import Decimal

from rules import limits
from rules.context import Context
from rules.costs import format_gbp
from rules.deadlines import DeadlineKey
from rules.errors import Refused
from rules.guards import money, system_only
from rules.outcome import Outcome
from rules.registry import handles
from rules.tracking import OPEN, meet
from schemas import commands as c
from schemas.base import Actor
from schemas.state import CostReport, ReleaseState


@handles(c.CostsQuote)
def costs_quote(state: ReleaseState, actor: Actor, cmd: c.CostsQuote, ctx: Context) -> Outcome:
    state.costs.quoted_total = money(cmd.total, "the quoted total")
    state.costs.quoted_on = ctx.today
    return Outcome(f"The DCC's quoted total is {format_gbp(state.costs.quoted_total)}.")


@handles(c.CostsReport)
def costs_report(state: ReleaseState, actor: Actor, cmd: c.CostsReport, ctx: Context) -> Outcome:
    kind = cmd.kind.split("_", 1)[1]
    if cmd.total is None and not cmd.lines:
        raise Refused(
            f"A {kind} cost report gives a total (--total GBP) or line items (--cost LINE=GBP)."
        )
    lines = {line: money(amount, f"the {line.value} cost") for line, amount in cmd.lines.items()}
    total = money(cmd.total, "the total") if cmd.total is not None else None
    commentary = limits.text(
        cmd.commentary, "commentary", limits.TEXT, flag="--commentary", required=False
    )
    report = CostReport(kind=kind, on=ctx.today, total=total, lines=lines, commentary=commentary)
    shown = format_gbp(total if total is not None else sum(lines.values(), Decimal(0)))
    if kind == "forecast":
        state.costs.forecast = report
        return Outcome(f"Forecast Release Cost {shown} recorded.")
    if kind == "spend":
        if len(state.costs.spend) >= limits.MAX_SUBMISSIONS:
            raise Refused("Too many spend updates for one release.")
        state.costs.spend.append(report)
        due = next(
            (d for d in state.deadlines if d.key.startswith("spend_update:") and d.status in OPEN),
            None,
        )
        met = due is not None and meet(state, due.key, ctx.today)
        return Outcome(
            f"Spend update {shown} recorded" + (f"; meets {due.key}." if met and due else ".")
        )
    if ctx.today < state.go_live or not (state.deployed_on or state.sec_updated_on):
        raise Refused(
            f"The actual cost report comes after go-live (from {state.go_live.isoformat()}, once the release is live)."
        )
    state.costs.actual = report
    met = meet(state, DeadlineKey.ACTUAL_COSTS.value, ctx.today)
    return Outcome(
        f"Actual cost report {shown} recorded" + ("; meets actual_costs." if met else ".")
    )


@handles(c.CostsPeriod)
def costs_period(state: ReleaseState, actor: Actor, cmd: c.CostsPeriod, ctx: Context) -> Outcome:
    system_only(state, "set a spend-report period")
    if not 1 <= cmd.months <= 12:
        raise Refused(f"The spend-report period is 1 to 12 months; {cmd.months} is not.")
    state.costs.period_months = cmd.months
    state.costs.period_from = ctx.today
    return Outcome(f"The DCC reports spend every {cmd.months} month(s) until go-live.")
