"""The portfolio's facts of a release, computed on every wake, are those of its whole status."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from rules.clock import london
from rules.status import build_status, portfolio_facts
from schemas.state import Freeze
from schemas.status import PortfolioFacts
from tests.june2020_state import june_2020_state

MOMENTS = [
    london(date(2019, 5, 9), 13),  # created late: lapsed deadlines, RID 0.0
    london(date(2019, 7, 1), 10),
    london(date(2019, 10, 11), 17),  # RID 1.0
    london(date(2020, 1, 15), 9),
    london(date(2020, 5, 20), 13),  # testing, evidence due
    london(date(2020, 7, 2), 9),
    london(date(2020, 9, 30), 13),  # closed: no open deadline left
]


@pytest.mark.parametrize("left_alone", [False, True], ids=["acted on", "left alone"])
@pytest.mark.parametrize("at", MOMENTS, ids=[m.date().isoformat() for m in MOMENTS])
def test_portfolio_facts_are_what_the_status_says(at: datetime, left_alone: bool) -> None:
    state, _ = june_2020_state(at, [] if left_alone else None)
    facts = portfolio_facts(state, at)
    assert facts == PortfolioFacts.of(build_status(state, at))
    if left_alone and at >= MOMENTS[1]:  # lapsed deadlines escalating: the portfolio shows them
        assert any(d.status == "lapsed" for d in facts.deadlines)


def test_a_freeze_over_go_live_is_named_as_the_status_names_it() -> None:
    at = london(date(2020, 1, 15), 9)
    state, _ = june_2020_state(at)
    state.freezes = [
        Freeze(start=date(2020, 6, 1), end=date(2020, 6, 30), reason="year-end change freeze"),
        Freeze(start=date(2020, 1, 1), end=date(2020, 1, 31), reason="January freeze"),
    ]
    facts = portfolio_facts(state, at)
    assert facts == PortfolioFacts.of(build_status(state, at))
    assert facts.freeze == "year-end change freeze"
