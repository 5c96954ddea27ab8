"""A new release records one patch marker (GENERATION) and still has every change it stands for;
the Panel checks a registration with a local activity (DESCRIBE_LOCALLY)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from rules.clock import london
from schemas import commands as c
from schemas.commands import ActRequest
from schemas.workflow_io import release_workflow_id
from starter.rehearsal import Rehearsal
from tests.june2020 import PANEL, RELEASE, SECAS
from tests.security.raw import as_json
from tests.workflows.helpers import created
from tests.workflows.histories import patch_markers, scheduled
from workflows import search
from workflows.panel import DESCRIBE_LOCALLY
from workflows.release import GENERATION

# Six months after the June 2020 release's 12-month cut-offs: created late, it escalates at once.
LATE = london(date(2019, 12, 2), 10)
CHANGE_VERSION = SearchAttributeKey.for_keyword_list("TemporalChangeVersion")


async def test_a_new_release_records_one_patch_marker_and_keeps_every_change(
    env: WorkflowEnvironment,
) -> None:
    async with Rehearsal(env, LATE) as r:
        await created(r)
        await r.deployment.act(
            RELEASE,
            SECAS,
            c.ModAdd(mod="SECMP0062", title="Alert Storm", system=True, rationale="Panel agreed"),
        )
        handle = r.deployment.handle(RELEASE)
        # Commands must be signed (SIGNED): an unsigned one is refused.
        unsigned = ActRequest(actor=PANEL, command=c.RidBaseline()).model_dump(mode="json")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await handle.execute_update("act", as_json(unsigned), result_type=object)
        assert isinstance(refused.value.cause, ApplicationError)
        assert refused.value.cause.message.startswith("The command is not signed")
        await r.advance_to(LATE + timedelta(hours=1))
        status = await r.deployment.status(RELEASE)
        history = await handle.fetch_history()
        described = await handle.describe()

    # One marker, and one TemporalChangeVersion upsert with it.
    assert patch_markers(history) == [GENERATION]
    assert described.typed_search_attributes.get(CHANGE_VERSION) == [GENERATION]
    # Escalations join the audit trail (AUDIT_SENDS) and go out in one batch (BATCHED_NOTICES).
    escalated = [a.command for a in status.audit if a.command.startswith("escalation level 1")]
    assert len(escalated) == 3
    assert {n.delivery for n in status.escalations} == {"sent"}
    activities = scheduled(history)
    assert activities.count("send_notices") == 1 and "send_notice" not in activities
    # Recorded by a local activity (RECORD_LOCALLY); no freezes read (FREEZES_READ_ON_DIFFERENCE);
    # the trusted keys read by a local activity too (GENERATION itself).
    assert "record_release" not in activities and "read_panel_freezes" not in activities
    assert "trusted_keys" not in activities
    assert RELEASE in r.register.rows  # the register has the release's record all the same
    # SecOwes comes from the lifecycle (OWED_FROM_THE_LIFECYCLE).
    assert described.typed_search_attributes.get(search.OWES) == ["DCC", "PANEL", "SECAS"]


async def test_a_run_continued_as_new_records_one_patch_marker(env: WorkflowEnvironment) -> None:
    async with Rehearsal(env, LATE, max_history_events=40) as r:
        await created(r)
        for n in range(3):
            await r.deployment.act(
                RELEASE,
                SECAS,
                c.ModAdd(mod=f"MP10{n}", title="A change", system=True, rationale="Agreed"),
            )
        await r.advance_to(LATE + timedelta(hours=1))
        status = await r.deployment.status(RELEASE)
        handle = r.deployment.handle(RELEASE)
        latest = await handle.fetch_history()
        first_run = latest.events[0].workflow_execution_started_event_attributes
        first = await r.env.client.get_workflow_handle(
            release_workflow_id(RELEASE), run_id=first_run.first_execution_run_id
        ).fetch_history()

    assert status.runs >= 2
    assert first_run.continued_execution_run_id
    assert patch_markers(first) == [GENERATION]
    assert patch_markers(latest) == [GENERATION]
    assert [m.id for m in status.modifications] == ["MP100", "MP101", "MP102"]


async def test_the_panel_checks_a_registration_without_an_activity_task(
    env: WorkflowEnvironment,
) -> None:
    async with Rehearsal(env, LATE) as r:
        status = await created(r)
        await r.advance_to(LATE + timedelta(hours=1))
        view = await r.deployment.panel_view()
        panel = await env.client.get_workflow_handle(r.deployment.panel_id).fetch_history()

    # Believed after Temporal said it is a running release (DESCRIBE_LOCALLY: a local activity).
    assert view.releases == [status.id]
    assert "describe_release" not in scheduled(panel)
    assert DESCRIBE_LOCALLY in patch_markers(panel)
