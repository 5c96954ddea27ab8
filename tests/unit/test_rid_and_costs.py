"""RID versions and costs (SPEC section 5.1)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.costs import format_gbp, parse_gbp, summarise, variances
from rules.errors import Refused
from rules.rid import RidVersion, check_not_frozen
from schemas.vocabulary import CostLine
from tests.seed_data import rid_cost_breakdown, rid_quoted_total, rid_version_history


def test_the_june_2020_version_history_follows_the_versioning_rule() -> None:
    history = rid_version_history()
    version = RidVersion()
    for row in history:
        expected = RidVersion.parse(row.version)
        # A baseline row says the Panel baselined it, or (3.0) follows a baseline directly.
        step = version.next_baseline() if expected.is_baseline else version.next_draft()
        assert step == expected, row
        version = step
    assert str(version) == "3.0"


def test_versions_parse_and_order() -> None:
    assert RidVersion.parse("1.10") > RidVersion.parse("1.9")
    assert str(RidVersion(2, 0).next_draft()) == "2.1"
    assert str(RidVersion(0, 3).next_baseline()) == "1.0"
    assert not RidVersion().exists
    with pytest.raises(Refused, match="not a RID version"):
        RidVersion.parse("v3")


def test_a_frozen_rid_refuses_content_changes() -> None:
    check_not_frozen(False, "add a modification")
    with pytest.raises(Refused, match=r"frozen since the one-month notice .* add a modification"):
        check_not_frozen(True, "add a modification")


def test_june_2020_costs_total_differs_from_the_quote() -> None:
    breakdown = {
        mod: {CostLine(line): amount for line, amount in lines.items()}
        for mod, lines in rid_cost_breakdown().items()
    }
    summary = summarise(breakdown, rid_quoted_total())
    assert summary.by_modification == {"SECMP0053": Decimal(91650), "SECMP0062": Decimal(1088392)}
    assert summary.total == Decimal(1180042)
    assert format_gbp(summary.total) == "£1,180,042"
    assert summary.quoted_total == Decimal(1120042)
    assert summary.discrepancy == Decimal(60000)
    assert summary.by_line[CostLine.SIT] == Decimal(26639 + 96995)


@pytest.mark.parametrize(
    ("text", "pence"),
    [("1180042", 118004200), ("1,180,042", 118004200), ("£1,180,042.50", 118004250), ("0.01", 1)],
)
def test_amounts_parse_exactly(text: str, pence: int) -> None:
    assert parse_gbp(text) * 100 == pence


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("-5", "not an amount"),
        ("1.005", "fractions of a penny"),
        ("12,34", "not an amount"),
        ("ten", "not an amount"),
        ("", "not an amount"),
        ("1" * 14, "too large"),
    ],
)
def test_bad_amounts_are_refused(text: str, sentence: str) -> None:
    with pytest.raises(Refused, match=sentence):
        parse_gbp(text)


def test_money_is_shown_as_the_seeds_show_it() -> None:
    assert format_gbp(Decimal("1120042")) == "£1,120,042"
    assert format_gbp(Decimal("1200.50")) == "£1,200.50"
    assert format_gbp(Decimal("-60000")) == "-£60,000"


def test_variances_are_actual_minus_forecast_per_line() -> None:
    forecast = {CostLine.SIT: Decimal(100), CostLine.UIT: Decimal(50)}
    actual = {CostLine.SIT: Decimal(120), CostLine.IMPLEMENT_TO_LIVE: Decimal(5)}
    assert variances(forecast, actual) == {
        CostLine.SIT: Decimal(20),
        CostLine.UIT: Decimal(-50),
        CostLine.IMPLEMENT_TO_LIVE: Decimal(5),
    }


@given(st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=12))
def test_totals_are_pence_exact(pence: list[int]) -> None:
    amounts = [Decimal(p) / 100 for p in pence]
    lines = {f"MP{i:03d}": {CostLine.SIT: a} for i, a in enumerate(amounts)}
    assert summarise(lines, None).total * 100 == sum(pence)
    assert parse_gbp(f"{sum(amounts):.2f}") == sum(amounts)
