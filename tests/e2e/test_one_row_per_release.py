"""`list` and `inbox` show one row per release: its latest run (issue 11, item 6).

Temporal's visibility keeps a row for every run of a workflow, each with the search attributes
it had when it stopped: a release that continued as new ten times has eleven rows, ten of them
with phases long gone. The release here is started with a small history limit so that it
continues as new after a few commands; the commands go through the same `ReleaseClient` the CLI
uses, in this process, to keep the test short; `list` and `inbox` run as the CLI, as a user runs
them.
"""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import Client

from schemas.base import Actor
from schemas.vocabulary import ReleaseType
from schemas.workflow_io import release_workflow_id
from settings import TASK_QUEUE, Settings
from starter.client import Clock, Connection, ReleaseClient, connect
from starter.keys import Signer, signing_key
from starter.ops import ActOp
from starter.rehearsal import op_for_line
from tests.e2e.conftest import Cli, DevServer, ad_hoc_day

SMALL_HISTORY = 30  # events: a few commands each


@pytest.fixture
async def client(server: DevServer) -> Client:
    return await connect(Connection(address=server.address))


def rows_for(rows: list[dict[str, Any]], release_id: str) -> list[dict[str, Any]]:
    return [r for r in rows if r["id"] == release_id]


async def runs_of(client: Client, release_id: str) -> int:
    query = f"WorkflowId = '{release_workflow_id(release_id)}'"
    return len([wf async for wf in client.list_workflows(query)])


async def test_a_release_that_continued_as_new_is_one_row_with_its_current_phase(
    cli: Cli, client: Client, server: DevServer
) -> None:
    deployment = ReleaseClient(
        client=client,
        task_queue=TASK_QUEUE,
        clock=Clock(),
        max_history_events=SMALL_HISTORY,
        # The stack's own front door key: this test is the local front door.
        signer=Signer(signing_key(Settings(data_dir=server.data_dir))),
    )
    rid = ad_hoc_day(610)
    secas = Actor.parse("SECAS:Kemp")
    await deployment.create_release(
        rid, actor=secas, go_live=None, release_type=ReleaseType.DOCUMENTATION, ad_hoc=True
    )
    for n in range(24):
        op, _ = op_for_line(f"rid draft {rid} --note 'draft {n}'")
        assert isinstance(op, ActOp)
        await op.run(deployment, secas)
    op, _ = op_for_line(f"mod add {rid} MP0610 --title 'Docs fix' --docs-only")
    await op.run(deployment, secas)
    op, _ = op_for_line(f"rid baseline {rid}")
    await op.run(deployment, Actor.parse("PANEL:Chair"))
    assert (await deployment.status(rid)).phase == "BASELINED"

    def settled(rows: list[dict[str, Any]]) -> bool:
        return [r["phase"] for r in rows_for(rows, rid)] == ["BASELINED"]

    rows = cli.poll("list", until=settled)
    assert await runs_of(client, rid) >= 3, "the release should have continued as new"
    assert rows_for(rows, rid) == [
        {
            "id": rid,
            "phase": "BASELINED",
            "go_live": rid,
            "lapsed": False,
            "type": "documentation",
            "workflow": None,
        }
    ]
    assert len({r["id"] for r in rows}) == len(rows), "one row per release"
    drafting, baselined = cli.parallel(
        lambda: cli.ok("list", "--phase", "DRAFTING"),
        lambda: cli.ok("list", "--phase", "BASELINED", "--type", "documentation"),
    )
    assert rows_for(drafting, rid) == []
    assert len(rows_for(baselined, rid)) == 1
    owed = cli.ok("inbox", actor="PANEL:Chair")
    assert len({(r["release"], r["action"]) for r in owed}) == len(owed), "one row per duty"


async def test_a_terminated_release_is_one_row_that_says_its_workflow_was_terminated(
    cli: Cli, client: Client
) -> None:
    rid = ad_hoc_day(620)
    cli.ok("release", "create", rid, "--ad-hoc", "--type", "system", actor="SECAS:Kemp")
    await client.get_workflow_handle(release_workflow_id(rid)).terminate("an operator's test")

    rows = cli.poll("list", until=lambda rows: any(r.get("workflow") for r in rows_for(rows, rid)))
    assert [(r["phase"], r["workflow"]) for r in rows_for(rows, rid)] == [
        ("DRAFTING", "terminated")
    ]
    text = cli.run("list", "--type", "system")
    assert text.exited(0), text.describe()
    assert "DRAFTING (workflow terminated)" in next(
        line for line in text.out.splitlines() if line.startswith(rid)
    )
