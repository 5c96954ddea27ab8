"""End to end on the time-skipping server: a release's escalations go out by email, once each,
through the real workflow, the SQL outbox and aiosmtpd; the register records the release.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path

from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.mail import OutboxSender, SmtpTarget, list_outbox
from activities.register import SqlRegister
from activities.store import OutboxStatus, open_engine, session_factory, upgrade_store
from rules.clock import london
from schemas.base import Actor
from schemas.workflow_io import release_workflow_id
from starter.client import Clock, ReleaseClient
from starter.rehearsal import skip_time
from tests.activities.conftest import MailServer
from tests.keys import keys_for_tests, signer_for_tests
from worker import STARVED_CPU_STALL_SECONDS, build_worker

SECAS = Actor.parse("SECAS:David Kemp")
# A week after the scope_system and notice_12m deadlines (25 June 2019) lapsed.
CREATED_LATE = london(date(2019, 7, 1), 10)


async def eventually(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 30) -> None:
    """Wait (in real time: activities run for real) until `check` holds."""
    for _ in range(int(seconds * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"still waiting after {seconds} s: {what}")


async def test_a_release_created_late_mails_each_escalation_once_as_levels_rise(
    env: WorkflowEnvironment, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    engine = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'sec-release.db'}")
    await upgrade_store(engine)
    sessions = session_factory(engine)
    sender = OutboxSender(
        sessions,
        smtp=SmtpTarget("127.0.0.1", mail_server.port),
        mail_from="sec-release@secas.example",
        contacts_file=contacts_file,
    )
    register = SqlRegister(sessions)
    task_queue = f"escalations-by-email-{uuid.uuid4()}"
    clock = Clock(source=env.get_current_time)
    clock.offset = CREATED_LATE - await env.get_current_time()
    deployment = ReleaseClient(
        client=env.client,
        task_queue=task_queue,
        clock=clock,
        panel_id=f"{task_queue}/panel",
        reuse_ids=True,  # the same release on one server, once per store
        reconcile_every_hours=0,
        signer=signer_for_tests(),
    )

    async def sent_keys() -> list[str]:
        return [r.key for r in await list_outbox(sessions) if r.status == OutboxStatus.SENT]

    try:
        async with build_worker(
            env.client,
            task_queue,
            sender=sender,
            register=register,
            keys=keys_for_tests,
            stall_seconds=STARVED_CPU_STALL_SECONDS,
        ):
            await deployment.create_release(
                "2020-06", actor=SECAS, go_live=None, release_type=None, ad_hoc=False
            )
            level_1 = ["2020-06/scope_system/c1/L1", "2020-06/notice_12m/c1/L1"]
            await eventually(lambda: _has(sent_keys, level_1), "level 1 sent at once")

            # Level 2 at 09:00 five Working Days after level 1 went out (Monday 1 July 2019).
            await skip_time(env, london(date(2019, 7, 8), 10) - await clock.now())
            level_2 = ["2020-06/scope_system/c1/L2", "2020-06/notice_12m/c1/L2"]
            await eventually(lambda: _has(sent_keys, level_1 + level_2), "level 2 sent")

            async def delivered_in_status() -> bool:
                status = await deployment.status("2020-06")
                return all(e.delivery == "sent" for e in status.escalations)

            await eventually(delivered_in_status, "the release sees them delivered")
            releases = await register.releases()
            trail = await register.audit_trail("2020-06")
    finally:
        for workflow_id in (release_workflow_id("2020-06"), deployment.panel_id):
            with contextlib.suppress(RPCError):
                await env.client.get_workflow_handle(workflow_id).terminate("test over")
        await engine.dispose()

    assert sorted(mail_server.keys) == sorted(level_1 + level_2)  # each exactly once
    assert set(mail_server.keys[:2]) == set(level_1)  # level 1 before level 2
    first = mail_server.received[0]
    assert str(first["Subject"]).startswith("Escalation level 1: June 2020 SEC Release")
    assert "panel-chair@secas.example" in mail_server.envelopes[0]  # no chair set: default
    assert [(r.id, r.phase) for r in releases] == [("2020-06", "DRAFTING")]
    assert trail[0].command.startswith("release create")


async def _has(keys: Callable[[], Awaitable[list[str]]], wanted: list[str]) -> bool:
    return set(wanted) <= set(await keys())
