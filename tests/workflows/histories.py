"""Recording workflow histories for the replay tests (tests/replay/histories).

Set SEC_RELEASE_RECORD_HISTORIES=1 to (re)write them from the tests that produce them; commit
the files. `make test` replays every committed history against the current workflow code.

Each history's workflow id is kept beside it (tests/replay/workflow_ids.json): a release checks
that its creation was signed for its own workflow id, so it must replay under the id it ran as.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from temporalio.client import Client, WorkflowHistory

HISTORIES = Path(__file__).parent.parent / "replay" / "histories"
WORKFLOW_IDS = Path(__file__).parent.parent / "replay" / "workflow_ids.json"


async def record_history(
    client: Client, workflow_id: str, name: str, run_id: str | None = None
) -> None:
    if os.environ.get("SEC_RELEASE_RECORD_HISTORIES") != "1":
        return
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    HISTORIES.mkdir(parents=True, exist_ok=True)
    (HISTORIES / f"{name}.json").write_text(history.to_json(), encoding="utf-8")
    ids = json.loads(WORKFLOW_IDS.read_text(encoding="utf-8")) if WORKFLOW_IDS.exists() else {}
    ids[name] = workflow_id
    WORKFLOW_IDS.write_text(json.dumps(ids, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def patch_markers(history: WorkflowHistory) -> list[str]:
    """The patch id of every patch marker in the history, in order."""
    return [
        json.loads(e.marker_recorded_event_attributes.details["patch-data"].payloads[0].data)["id"]
        for e in history.events
        if e.HasField("marker_recorded_event_attributes")
        and e.marker_recorded_event_attributes.marker_name == "core_patch"
    ]


def scheduled(history: WorkflowHistory) -> list[str]:
    """The activity types the history scheduled (regular activities, not local ones)."""
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.HasField("activity_task_scheduled_event_attributes")
    ]
