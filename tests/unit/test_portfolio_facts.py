"""The portfolio's facts a release records after every command (`rules.status.portfolio_facts`)
are exactly those of its whole status, worked out without building the status."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from rules.status import build_status, portfolio_facts
from schemas.state import Freeze
from schemas.status import PortfolioFacts
from tests.june2020_state import june_2020_state

MOMENTS = [
    datetime(2019, 5, 9, 12, tzinfo=UTC),  # created late: lapsed deadlines, RID 0.0
    datetime(2019, 10, 11, 16, tzinfo=UTC),  # RID 1.0
    datetime(2020, 1, 21, 12, tzinfo=UTC),  # documentation scope baselined
    datetime(2020, 5, 20, 12, tzinfo=UTC),  # testing, evidence due
    datetime(2020, 9, 30, 12, tzinfo=UTC),  # closed: no open deadline left
]


@pytest.mark.parametrize("when", MOMENTS, ids=[m.date().isoformat() for m in MOMENTS])
def test_the_portfolio_facts_are_those_of_the_whole_status(when: datetime) -> None:
    state, _ = june_2020_state(when)
    assert portfolio_facts(state, when) == PortfolioFacts.of(build_status(state, when))


def test_a_freeze_over_the_go_live_is_named_and_one_beside_it_is_not() -> None:
    when = datetime(2020, 5, 20, 12, tzinfo=UTC)
    state, _ = june_2020_state(when)
    state.freezes = [
        Freeze(start=date(2020, 1, 1), end=date(2020, 1, 31), reason="January migration"),
        Freeze(start=date(2020, 6, 1), end=date(2020, 6, 30), reason="SMETS1 migration"),
    ]
    facts = portfolio_facts(state, when)
    assert facts == PortfolioFacts.of(build_status(state, when))
    assert facts.freeze == "SMETS1 migration"
