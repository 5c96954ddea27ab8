"""Starting the deployment's morning digest (`workflows.digest`), once, from `up` / `worker`."""

from __future__ import annotations

from datetime import time

from temporalio.client import Client, WorkflowHandle

from schemas.digest import DIGEST_WORKFLOW_ID, DigestInput
from workflows.digest import DigestWorkflow


async def ensure_digest(
    client: Client,
    task_queue: str,
    at: time,
    *,
    clock_offset_seconds: float = 0.0,
    workflow_id: str = DIGEST_WORKFLOW_ID,
) -> WorkflowHandle[DigestWorkflow, None]:
    """The digest workflow, started if it is not running, and told the time of day.

    Signal-with-start: a running digest keeps its history and takes `at` from the next morning,
    so starting `up` twice, or two workers, never makes a second digest workflow.
    """
    return await client.start_workflow(
        DigestWorkflow.run,
        DigestInput(clock_offset_seconds=clock_offset_seconds, at=at),
        id=workflow_id,
        task_queue=task_queue,
        start_signal="configure",
        start_signal_args=[at],
    )
