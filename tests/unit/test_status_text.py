"""`status` prints the same text from the front door's JSON as from the model.

`sec-release status ID` over HTTP renders the JSON it receives without building the pydantic
model (bench/README.md, `cli_latency`); the direct path renders the model. The golden files were
printed by the renderer of the model before the change, so these prove the text unchanged.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rules.status import build_status
from schemas.status import ReleaseStatus
from starter.render import status_text
from tests.june2020_state import june_2020_state

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize(
    ("when", "golden"),
    [
        (datetime(2020, 5, 20, 12, tzinfo=UTC), "status_june_2020_testing.txt"),
        (datetime(2020, 9, 30, 12, tzinfo=UTC), "status_june_2020_closed.txt"),
    ],
)
def test_status_prints_the_same_text_from_the_wire_json_as_before(
    when: datetime, golden: str
) -> None:
    state, _ = june_2020_state(when)
    status = build_status(state, when)
    wire = json.loads(status.model_dump_json())  # what the front door answers
    expected = (GOLDEN / golden).read_text(encoding="utf-8").rstrip("\n")
    assert status_text(wire) == expected
    assert status_text(status) == expected
    assert status_text(ReleaseStatus.model_validate(wire)) == expected


def test_every_month_of_june_2020_prints_alike_from_json_and_from_the_model() -> None:
    """Owed steps, the gate, escalations, costs and early life come and go over the months."""
    when = datetime(2019, 3, 1, 12, tzinfo=UTC)
    seen: set[str] = set()
    while when < datetime(2020, 11, 1, tzinfo=UTC):
        state, _ = june_2020_state(when)
        status = build_status(state, when)
        wire = json.loads(status.model_dump_json())
        text = status_text(wire)
        assert text == status_text(ReleaseStatus.model_validate(wire)), when
        seen.update(
            part
            for part in ("Owed next:", "Before a GO vote:", "Costs:", "Escalations", "early-life")
            if part in text
        )
        when += timedelta(days=30)
    assert seen == {"Owed next:", "Before a GO vote:", "Costs:", "Escalations", "early-life"}
