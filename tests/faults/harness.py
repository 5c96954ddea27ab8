"""A release on the time-skipping server with the production adapters (SQL outbox + SMTP)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.mail import OutboxSender, SmtpTarget, list_outbox
from activities.register import SqlRegister
from activities.store import OutboxStatus, open_engine, session_factory, upgrade_store
from schemas.workflow_io import release_workflow_id
from starter.client import Clock, ReleaseClient
from tests.keys import keys_for_tests, signer_for_tests
from worker import STARVED_CPU_STALL_SECONDS, build_worker


async def notice_batches(client: Client, workflow_id: str) -> list[list[str]]:
    """The keys of each `send_notices` activity the workflow scheduled, in its history's order."""
    from temporalio.contrib.pydantic import pydantic_data_converter

    from schemas.workflow_io import NoticesRequest

    batches: list[list[str]] = []
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if not event.HasField("activity_task_scheduled_event_attributes"):
            continue
        scheduled = event.activity_task_scheduled_event_attributes
        if scheduled.activity_type.name == "send_notices":
            [request] = await pydantic_data_converter.decode(
                scheduled.input.payloads, [NoticesRequest]
            )
            batches.append([n.key for n in request.notices])
    return batches


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 60) -> None:
    """Wait in real time (activities run for real) until `check` holds."""
    for _ in range(int(seconds * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"still waiting after {seconds} s: {what}")


@dataclass
class Production:
    client: Client
    deployment: ReleaseClient
    sender: OutboxSender
    register: SqlRegister
    task_queue: str
    sessions: async_sessionmaker[AsyncSession]

    def worker(self) -> Worker:
        return build_worker(
            self.client,
            self.task_queue,
            sender=self.sender,
            register=self.register,
            keys=keys_for_tests,
            stall_seconds=STARVED_CPU_STALL_SECONDS,
        )

    async def outbox(self) -> list[tuple[str, str]]:
        return [(r.key, str(r.status)) for r in await list_outbox(self.sessions)]

    async def sent(self) -> list[str]:
        return [k for k, s in await self.outbox() if s == str(OutboxStatus.SENT)]


@contextlib.asynccontextmanager
async def production(
    env: WorkflowEnvironment | Client,
    start: datetime,
    *,
    store_url: str,
    smtp_port: int,
    contacts_file: Path,
    max_history_events: int = 2000,
    terminate: bool = True,
    reuse_ids: bool = True,
    reconcile_every_hours: float = 0,
) -> AsyncIterator[Production]:
    """The adapters and a deployment whose business clock reads `start` now.

    `env` is a time-skipping environment, or a client of a real (dev) server, whose clock is the
    machine's: there the business clock is simply offset from it.
    """
    client = env if isinstance(env, Client) else env.client
    engine = open_engine(store_url)
    await upgrade_store(engine)
    sessions = session_factory(engine)
    sender = OutboxSender(
        sessions,
        smtp=SmtpTarget("127.0.0.1", smtp_port, timeout=5),
        mail_from="sec-release@secas.example",
        contacts_file=contacts_file,
    )
    task_queue = f"faults-{uuid.uuid4()}"
    clock = Clock(source=None if isinstance(env, Client) else env.get_current_time)
    clock.offset = start - await clock.now()
    deployment = ReleaseClient(
        client=client,
        task_queue=task_queue,
        clock=clock,
        panel_id=f"{task_queue}/panel",
        max_history_events=max_history_events,
        # Only Temporal's test server needs a run to wait for its appeal windows (see
        # ReleaseInput.hold_for_appeal_windows); a real server lets them outlive the run.
        hold_for_appeal_windows=not isinstance(env, Client),
        notice_heartbeat_seconds=3.0,  # a dead worker's delivery is retried within seconds
        reuse_ids=reuse_ids,  # each fault test re-creates the same release on one server
        id_in_register=SqlRegister(sessions).taken,
        reconcile_every_hours=reconcile_every_hours,
        signer=signer_for_tests(),
    )
    try:
        yield Production(client, deployment, sender, SqlRegister(sessions), task_queue, sessions)
    finally:
        for workflow_id in (
            (release_workflow_id("2020-06"), deployment.panel_id) if terminate else ()
        ):
            with contextlib.suppress(RPCError):
                await client.get_workflow_handle(workflow_id).terminate("test over")
        await engine.dispose()
