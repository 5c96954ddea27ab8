"""ReleaseWorkflow's contract on the time-skipping server: refusals, signals, freezes, long life."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import date

import pytest
from temporalio.testing import WorkflowEnvironment

from rules.clock import london
from rules.errors import Refused
from schemas import commands as c
from schemas.status import ReleaseStatus
from schemas.vocabulary import ReleaseType
from starter.ops import FreezeListOp
from starter.rehearsal import Rehearsal, start_test_server
from tests.june2020 import CREATED, DCC, PANEL, PARTY, RELEASE, SECAS, all_steps
from tests.workflows.helpers import created, run_steps
from tests.workflows.histories import record_history, scheduled


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server per test here: several releases going live on one day leave the
    test server's time lock held after they are terminated (a leak of the server's), which
    would stall the next test's clock."""
    environment = await start_test_server()
    try:
        yield environment
    finally:
        await environment.shutdown()


def comparable(status: ReleaseStatus) -> object:
    """A status without the moment it was read, the run count, or seconds.

    The audit trail is compared as a set of entries in time order: a reminder due at 09:00 and
    a command given at 09:00 may be numbered in either order, depending on which woke first.
    """
    text = status.model_dump_json(exclude={"as_of", "runs"})
    # Steps at the same business minute take real milliseconds to apply: compare to the minute.
    data = json.loads(re.sub(r"(T\d\d:\d\d):\d\d(\.\d+)?", r"\1", text))
    for entry in data["audit"]:
        for run_specific in ("seq", "principal", "request_id", "key_id", "signature", "signed"):
            entry.pop(run_specific, None)
    data["audit"].sort(key=lambda e: (e["at"], e["actor"], e["command"], e["detail"]))
    return data


async def test_a_refused_update_says_why_and_changes_nothing(env: WorkflowEnvironment) -> None:
    async with Rehearsal(env, CREATED) as r:
        await created(r)
        before = await r.deployment.status(RELEASE)
        cases: list[tuple[object, c.Command, str]] = [
            (
                DCC,
                c.RidBaseline(),
                "Only PANEL may baseline the RID (`sec-release rid baseline`); you acted as DCC.",
            ),
            (
                PANEL,
                c.TadIncorporate(),
                "The TAG has not recommended on the updated TAD (tad recommend); incorporate it after.",
            ),
            (
                PARTY,
                c.AppealLodge(reasons=""),
                "The appeal's reasons are missing; give them with --reasons.",
            ),
            (
                PANEL,
                c.VoteCast(go=True),
                "GO is refused: 26 item(s) unmet: the Panel has not baselined the RID (rid baseline);",
            ),
        ]
        for actor, command, sentence in cases:
            with pytest.raises(Refused) as refused:
                await r.deployment.act(RELEASE, actor, command)  # type: ignore[arg-type]
            assert refused.value.sentence.startswith(sentence)
        after = await r.deployment.status(RELEASE)
        assert comparable(after) == comparable(before)
        # A validator's refusal leaves no trace in the history either (the only update accepted
        # is `admitted`, which `release create` waits on).
        history = await r.deployment.handle(RELEASE).fetch_history()
        accepted = [
            e.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
            for e in history.events
            if e.HasField("workflow_execution_update_accepted_event_attributes")
        ]
        assert accepted == ["admitted"]


async def test_a_command_sent_as_a_signal_is_applied_or_audited_as_refused(
    env: WorkflowEnvironment,
) -> None:
    async with Rehearsal(env, CREATED) as r:
        await created(r)
        await r.deployment.signal(
            RELEASE, SECAS, c.ModAdd(mod="SECMP0062", title="Alert Storm Protection", system=True)
        )
        await r.deployment.signal(RELEASE, DCC, c.RidBaseline())
        await r.advance_to(london(date(2019, 5, 9), 11))
        status = await r.deployment.status(RELEASE)
        assert [m.id for m in status.modifications] == ["SECMP0062"]
        last = status.audit[-1]
        assert (last.actor, last.outcome) == ("DCC:Release Manager", "refused")
        assert (
            last.detail
            == "Only PANEL may baseline the RID (`sec-release rid baseline`); you acted as DCC."
        )
        assert status.rid.version == "0.0"


async def test_a_release_is_never_created_twice(env: WorkflowEnvironment) -> None:
    async with Rehearsal(env, CREATED) as r:
        await created(r)
        with pytest.raises(
            Refused,
            match=r"Release 2020-06 already exists; see it with `sec-release status 2020-06`",
        ):
            await created(r)
        with pytest.raises(Refused, match="There is no release '2020-11'"):
            await r.deployment.status("2020-11")


async def test_a_second_ad_hoc_release_on_the_same_day_takes_the_next_letter(
    env: WorkflowEnvironment,
) -> None:
    day = "2019-10-17"  # a Thursday no other test creates a release on

    async def ad_hoc() -> ReleaseStatus:
        status = await r.deployment.create_release(
            day, actor=SECAS, go_live=None, release_type=ReleaseType.SYSTEM, ad_hoc=True
        )
        r.release_ids.append(status.id)
        return status

    async with Rehearsal(env, CREATED) as r:
        assert (await ad_hoc()).id == day
        second = await ad_hoc()
        assert (second.id, second.go_live, second.ad_hoc) == (f"{day}-b", date(2019, 10, 17), True)
        assert (await ad_hoc()).id == f"{day}-c"
        assert (await r.deployment.status(f"{day}-b")).id == f"{day}-b"


async def test_a_panel_freeze_reaches_every_open_release_and_bars_go_live_dates(
    env: WorkflowEnvironment,
) -> None:
    async with Rehearsal(env, CREATED) as r:
        await created(r)
        await created(r, "2020-02")
        with pytest.raises(Refused, match="Only PANEL may record a change freeze"):
            await r.deployment.add_freeze(SECAS, date(2020, 10, 1), date(2020, 12, 31), "migration")
        summary = await r.deployment.add_freeze(
            PANEL, date(2020, 10, 1), date(2020, 12, 31), "DCC platform migration"
        )
        assert (
            summary
            == "Change freeze from 1 October 2020 to 31 December 2020 recorded; 2 open release(s) told."
        )
        await r.advance_to(london(date(2019, 5, 9), 12))
        for release_id in (RELEASE, "2020-02"):
            status = await r.deployment.status(release_id)
            assert [(f.start, f.end) for f in status.freezes] == [
                (date(2020, 10, 1), date(2020, 12, 31))
            ]
        with pytest.raises(
            Refused,
            match=r"falls inside the change freeze from 1 October 2020 to 31 December 2020 \(DCC platform migration\)",
        ):
            await r.deployment.act(
                RELEASE, PANEL, c.RedateRequest(go_live=date(2020, 11, 5), reason="later")
            )
        # A release created later learns the freezes at creation and is refused a date inside one.
        with pytest.raises(Refused, match="falls inside the change freeze"):
            await r.deployment.create_release(
                "2020-11", actor=SECAS, go_live=None, release_type=None, ad_hoc=False
            )
        # A freeze added after a release began that covers its go-live is named when it is added,
        # and shown as a warning in the release's status.
        summary = await r.deployment.add_freeze(
            PANEL, date(2020, 6, 1), date(2020, 6, 30), "Summer freeze"
        )
        assert summary == (
            "Change freeze from 1 June 2020 to 30 June 2020 recorded; 2 open release(s) told; "
            "2020-06 (go-live 25 June 2020) falls inside it."
        )
        await r.advance_to(london(date(2019, 5, 9), 13))
        status = await r.deployment.status(RELEASE)
        assert status.warnings == [
            "The go-live date 2020-06-25 falls inside the change freeze from 1 June 2020 to 30 June 2020 "
            "(Summer freeze); the Panel should request a new date."
        ]
        view = await r.deployment.panel_view()
        assert [a.command for a in view.audit] == ["freeze add", "freeze add"]
        listed = await FreezeListOp().run(r.deployment, None)
        assert listed.data == {
            "freezes": [
                {"start": "2020-06-01", "end": "2020-06-30", "reason": "Summer freeze"},
                {"start": "2020-10-01", "end": "2020-12-31", "reason": "DCC platform migration"},
            ]
        }
        lines = listed.text.splitlines()
        assert lines[0].split() == ["from", "to", "reason"]
        assert lines[2].split() == ["1", "June", "2020", "30", "June", "2020", "Summer", "freeze"]
        # Each release read the Panel's list once per freeze added: not at creation, and not
        # when the Panel's push on registration repeated what its creation carried.
        for release_id in (RELEASE, "2020-02"):
            history = await env.client.get_workflow_handle(f"release/{release_id}").fetch_history()
            assert scheduled(history).count("read_panel_freezes") == 2
        # A release created once freezes exist carries them from its creation and reads none.
        later = await created(r, "2021-02")
        assert [(f.start, f.end) for f in later.freezes] == [
            (date(2020, 6, 1), date(2020, 6, 30)),
            (date(2020, 10, 1), date(2020, 12, 31)),
        ]
        await r.advance_to(london(date(2019, 5, 9), 14))
        history = await env.client.get_workflow_handle("release/2021-02").fetch_history()
        assert "read_panel_freezes" not in scheduled(history)
        await record_history(env.client, r.deployment.panel_id, "panel_freezes")
        await record_history(env.client, f"release/{RELEASE}", "release_learns_freezes")


async def test_a_long_release_continues_as_new_and_loses_nothing(env: WorkflowEnvironment) -> None:
    steps = [s for s in all_steps() if s.at < london(date(2020, 6, 20), 0)]
    statuses = []
    for threshold in (1800, 150):
        async with Rehearsal(env, CREATED, max_history_events=threshold) as r:
            await created(r)
            await run_steps(r, RELEASE, steps)
            await r.advance_to(london(date(2020, 6, 20), 12))
            statuses.append(await r.deployment.status(RELEASE))
            if threshold == 150:
                first_run = (await r.deployment.handle(RELEASE).fetch_history()).events[0]
                first = first_run.workflow_execution_started_event_attributes.first_execution_run_id
                await record_history(
                    env.client,
                    f"release/{RELEASE}",
                    "june2020_first_run_before_continue_as_new",
                    run_id=first,
                )
    whole, continued = statuses
    # At most a run or two at 1,800 events (or 800 KB); several at 150.
    assert continued.runs >= whole.runs + 2
    # Deadlines, escalations, audit, appeals and notices all came through every run.
    assert comparable(continued) == comparable(whole)
    assert [w.status.value for w in continued.appeals] == [
        "unchallenged",
        "upheld",
        "unchallenged",
        "unchallenged",
    ]


def test_the_largest_freezes_hint_the_panel_sends_is_read_and_a_larger_one_is_not() -> None:
    from temporalio.api.common.v1 import Payload
    from temporalio.common import RawValue
    from temporalio.contrib.pydantic import pydantic_data_converter

    from schemas.state import Freeze
    from schemas.text import TEXT
    from schemas.workflow_io import FreezeSync
    from workflows.panel import MAX_FREEZES
    from workflows.release import MAX_FREEZES_HINT_BYTES, _freezes_claimed

    fullest = FreezeSync(
        freezes=[
            Freeze(start=date(2030, 1, 1), end=date(2030, 12, 31), reason="\U0001d11e" * TEXT)
            for _ in range(MAX_FREEZES)
        ]
    )
    sent = pydantic_data_converter.payload_converter.to_payloads([fullest])[0]  # as the Panel
    assert len(sent.data) <= MAX_FREEZES_HINT_BYTES
    oversized = RawValue(Payload(data=b" " * (MAX_FREEZES_HINT_BYTES + 1)))
    assert _freezes_claimed(oversized) is None  # not decoded: taken for a false claim
