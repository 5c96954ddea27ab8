"""What an operator can still do with Temporal access (reset, delete) is detected, never silent."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client

from rules.errors import Refused
from schemas import commands as c
from schemas.vocabulary import ReleaseType
from schemas.workflow_io import RecordRequest, release_workflow_id
from tests.activities.conftest import MailServer
from tests.faults.harness import eventually
from tests.security.test_raw_client import SECAS, baselined


async def test_a_reset_release_says_its_stored_audit_diverged_and_keeps_both_versions(
    dev_client: Client, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    async with baselined(dev_client, tmp_path, mail_server, contacts_file, "2030-06") as p:
        handle = dev_client.get_workflow_handle(release_workflow_id("2030-06"))
        history = await handle.fetch_history()
        first_task = next(
            e.event_id
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        )
        run_id = (await handle.describe()).run_id
        # `temporal workflow reset` to the first workflow task: the modification and the
        # baseline (Updates) are gone from the release, but the store recorded them.
        await dev_client.workflow_service.reset_workflow_execution(
            ResetWorkflowExecutionRequest(
                namespace=dev_client.namespace,
                workflow_execution=WorkflowExecution(workflow_id=handle.id, run_id=run_id),
                reason="operator at work",
                workflow_task_finish_event_id=first_task,
                request_id=str(uuid.uuid4()),
            )
        )
        await p.deployment.act("2030-06", SECAS, c.RidDraft(note="after the reset"))

        async def noticed() -> bool:
            status = await p.deployment.status("2030-06")
            return any(a.command == "audit diverged" for a in status.audit)

        await eventually(noticed, "the divergence noticed", seconds=30)
        status = await p.deployment.status("2030-06")
        [entry] = [a for a in status.audit if a.command == "audit diverged"]
        assert entry.detail.startswith(
            "The stored audit trail disagrees with this release from entry"
        )
        # A reset re-runs the workflow task it resets to: every entry from there on is written
        # again at another time, so the store keeps both versions, side by side.
        kept = await p.register.divergences("2030-06")
        stored = await p.register.audit_trail("2030-06")
        assert [a.seq for a in kept][:1] == [1]
        assert (kept[0].command, stored[0].command) == ("release create", "release create")
        assert kept[0].at != stored[0].at

        async def told() -> bool:
            return any("/operator/audit-diverged-" in k for k in await p.sent())

        await eventually(told, "SECAS told of the divergence", seconds=30)


async def test_an_id_in_the_register_is_never_created_again_even_after_retention(
    dev_client: Client, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    async with baselined(dev_client, tmp_path, mail_server, contacts_file, "2030-11") as p:
        # Temporal has forgotten 2031-06 (retention), but the register filed its final record.
        from datetime import date

        from schemas.status import ReleaseStatus

        final = await p.deployment.status("2030-11")
        filed = ReleaseStatus.model_validate(
            {**final.model_dump(mode="json"), "id": "2031-06", "phase": "CANCELLED"}
        )
        await p.register.record(
            RecordRequest(
                release_id="2031-06",
                name="June 2031 SEC Release",
                type=ReleaseType.SYSTEM,
                phase="CANCELLED",
                go_live=date(2031, 6, 26),
                lapsed=False,
                final=filed,
                closed_on=date(2026, 1, 5),
            )
        )
        with pytest.raises(
            Refused,
            match=r"Release 2031-06 \(June 2031 SEC Release\) has ended \(cancelled on 2026-01-05\); "
            r"a release id is never reused",
        ):
            await p.deployment.create_release(
                "2031-06", actor=SECAS, go_live=None, release_type=None, ad_hoc=False
            )
