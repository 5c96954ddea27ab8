"""The dev server stopped across a due escalation, and two actors racing for one action."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from rules.clock import LONDON, london
from rules.errors import Refused
from schemas import commands as c
from settings import Settings
from starter.client import Connection, connect
from starter.devserver import dev_server
from starter.rehearsal import Rehearsal
from tests.activities.conftest import MailServer
from tests.faults.conftest import _free_port
from tests.faults.harness import eventually, production
from tests.june2020 import AUTHORITY, PANEL, SECAS

# The reminder of the DCC's draft TAD (due Wednesday 25 September 2019), 5 Working Days before.
DUE_AT_NINE = ["2020-06/tad_to_tag/c1/reminder"]


async def test_a_timer_due_while_the_server_was_down_fires_at_its_business_time_after_restart(
    tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    settings = Settings(SEC_RELEASE_DATA_DIR=str(tmp_path / "server"))
    ports = (_free_port(), _free_port())
    # Business time 08:59:45 on Wednesday 18 September 2019: the reminder of the draft TAD falls
    # due at 09:00, fifteen seconds from now, while the server will be down.
    start = london(date(2019, 9, 18), 9) - timedelta(seconds=15)
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    async with dev_server(settings, *ports) as address:
        client = await connect(Connection(address=address))
        async with production(
            client,
            start,
            store_url=url,
            smtp_port=mail_server.port,
            contacts_file=contacts_file,
            terminate=False,  # the release must outlive this server run
        ) as p:
            async with p.worker():
                await p.deployment.create_release(
                    "2020-06", actor=SECAS, go_live=None, release_type=None, ad_hoc=False
                )
            offset, task_queue = p.deployment.clock.offset, p.task_queue
            # The server stops here (with the worker) and stays down past 09:00 business time.
            await _wait_until(start + timedelta(seconds=22), offset)
    assert not set(DUE_AT_NINE) & set(mail_server.keys)
    async with dev_server(settings, *ports) as address:  # the same SQLite file: state survived
        client = await connect(Connection(address=address))
        async with production(
            client, start, store_url=url, smtp_port=mail_server.port, contacts_file=contacts_file
        ) as p:
            p.deployment.clock.offset, p.task_queue = offset, task_queue
            async with p.worker():

                async def reminded() -> bool:
                    return set(DUE_AT_NINE) <= set(await p.sent())

                await eventually(reminded, "the reminder after the restart")
                status = await p.deployment.status("2020-06")
    fired = {e.key: e.at.astimezone(LONDON) for e in status.escalations if e.key in DUE_AT_NINE}
    assert set(fired.values()) == {london(date(2019, 9, 18), 9)}  # its own business time
    assert sorted(k for k in mail_server.keys if k in DUE_AT_NINE) == sorted(
        DUE_AT_NINE
    )  # once each


async def _wait_until(business: datetime, offset: timedelta) -> None:
    remaining = business - (datetime.now(UTC) + offset)
    if remaining > timedelta(0):
        await asyncio.sleep(remaining.total_seconds())


async def _ready_documentation_release(r: Rehearsal) -> None:
    await r.deployment.create_release(
        "2021-02", actor=SECAS, go_live=None, release_type=None, ad_hoc=False
    )
    r.release_ids.append("2021-02")
    for actor, command in (
        (SECAS, c.ModAdd(mod="MP099", title="Panel voting rules", system=False)),
        (PANEL, c.RidBaseline()),
        (SECAS, c.ReadinessConfirm()),
    ):
        await r.deployment.act("2021-02", actor, command)


async def test_two_actors_racing_for_one_action_one_wins_and_the_other_is_told_why(
    env: WorkflowEnvironment,
) -> None:
    async with Rehearsal(env, london(date(2020, 2, 3), 10)) as r:
        await _ready_documentation_release(r)
        both = await asyncio.gather(
            r.deployment.act("2021-02", PANEL, c.VoteCast(go=True)),
            r.deployment.act("2021-02", PANEL, c.VoteCast(go=True)),
            return_exceptions=True,
        )
        wins = [x for x in both if not isinstance(x, BaseException)]
        losses = [x for x in both if isinstance(x, Refused)]
        assert len(wins) == 1
        assert len(losses) == 1
        assert "The Panel already voted GO on 2020-02-03" in losses[0].sentence
        same = await asyncio.gather(
            r.deployment.act("2021-02", SECAS, c.ModAdd(mod="MP100", title="A", system=False)),
            r.deployment.act("2021-02", SECAS, c.ModAdd(mod="MP100", title="B", system=False)),
            return_exceptions=True,
        )
        assert sorted(type(x).__name__ for x in same) == ["ActResult", "Refused"]
        status = await r.deployment.status("2021-02")
        assert [m.id for m in status.modifications].count("MP100") == 1
        assert len([v for v in status.votes if v.go]) == 1


async def test_a_vote_racing_a_redate_leaves_a_consistent_release(env: WorkflowEnvironment) -> None:
    async with Rehearsal(env, london(date(2020, 2, 3), 10)) as r:
        await _ready_documentation_release(r)
        await r.deployment.act(
            "2021-02", PANEL, c.RedateRequest(go_live=date(2021, 3, 4), reason="Legal review")
        )
        await asyncio.gather(
            r.deployment.act("2021-02", PANEL, c.VoteCast(go=True)),
            r.deployment.act("2021-02", AUTHORITY, c.RedateApprove()),
            return_exceptions=True,
        )
        status = await r.deployment.status("2021-02")
    assert status.go_live == date(2021, 3, 4)
    standing = [v for v in status.votes if not v.superseded]
    # Either order is valid; what matters is that phase, votes and date agree.
    if standing:
        assert status.phase == "APPROVED"
        assert standing[0].on >= status.redates[0].approved_on  # type: ignore[operator]
    else:
        assert status.phase == "GO_LIVE_DECISION"
        assert all(v.superseded for v in status.votes)


async def test_a_dev_server_whose_port_was_taken_before_it_bound_starts_again_on_new_ports(
    tmp_path: Path,
) -> None:
    # A neighbour takes the picked port between the pick and the server's bind: the test
    # fixture's server starts again on new ports instead of failing every test of the module.
    import socket

    from tests.faults.conftest import dev_server_on_free_ports

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = int(squatter.getsockname()[1])
        picks = iter([taken, _free_port()])

        def pick() -> int:
            return next(picks, None) or _free_port()

        async with dev_server_on_free_ports(tmp_path / "server", pick) as address:
            client = await connect(Connection(address=address))
            healthy = await client.service_client.check_health()
    assert address != f"localhost:{taken}"
    assert healthy
