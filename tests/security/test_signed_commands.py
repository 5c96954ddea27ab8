"""Signed commands against a real dev server, sent with a raw Temporal client: a forged, changed,
stale, replayed, misdirected or foreign-keyed command is refused in a sentence and changes
nothing; a release started by anyone but the front door fails at once and is never listed
(ACCESS.md, Commands the workflow can trust)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError

from schemas import commands as c
from schemas.base import Actor
from schemas.commands import ActRequest
from schemas.workflow_io import release_workflow_id
from starter.client import principal_of
from starter.keys import Signer, SigningKey
from starter.read_ops import latest_runs
from tests.activities.conftest import MailServer
from tests.faults.harness import Production, eventually
from tests.keys import signer_for_tests as _signer
from tests.security.raw import as_json, comparable
from tests.security.test_raw_client import baselined
from workflows.release import FORGED

SECAS = Actor.parse("SECAS:Kemp")
PANEL = Actor.parse("PANEL:Chair")
PARTY = Actor.parse("PARTY:Supplier A")

NOT_SIGNED = "The command is not signed; commands reach a release only through the front door"
CHANGED = "The command's signature does not match its content: it was changed after the front"
NOT_TRUSTED = "The command is signed with key 'rogue', which this release does not trust"
ALREADY = "was already received; a signed command is accepted once"


def signed(
    target: str,
    actor: Actor,
    command: c.Command,
    *,
    signer: Signer | None = None,
    principal_actor: Actor | None = None,
    issued_at: datetime | None = None,
) -> dict[str, Any]:
    """An `act` request as the front door would sign it (with the tests' key), as JSON."""
    request = ActRequest(actor=actor, command=command)
    request.seal = (signer or _signer()).seal(
        purpose="act",
        target=target,
        principal=principal_of(principal_actor or actor),
        body=request.signed_body(),
        issued_at=issued_at or datetime.now(UTC),
    )
    data: dict[str, Any] = request.model_dump(mode="json")
    return data


def unsigned(actor: Actor, command: c.Command) -> dict[str, Any]:
    data: dict[str, Any] = ActRequest(actor=actor, command=command).model_dump(mode="json")
    return data


def forgeries(workflow_id: str) -> list[tuple[str, dict[str, Any], str]]:
    """(label, payload, the start of the refusal's sentence)."""
    changed = signed(workflow_id, SECAS, c.RidDraft())
    changed["command"]["kind"] = "rid_baseline"
    other_actor = signed(workflow_id, SECAS, c.RidDraft())
    other_actor["actor"] = PANEL.model_dump(mode="json")
    stale = signed(
        workflow_id, SECAS, c.RidDraft(), issued_at=datetime.now(UTC) - timedelta(minutes=10)
    )
    return [
        ("unsigned vote claiming PANEL", unsigned(PANEL, c.VoteCast(go=True)), NOT_SIGNED),
        ("unsigned baseline claiming PANEL", unsigned(PANEL, c.RidBaseline()), NOT_SIGNED),
        ("a field changed after signing", changed, CHANGED),
        ("the actor changed after signing", other_actor, CHANGED),
        (
            "an actor the principal is not",
            signed(workflow_id, PANEL, c.RidBaseline(), principal_actor=SECAS),
            "The command names PANEL",
        ),
        ("signed 10 minutes ago", stale, "The command was signed at "),
        (
            "signed for another release",
            signed("release/2099-01", SECAS, c.RidDraft()),
            "The command was signed for 'release/2099-01' (act), not for",
        ),
        (
            "signed by an unknown key",
            signed(workflow_id, SECAS, c.RidDraft(), signer=Signer(SigningKey.generate("rogue"))),
            NOT_TRUSTED,
        ),
    ]


async def _refusal(handle: Any, payload: dict[str, Any]) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update("act", as_json(payload), result_type=object)
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "Refused", cause
    return cause.message


async def test_forged_changed_stale_replayed_and_foreign_commands_are_refused(
    dev_client: Client, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    async with baselined(dev_client, tmp_path, mail_server, contacts_file, "2030-06") as p:
        workflow_id = release_workflow_id("2030-06")
        release = dev_client.get_workflow_handle(workflow_id)
        before = await p.deployment.status("2030-06")
        cases = forgeries(workflow_id)
        for label, payload, sentence in cases:
            message = await _refusal(release, payload)
            assert message.startswith(sentence) or sentence in message, (label, message)
        assert "more than 5 minutes ago" in await _refusal(release, cases[5][1])
        assert comparable(await p.deployment.status("2030-06")) == comparable(before)

        # The same signed payload twice: the first applies, the second is a replay.
        lodge = signed(workflow_id, PARTY, c.AppealLodge(reasons="Costs unclear"))
        await release.execute_update("act", as_json(lodge), result_type=object)
        applied = await p.deployment.status("2030-06")
        assert ALREADY in await _refusal(release, lodge)
        assert comparable(await p.deployment.status("2030-06")) == comparable(applied)

        # The same forgeries as signals: each refusal audited, nothing applied.
        refused_before = sum(1 for a in applied.audit if a.outcome == "refused")
        for _label, payload, _sentence in cases:
            await release.signal("act", as_json(payload))
        await release.signal("act", as_json(lodge))

        async def audited() -> bool:
            status = await p.deployment.status("2030-06")
            refused = sum(1 for a in status.audit if a.outcome == "refused")
            return refused - refused_before >= len(cases) + 1

        await eventually(audited, "the forged signals audited as refused", seconds=30)
        after = await p.deployment.status("2030-06")
        details = [a.detail for a in after.audit if a.outcome == "refused"][refused_before:]
        for _label, _payload, sentence in cases:
            assert any(sentence in d for d in details), (sentence, details)
        assert any(ALREADY in d for d in details)
        assert comparable(after) == comparable(applied)


async def _creation(dev_client: Client, workflow_id: str) -> dict[str, Any]:
    """The signed creation input in a release's history, as JSON."""
    history = await dev_client.get_workflow_handle(workflow_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    data: dict[str, Any] = json.loads(started.input.payloads[0].data)
    return data


async def _refused_start(p: Production, dev_client: Client, wid: str, payload: Any) -> str:
    handle = await dev_client.start_workflow(
        "ReleaseWorkflow", as_json(payload), id=wid, task_queue=p.task_queue
    )
    with pytest.raises(WorkflowFailureError) as failed:
        await asyncio.wait_for(handle.result(), 60)
    assert (await handle.describe()).status == WorkflowExecutionStatus.FAILED
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == FORGED, cause
    return cause.message


async def test_a_release_no_front_door_started_fails_at_once_and_is_never_listed(
    dev_client: Client, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    async with baselined(dev_client, tmp_path, mail_server, contacts_file, "2030-11") as p:
        creation = await _creation(dev_client, release_workflow_id("2030-11"))
        assert creation["seal"]["signature"]
        bare = {**creation, "seal": None}
        state = (await p.deployment.state("2030-11")).model_dump(mode="json")
        starts = {
            "release/2031-01": (bare, "Release refused: The release's creation is not signed"),
            "release/2031-02": (
                creation,
                "Release refused: The release's creation was signed for 'release/2030-11' "
                "(create), not for 'release/2031-02'",
            ),
            "release/2031-03": (
                {"state": state},
                "Release refused: A release's state is carried only by its own continue-as-new",
            ),
        }
        for wid, (payload, sentence) in starts.items():
            message = await _refused_start(p, dev_client, wid, payload)
            assert message.startswith(sentence), (wid, message)

        async def listed() -> set[str]:
            return {wf.id for wf in await latest_runs(p.deployment)}

        async def visible() -> bool:
            return release_workflow_id("2030-11") in await listed()

        await eventually(visible, "the real release listed", seconds=30)
        await asyncio.sleep(2)  # visibility catches up with the refused starts' phase
        assert not set(starts) & await listed()
        # The Panel never heard of them.
        view = await dev_client.get_workflow_handle(p.deployment.panel_id).query("view")
        assert view["releases"] == ["2030-11"]


async def test_a_freeze_without_a_seal_is_refused_by_the_panel(
    dev_client: Client, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    async with baselined(dev_client, tmp_path, mail_server, contacts_file, "2031-06") as p:
        panel = dev_client.get_workflow_handle(p.deployment.panel_id)
        freeze = {
            "actor": PANEL.model_dump(mode="json"),
            "start": "2032-01-05",
            "end": "2032-01-09",
            "reason": "forged",
        }
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await panel.execute_update("freeze_add", as_json(freeze), result_type=object)
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError)
        assert cause.message.startswith("The freeze is not signed; commands reach a release only")
        view = await panel.query("view")
        assert view["freezes"] == []


async def test_a_key_rotation_tells_every_running_release_and_the_panel(
    dev_client: Client, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    from starter.client import Connection
    from starter.keys_cmds import tell_running

    async with baselined(dev_client, tmp_path, mail_server, contacts_file, "2031-11") as p:
        address = dev_client.service_client.config.target_host
        told, unreachable = await tell_running(Connection(address=address), p.deployment.panel_id)
        assert unreachable is None
        assert {release_workflow_id("2031-11"), p.deployment.panel_id} <= set(told)
        # The release read its keys again and still takes a signed command.
        await p.deployment.act("2031-11", PARTY, c.AppealLodge(reasons="After the rotation"))
