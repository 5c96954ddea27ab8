"""Replay every recorded history against the current workflow code.

A change to workflow code that would break a running release (a different command where the
history has another) fails here. Behaviour that must change under running releases goes behind
`workflow.patched`. Histories are (re)recorded with SEC_RELEASE_RECORD_HISTORIES=1 (see
tests/workflows/histories.py) and committed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import WORKFLOWS, workflow_runner

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
TEXTS = {p.stem: p.read_text(encoding="utf-8") for p in HISTORIES}  # read once, not in async code
# The workflow id each history ran under (written by tests/workflows/histories.py); histories
# recorded before it was kept replay under their name, as they always did.
WORKFLOW_IDS: dict[str, str] = json.loads(
    (Path(__file__).parent / "workflow_ids.json").read_text(encoding="utf-8")
)


def test_there_are_histories_to_replay() -> None:
    names = {p.stem for p in HISTORIES}
    assert {
        "june2020_release",
        "june2020_appeal_2_0",
        "june2020_first_run_before_continue_as_new",
        "panel_freezes",
    } <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays_on_current_code(path: Path) -> None:
    replayer = Replayer(
        workflows=list(WORKFLOWS),
        data_converter=pydantic_data_converter,
        workflow_runner=workflow_runner(strict=True),
        # Replay proves determinism, not speed: the SDK's 2-second deadlock detector only
        # measures how busy the machine is (it tripped here at a load average of 20).
        debug_mode=True,
    )
    history = WorkflowHistory.from_json(WORKFLOW_IDS.get(path.stem, path.stem), TEXTS[path.stem])
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
