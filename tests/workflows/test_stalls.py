"""A rehearsal's worker lets an activation run long on a starved CPU instead of failing it as a
deadlock after the SDK's 2 s (`worker.allow_stalls`): on the time-skipping server a failed
activation that cannot be evicted holds the clock, and the rehearsal, for good."""

from __future__ import annotations

import uuid

from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from worker import STARVED_CPU_STALL_SECONDS, allow_stalls, workflow_runner

STALL_SECONDS = 2.5  # over the SDK's 2 s


@workflow.defn(sandboxed=False)
class Stall:
    """Holds its first activation for `seconds` of wall time without yielding, as a starved
    CPU would."""

    @workflow.run
    async def run(self, seconds: float) -> str:
        import time  # the wall clock, on purpose: this stands for a starved CPU

        end = time.monotonic() + seconds
        while time.monotonic() < end:
            pass
        return "went on"


def _worker(env: WorkflowEnvironment, task_queue: str) -> Worker:
    return Worker(
        env.client, task_queue=task_queue, workflows=[Stall], workflow_runner=workflow_runner()
    )


async def test_an_activation_held_past_two_seconds_goes_on_where_stalls_are_allowed(
    env: WorkflowEnvironment,
) -> None:
    task_queue = f"stall-{uuid.uuid4()}"
    worker = _worker(env, task_queue)
    allow_stalls(worker, STARVED_CPU_STALL_SECONDS)
    async with worker:
        answer = await env.client.execute_workflow(
            Stall.run, STALL_SECONDS, id=f"stall-{uuid.uuid4()}", task_queue=task_queue
        )
    assert answer == "went on"


def test_allow_stalls_reaches_the_sdks_deadlock_timer(env: WorkflowEnvironment) -> None:
    worker = _worker(env, f"stall-{uuid.uuid4()}")
    inner = worker._workflow_worker
    assert inner is not None
    assert inner._deadlock_timeout_seconds == 2  # the SDK's own, where nothing is said
    allow_stalls(worker, 42.0)
    assert inner._deadlock_timeout_seconds == 42.0
