"""Faults in the adapters: the mail server down for a day, the database away for a while.

Notices wait and then go out once, in order; the release's workflow never fails because an
adapter did (the activities retry with backoff until the adapter is back).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import make_url
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from rules.clock import london
from schemas.base import Actor
from starter.rehearsal import skip_time
from tests.activities.conftest import MailServer, _admin_execute
from tests.faults.harness import eventually, production

SECAS = Actor.parse("SECAS:David Kemp")
CREATED_LATE = london(date(2019, 7, 1), 10)  # after scope_system and notice_12m lapsed
LEVEL_1 = ["2020-06/notice_12m/c1/L1", "2020-06/scope_system/c1/L1"]
LEVEL_2 = ["2020-06/notice_12m/c1/L2", "2020-06/scope_system/c1/L2"]


async def test_smtp_down_for_a_day_delays_the_escalations_and_each_goes_out_once_in_order(
    private_env: WorkflowEnvironment, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    env = private_env
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    await mail_server.stop()
    async with (
        production(
            env,
            CREATED_LATE,
            store_url=url,
            smtp_port=mail_server.port,
            contacts_file=contacts_file,
        ) as p,
        p.worker(),
    ):
        await p.deployment.create_release(
            "2020-06", actor=SECAS, go_live=None, release_type=None, ad_hoc=False
        )

        async def retrying() -> bool:
            return any(status == "failed-retrying" for _, status in await p.outbox())

        await eventually(retrying, "the first escalation waits, failed-retrying")
        # A day of business time passes with the mail server down (level 2 falls due meanwhile).
        await skip_time(env, timedelta(days=3))
        status = await p.deployment.status("2020-06")
        assert {e.delivery for e in status.escalations} == {"queued"}
        assert mail_server.received == []
        await mail_server.start()  # back, on the same port

        async def all_sent() -> bool:
            await skip_time(env, timedelta(minutes=30))  # the retry backoff tops out at 30 minutes
            return set(LEVEL_1 + LEVEL_2) <= set(await p.sent())

        await eventually(all_sent, "every escalation sent once the server is back")
        description = await p.deployment.handle("2020-06").describe()
    assert description.status == WorkflowExecutionStatus.RUNNING
    assert sorted(mail_server.keys) == sorted(LEVEL_1 + LEVEL_2)  # once each
    order = list(mail_server.keys)
    assert max(order.index(k) for k in LEVEL_1) < min(order.index(k) for k in LEVEL_2)  # in order


@pytest.mark.postgres
async def test_the_database_away_for_a_while_delays_notices_but_loses_none(
    private_env: WorkflowEnvironment, store_url: str, mail_server: MailServer, contacts_file: Path
) -> None:
    env = private_env
    if not store_url.startswith("postgresql"):
        pytest.skip("the outage is made on PostgreSQL (ALLOW_CONNECTIONS false); SQLite is a file")
    database = make_url(store_url).database
    async with (
        production(
            env,
            CREATED_LATE,
            store_url=store_url,
            smtp_port=mail_server.port,
            contacts_file=contacts_file,
        ) as p,
        p.worker(),
    ):
        await _admin_execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        await _admin_execute(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"
        )
        try:
            await p.deployment.create_release(
                "2020-06", actor=SECAS, go_live=None, release_type=None, ad_hoc=False
            )
            await skip_time(env, timedelta(hours=6))
            status = await p.deployment.status("2020-06")
            assert {e.delivery for e in status.escalations} == {"queued"}
            assert mail_server.received == []
        finally:
            await _admin_execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')

        async def sent() -> bool:
            await skip_time(env, timedelta(minutes=30))
            return set(LEVEL_1) <= set(await p.sent())

        await eventually(sent, "the escalations go out once the database is back")
        description = await p.deployment.handle("2020-06").describe()
    assert description.status == WorkflowExecutionStatus.RUNNING
    assert sorted(mail_server.keys) == sorted(LEVEL_1)
