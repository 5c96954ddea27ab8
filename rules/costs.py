"""Costs (SPEC section 5.1): totals computed from line items, in pounds and pence exactly.

A quoted total is kept beside the computed sum, never trusted in its place; where they differ
the difference is shown as a discrepancy (computed minus quoted).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from rules.errors import Refused
from schemas.vocabulary import CostLine

MAX_GBP = Decimal("1000000000000")  # a trillion pounds: far above any release, bounds payloads
_GBP = re.compile(r"^£?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


LINE_LABELS: dict[CostLine, str] = {
    CostLine.DESIGN_BUILD_PIT: "Design, Build & PIT",
    CostLine.SIT: "SIT",
    CostLine.UIT: "UIT",
    CostLine.IMPLEMENT_TO_LIVE: "Implement to live",
    CostLine.ONE_OFF_OPERATIONAL: "One-off operational",
    CostLine.ONGOING_OPERATIONAL: "Ongoing operational",
}


def parse_line(text: str) -> CostLine:
    try:
        return CostLine(text.strip().lower())
    except ValueError:
        known = ", ".join(c.value for c in CostLine)
        raise Refused(f"{text!r} is not a cost line; use one of {known}.") from None


def parse_gbp(text: str) -> Decimal:
    """An amount in pounds: `1180042`, `1,180,042`, `£1,180,042.50`; pence at most."""
    cleaned = text.strip().replace(" ", "")
    if not _GBP.match(cleaned):
        raise Refused(
            f"{text!r} is not an amount in pounds; write it like 1180042 or 1,180,042.50 "
            "(no negative amounts)."
        )
    try:
        amount = Decimal(cleaned.replace("£", "").replace(",", ""))
    except InvalidOperation:
        raise Refused(f"{text!r} is not an amount in pounds; write it like 1180042.") from None
    return check_gbp(amount, text)


def check_gbp(amount: Decimal, shown: str | None = None) -> Decimal:
    """Refuse amounts with fractions of a penny, negative or absurdly large ones."""
    label = shown if shown is not None else str(amount)
    exponent = amount.as_tuple().exponent
    if not isinstance(exponent, int) or exponent < -2:
        raise Refused(f"{label!r} has fractions of a penny; amounts are in pounds and pence.")
    if amount < 0:
        raise Refused(f"{label!r} is negative; costs are amounts of zero or more.")
    if amount >= MAX_GBP:
        raise Refused(f"{label!r} is too large to be a release cost.")
    return amount.quantize(Decimal("0.01"))


def format_gbp(amount: Decimal) -> str:
    """£1,180,042 for whole pounds, £1,180,042.50 otherwise; negative as -£60,000."""
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    if value == value.to_integral_value():
        return f"{sign}£{int(value):,}"
    return f"{sign}£{value:,.2f}"


class CostSummary(NamedTuple):
    """Computed totals per modification and per line, the quoted total and the discrepancy."""

    by_modification: dict[str, Decimal]
    by_line: dict[CostLine, Decimal]
    total: Decimal
    quoted_total: Decimal | None

    @property
    def discrepancy(self) -> Decimal | None:
        """Computed total minus quoted total; None when nothing was quoted."""
        if self.quoted_total is None:
            return None
        return self.total - self.quoted_total


def summarise(
    lines: Mapping[str, Mapping[CostLine, Decimal]], quoted_total: Decimal | None
) -> CostSummary:
    """Totals of the cost breakdown (modification -> line -> amount)."""
    by_mod = {mod: sum(items.values(), Decimal(0)) for mod, items in lines.items()}
    by_line = {
        line: sum((items.get(line, Decimal(0)) for items in lines.values()), Decimal(0))
        for line in CostLine
    }
    return CostSummary(
        by_modification=by_mod,
        by_line={k: v for k, v in by_line.items() if v},
        total=sum(by_mod.values(), Decimal(0)),
        quoted_total=quoted_total,
    )


def variances(
    forecast: Mapping[CostLine, Decimal], actual: Mapping[CostLine, Decimal]
) -> dict[CostLine, Decimal]:
    """Actual minus forecast per line, over every line either side names."""
    keys = [line for line in CostLine if line in forecast or line in actual]
    return {k: actual.get(k, Decimal(0)) - forecast.get(k, Decimal(0)) for k in keys}
