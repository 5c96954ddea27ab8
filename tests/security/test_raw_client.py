"""A raw Temporal client against a running release: every signal, update and query name the
workflows define, sent with forged, oversized and malformed payloads. Nothing changes, and the
release's audit says what it ignored or refused (SPEC section 8; issue 11)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from rules.boundary import MAX_REFUSALS_RECORDED
from rules.errors import Refused
from schemas import commands as c
from schemas.base import Actor
from schemas.status import ReleaseStatus
from schemas.workflow_io import release_workflow_id
from tests.activities.conftest import MailServer
from tests.faults.harness import Production, eventually, production
from tests.security.raw import HOSTILE, Tally, as_json, comparable, handlers_of
from workflows.appeal import AppealWindowWorkflow
from workflows.panel import PanelWorkflow
from workflows.release import ReleaseWorkflow

SECAS = Actor.parse("SECAS:Kemp")
PANEL = Actor.parse("PANEL:Chair")
PARTY = Actor.parse("PARTY:Supplier A")


@contextlib.asynccontextmanager
async def baselined(
    dev_client: Client,
    tmp_path: Path,
    mail_server: MailServer,
    contacts_file: Path,
    release_id: str,
    **options: float | bool,
) -> AsyncIterator[Production]:
    """A System release on the dev server, baselined at 1.0 with its appeal window open."""
    async with (
        production(
            dev_client,
            datetime.now(UTC),
            store_url=f"sqlite+aiosqlite:///{tmp_path / 'store.db'}",
            smtp_port=mail_server.port,
            contacts_file=contacts_file,
            terminate=False,
            reuse_ids=False,
            **options,  # type: ignore[arg-type]
        ) as p,
        p.worker(),
    ):
        await p.deployment.create_release(
            release_id, actor=SECAS, go_live=None, release_type=None, ad_hoc=False
        )
        await p.deployment.act(
            release_id,
            SECAS,
            c.ModAdd(mod="SECMP0062", title="Alert Storm Protection", system=True, rationale="ok"),
        )
        await p.deployment.act(release_id, PANEL, c.RidBaseline())
        try:
            yield p
        finally:
            for workflow_id in (
                release_workflow_id(release_id),
                f"{release_workflow_id(release_id)}/appeal/1.0",
                p.deployment.panel_id,
            ):
                with contextlib.suppress(RPCError):
                    await dev_client.get_workflow_handle(workflow_id).terminate("test over")


def _ignored(status: ReleaseStatus, command: str) -> list[str]:
    return [a.detail for a in status.audit if a.outcome == "ignored" and a.command == command]


async def test_forged_internal_signals_change_nothing_and_are_audited_as_ignored(
    dev_client: Client, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    async with baselined(dev_client, tmp_path, mail_server, contacts_file, "2027-06") as p:
        release = dev_client.get_workflow_handle(release_workflow_id("2027-06"))
        window = dev_client.get_workflow_handle("release/2027-06/appeal/1.0")
        panel = dev_client.get_workflow_handle(p.deployment.panel_id)
        before = await p.deployment.status("2027-06")
        assert (before.rid.version, before.appeals[0].status.value) == ("1.0", "open")

        # The release: a forged overturn, a forged freeze, a wiped freeze list.
        await release.signal(
            "appeal_outcome",
            as_json({"version": "1.0", "status": "overturned", "appeals": 1, "notes": "x"}),
        )
        await release.signal(
            "freezes",
            as_json({"freezes": [{"start": "2027-06-01", "end": "2027-06-30", "reason": "x"}]}),
        )
        # The appeal window: ended, determined and appealed by nobody we know.
        await window.signal("release_ended")
        await window.signal(
            "determine", as_json({"upheld": False, "notes": "", "on": "2026-12-01"})
        )
        await window.signal("lodge", as_json({"by": "PARTY:X", "reasons": "x", "on": "2026-12-01"}))
        # The Panel: a release cut off from future freezes, a stranger registered.
        await panel.signal(
            "unregister", as_json({"release_id": "2027-06", "workflow_id": "release/2027-06"})
        )
        await panel.signal("register", as_json({"release_id": "x", "workflow_id": "release/x"}))

        async def audited() -> bool:
            status = await p.deployment.status("2027-06")
            view = await panel.query(PanelWorkflow.view)
            ignored = {a.command for a in view.audit if a.outcome == "ignored"}
            return (
                bool(_ignored(status, "signal appeal_outcome"))
                and bool(_ignored(status, "signal freezes"))
                and {"signal unregister", "signal register"} <= ignored
            )

        await eventually(audited, "the forged signals audited as ignored", seconds=30)
        after = await p.deployment.status("2027-06")
        assert comparable(after) == comparable(before)
        assert after.rid.version == "1.0" and after.freezes == []
        assert _ignored(after, "signal appeal_outcome") == [
            "Ignored: the report says RID 1.0 is overturned, but the release's own record says open."
        ]
        assert not [n for n in after.notices if n.kind == "decision"]  # nobody was told a lie
        # The window runs on, and a Party's appeal still goes in.
        assert (await window.describe()).status == WorkflowExecutionStatus.RUNNING
        await p.deployment.act("2027-06", PARTY, c.AppealLodge(reasons="Costs unclear"))
        # The Panel still knows the release, and nobody else.
        view = await panel.query(PanelWorkflow.view)
        assert view.releases == ["2027-06"]
        # A real freeze still reaches the release (read from the Panel, not from the signal).
        await p.deployment.add_freeze(
            PANEL, datetime(2028, 1, 3).date(), datetime(2028, 1, 7).date(), "migration"
        )

        async def learned() -> bool:
            return len((await p.deployment.status("2027-06")).freezes) == 1

        await eventually(learned, "the Panel's own freeze learned", seconds=30)


# Updates that only read (and wait): `admitted` answers the status once a release is admitted.
READ_ONLY_UPDATES = {"admitted"}


async def test_every_handler_name_with_hostile_payloads_changes_nothing(
    dev_client: Client, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    async with baselined(dev_client, tmp_path, mail_server, contacts_file, "2027-11") as p:
        targets = {
            release_workflow_id("2027-11"): handlers_of(ReleaseWorkflow),
            "release/2027-11/appeal/1.0": handlers_of(AppealWindowWorkflow),
            p.deployment.panel_id: handlers_of(PanelWorkflow),
        }
        unknown = ["no_such_name", "act\x00", "x" * 300]
        before = await p.deployment.status("2027-11")
        size_before = len((await p.deployment.state("2027-11")).model_dump_json())
        tally = Tally()
        for workflow_id, names in targets.items():
            handle = dev_client.get_workflow_handle(workflow_id)
            for label, raw in HOSTILE:
                tally.payloads.add(label)
                for name in names.signals + unknown:
                    with contextlib.suppress(RPCError):  # e.g. over the server's blob limit
                        await handle.signal(name, raw)
                    tally.signals += 1
                for name in names.updates + unknown:
                    try:
                        await handle.execute_update(name, raw, result_type=object)
                    except WorkflowUpdateFailedError as exc:
                        if name not in unknown:  # an unknown name is the SDK's own answer
                            tally.update_refusals.append(str(exc.cause))
                    except RPCError:
                        pass
                    else:  # no hostile payload is a command that may apply
                        if name not in READ_ONLY_UPDATES:
                            pytest.fail(f"update {name} accepted {label}")
                    tally.updates += 1
                for name in names.queries + unknown:
                    with contextlib.suppress(WorkflowQueryFailedError, RPCError):
                        await asyncio.wait_for(handle.query(name, raw), 10)
                    tally.queries += 1

        async def settled() -> bool:
            status = await p.deployment.status("2027-11")
            return sum(1 for a in status.audit if a.outcome != "accepted") >= 10

        await eventually(settled, "the refused signals audited", seconds=60)
        await asyncio.sleep(2)  # the last signals land
        after = await p.deployment.status("2027-11")
        state = await p.deployment.state("2027-11")
        growth = len(state.model_dump_json()) - size_before
        refused = [a for a in after.audit if a.outcome in ("refused", "ignored")]
        print(
            f"\nsecurity figures: {tally.signals} signals, {tally.updates} updates, "
            f"{tally.queries} queries; {len(tally.payloads)} kinds of payload; "
            f"state growth from refused input {growth:,} bytes; "
            f"{len(refused)} audited, {state.refusals_unrecorded} counted only"
        )
        assert comparable(after) == comparable(before)
        # Megabytes of refused signals grow the history, and the release continues as new a few
        # times for that; it never loops (a new run does not continue again for its size).
        assert after.runs - before.runs <= 5
        await asyncio.sleep(3)
        assert (await p.deployment.status("2027-11")).runs == after.runs
        assert len(refused) <= MAX_REFUSALS_RECORDED
        assert growth < 200_000
        assert all(len(a.command) <= 300 and len(a.detail) <= 600 for a in refused)
        # Each refused update is one sentence, never a stack trace or an echo of the payload.
        assert tally.update_refusals
        echoed = [
            r
            for r in tally.update_refusals
            if "Traceback" in r or "x" * 200 in r or "t" * 200 in r or len(r) > 3000
        ]
        assert not echoed, echoed[:3]
        oversized = [r for r in tally.update_refusals if "bytes long; the limit is" in r]
        assert oversized, tally.update_refusals[:5]
        # The release still works for a real command afterwards.
        await p.deployment.act("2027-11", PARTY, c.AppealLodge(reasons="Still open"))


async def test_an_oversized_command_is_refused_in_a_sentence_and_cannot_brick_a_release(
    dev_client: Client, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    async with baselined(dev_client, tmp_path, mail_server, contacts_file, "2028-06") as p:
        release = dev_client.get_workflow_handle(release_workflow_id("2028-06"))
        big_title = {
            "actor": {"role": "DCC", "name": "Anyone"},
            "command": {"kind": "mod_add", "mod": "MP999", "title": "t" * 120_000, "system": True},
        }
        for _ in range(8):
            await release.signal("act", as_json(big_title))
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await release.execute_update(
                "act",
                as_json(
                    {
                        "actor": {"role": "SECAS", "name": "x" * 1_200_000},
                        "command": {"kind": "rid_draft"},
                    }
                ),
                result_type=object,
            )
        cause = refused.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == "Refused"
        assert cause.message.startswith("The command is 1,200,0")
        assert cause.message.endswith("bytes long; the limit is 65,536 bytes.")

        async def audited() -> bool:
            status = await p.deployment.status("2028-06")
            return sum(1 for a in status.audit if a.outcome == "refused") == 8

        await eventually(audited, "eight refused signals audited", seconds=30)
        status = await p.deployment.status("2028-06")
        # A megabyte of refused signals may make the run continue as new once (its history grew
        # past the size threshold); the release goes on, its state no bigger for them.
        assert status.runs <= 2
        refused_entries = [a for a in status.audit if a.outcome == "refused"]
        assert refused_entries[0].detail.startswith("The command is 120,")
        assert len(json.dumps([a.model_dump(mode="json") for a in refused_entries])) < 20_000


async def test_an_operator_cancel_is_recorded_as_such_and_secas_and_the_panel_are_told(
    dev_client: Client, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    async with baselined(dev_client, tmp_path, mail_server, contacts_file, "2028-11") as p:
        handle = dev_client.get_workflow_handle(release_workflow_id("2028-11"))
        await handle.cancel()

        async def cancelled() -> bool:
            return (await handle.describe()).status == WorkflowExecutionStatus.CANCELED

        await eventually(cancelled, "the release workflow cancelled", seconds=30)
        [row] = [r for r in await p.register.releases() if r.id == "2028-11"]
        assert (row.phase, row.ended) == ("CANCELLED", True)
        assert "2028-11/operator/cancel" in await p.sent()
        status = await p.deployment.status("2028-11")
        assert status.phase == "CANCELLED"
        assert status.end_reason == (
            "its workflow was cancelled by an operator through Temporal, not by the Panel"
        )
        assert status.audit[-1].actor == "operator" or any(
            a.actor == "operator" and a.command == "workflow cancel" for a in status.audit
        )
        # The id stays taken: a cancelled release is never created again.
        with pytest.raises(
            Refused, match=r"Release 2028-11 \(November 2028 SEC Release\) has ended \(cancelled on"
        ):
            await p.deployment.create_release(
                "2028-11", actor=SECAS, go_live=None, release_type=None, ad_hoc=False
            )


async def test_a_terminated_release_is_found_by_the_daily_sweep_and_secas_is_told(
    dev_client: Client, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    # The sweep runs every 2 seconds here instead of once a day.
    async with baselined(
        dev_client,
        tmp_path,
        mail_server,
        contacts_file,
        "2029-06",
        reconcile_every_hours=2 / 3600,
    ) as p:
        handle = dev_client.get_workflow_handle(release_workflow_id("2029-06"))
        await handle.terminate("operator at work")

        async def told() -> bool:
            return "2029-06/operator/ended" in await p.sent()

        await eventually(told, "SECAS told of the terminated release", seconds=60)
        [row] = [r for r in await p.register.releases() if r.id == "2029-06"]
        assert row.ended_by is not None
        assert row.ended_by.startswith("terminated by an operator through Temporal on ")
        status = await p.deployment.status("2029-06")
        assert status.warnings[0].startswith(
            "This release's workflow was terminated by an operator on "
        )
        with pytest.raises(Refused, match="Release 2029-06 has ended: terminated by an operator"):
            await p.deployment.act("2029-06", SECAS, c.RidDraft())
        # Found once: another sweep tells nobody again.
        await asyncio.sleep(3)
        assert (await p.outbox()).count(("2029-06/operator/ended", "sent")) == 1
