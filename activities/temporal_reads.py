"""Reads of the truth from Temporal itself, for workflows that must not believe a message.

A workflow signalled by another of ours treats the signal as a hint and reads what it needs
from its source through these activities: the Panel workflow's own list of freezes, or what
Temporal says of a release's workflow (is it running, is it a release at all).
"""

from __future__ import annotations

from datetime import date, datetime

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from activities.records import ReleaseRegister
from rules.clock import LONDON
from schemas.workflow_io import (
    DescribeRequest,
    FreezeSync,
    OperatorFinding,
    PanelFreezesRequest,
    PanelView,
    ReconcileResult,
    ReleaseRunState,
    release_workflow_id,
)
from workflows import search

RELEASE_WORKFLOW_TYPE = "ReleaseWorkflow"


class TemporalReads:
    """Activities that read workflows' own state through the worker's client."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @activity.defn(name="read_panel_freezes")
    async def read_panel_freezes(self, request: PanelFreezesRequest) -> FreezeSync | None:
        """The Panel workflow's freezes (None when there is no Panel workflow yet)."""
        handle = self._client.get_workflow_handle(request.panel_workflow_id)
        try:
            view = await handle.query("view", result_type=PanelView)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        return FreezeSync(freezes=view.freezes)

    @activity.defn(name="describe_release")
    async def describe_release(self, request: DescribeRequest) -> ReleaseRunState:
        """Whether `workflow_id` is a release's workflow, and whether it is running."""
        try:
            found = await self._client.get_workflow_handle(request.workflow_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return ReleaseRunState(workflow_id=request.workflow_id, found=False)
            raise
        status = found.status
        return ReleaseRunState(
            workflow_id=request.workflow_id,
            found=True,
            is_release=found.workflow_type == RELEASE_WORKFLOW_TYPE,
            running=status == WorkflowExecutionStatus.RUNNING,
            status=status.name if status is not None else "",
            closed_at=found.close_time,
            go_live=_go_live(found.typed_search_attributes.get(search.GO_LIVE)),
        )


def _go_live(value: datetime | None) -> date | None:
    """SecGoLive (London midnight of the go-live day) as the day."""
    return None if value is None else value.astimezone(LONDON).date()


# What an ended run's status says happened, for a release with no final record.
_HOW = {
    "TERMINATED": "terminated by an operator through Temporal",
    "FAILED": "failed in Temporal",
    "TIMED_OUT": "timed out in Temporal",
    "CANCELED": "cancelled by an operator through Temporal",
}


class Reconciliation:
    """The daily sweep: releases the register holds as open whose workflow is not running."""

    def __init__(self, client: Client, register: ReleaseRegister) -> None:
        self._reads = TemporalReads(client)
        self._register = register

    @activity.defn(name="reconcile_register")
    async def reconcile_register(self) -> ReconcileResult:
        """Mark in the register every open release whose workflow an operator ended; list them.

        A release that ends by the rules (closed, cancelled, or cancelled through Temporal,
        which it records itself) files its final record; one terminated, failed or deleted
        cannot, so only this sweep notices it. Each is found once.
        """
        findings: list[OperatorFinding] = []
        checked = 0
        for row in await self._register.unfinished():
            checked += 1
            run = await self._reads.describe_release(
                DescribeRequest(workflow_id=release_workflow_id(row.release_id))
            )
            if run.found and (run.running or run.status == "COMPLETED"):
                continue  # running, or completed and about to file its record
            how = _HOW.get(run.status, f"ended in Temporal ({run.status.lower()})")
            if not run.found:
                how = "gone from Temporal without a final record (deleted by an operator)"
            elif run.closed_at is not None:
                how = f"{how} on {run.closed_at.date().isoformat()}"
            if await self._register.mark_ended_by(row.release_id, how):
                findings.append(
                    OperatorFinding(
                        release_id=row.release_id, name=row.name, go_live=row.go_live, how=how
                    )
                )
        return ReconcileResult(checked=checked, findings=findings)
