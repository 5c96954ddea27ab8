"""The one place that wires workflows, activities and their adapters into a Temporal worker."""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.notices import NoticeActivities, NoticeSender
from activities.records import RecordActivities, ReleaseRegister
from workflows.appeal import AppealWindowWorkflow
from workflows.panel import PanelWorkflow
from workflows.release import ReleaseWorkflow

WORKFLOWS: Sequence[type] = (ReleaseWorkflow, AppealWindowWorkflow, PanelWorkflow)

# The pure rules and the message models are deterministic; load them once, outside the sandbox.
PASSTHROUGH = ("rules", "schemas", "pydantic", "pydantic_core", "holidays", "annotated_types")


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
    )


def build_worker(
    client: Client,
    task_queue: str,
    *,
    sender: NoticeSender,
    register: ReleaseRegister,
) -> Worker:
    """A worker serving every workflow and activity of sec-release on `task_queue`."""
    notices = NoticeActivities(sender)
    records = RecordActivities(register)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        activities=[notices.send_notice, records.record_release],
        workflow_runner=workflow_runner(),
    )
