"""The worker killed mid-escalation, mid-update and around continue-as-new, on a real Temporal
dev server: after a restart nothing is lost and no notice is mailed twice (real workflow, SQL
outbox, aiosmtpd). The business clock is offset so the release runs at its own dates."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

from temporalio.client import Client

from rules.audit import SYSTEM
from rules.clock import london
from schemas import commands as c
from schemas.status import ReleaseStatus
from tests.activities.conftest import MailServer
from tests.faults.harness import eventually, notice_batches, production
from tests.june2020 import DCC, PANEL, PARTY, SECAS, scope_steps

CREATED_LATE = london(date(2019, 7, 1), 10)
LEVEL_1 = ["2020-06/notice_12m/c1/L1", "2020-06/scope_system/c1/L1"]


class StallingMailServer(MailServer):
    """Takes `before` messages, then holds the next one's DATA until released and refuses it
    (the session died)."""

    def __init__(self, before: int = 0) -> None:
        super().__init__()
        self.stalled = asyncio.Event()
        self.release = asyncio.Event()
        self._before = before
        self._stalled_once = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if not self._stalled_once and len(self.received) == self._before:
            self._stalled_once = True
            self.stalled.set()
            await self.release.wait()
            return "421 4.3.0 the session was cut off"
        return await super().handle_DATA(server, session, envelope)


async def test_a_worker_killed_while_mailing_an_escalation_sends_it_once_after_restart(
    dev_client: Client, tmp_path: Path, contacts_file: Path
) -> None:
    # The two level-1 escalations go in one batch: the first is mailed, the worker dies while
    # mailing the second, and the retry on the next worker mails the second only.
    server = StallingMailServer(before=1)
    await server.start()
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    try:
        async with production(
            dev_client,
            CREATED_LATE,
            store_url=url,
            smtp_port=server.port,
            contacts_file=contacts_file,
        ) as p:
            async with p.worker():  # worker A: dies in the middle of SMTP DATA
                await p.deployment.create_release(
                    "2020-06", actor=SECAS, go_live=None, release_type=None, ad_hoc=False
                )
                await asyncio.wait_for(server.stalled.wait(), 30)
            server.release.set()
            async with p.worker():  # worker B: the abandoned attempt is retried here

                async def sent() -> bool:
                    return set(LEVEL_1) <= set(await p.sent())

                await eventually(sent, "the escalations delivered after the restart")
                status = await p.deployment.status("2020-06")
                batches = await notice_batches(dev_client, "release/2020-06")
    finally:
        await server.stop()
    assert sorted(batches[0]) == sorted(LEVEL_1)  # one batch; the worker died half-way through it
    assert sorted(server.keys) == sorted(LEVEL_1)  # once each, nothing lost
    assert {e.delivery for e in status.escalations if e.key in LEVEL_1} == {"sent"}


async def test_an_update_sent_while_no_worker_runs_is_applied_once_when_one_returns(
    dev_client: Client, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    async with production(
        dev_client,
        CREATED_LATE,
        store_url=url,
        smtp_port=mail_server.port,
        contacts_file=contacts_file,
    ) as p:
        async with p.worker():
            await p.deployment.create_release(
                "2020-06", actor=SECAS, go_live=None, release_type=None, ad_hoc=False
            )
        # The worker is gone; the update waits in the server, durable.
        pending = asyncio.create_task(
            p.deployment.act("2020-06", SECAS, c.RidDraft(note="while the worker was down"))
        )
        await asyncio.sleep(1.5)
        assert not pending.done()
        async with p.worker():
            result = await asyncio.wait_for(pending, 60)
            status = await p.deployment.status("2020-06")
    assert result.rid_version == "0.1"
    assert [a.command for a in status.audit].count(
        "rid draft --note 'while the worker was down'"
    ) == 1


def _commands() -> list[tuple[object, c.Command]]:
    """Forty-odd commands that are all valid on 11 October 2019 (the June 2020 RID's 1.0 day)."""
    story: list[tuple[object, c.Command]] = []
    for step in scope_steps()[:21]:  # scope, drafts, timetable, quote, 1.0
        command = step.command
        if isinstance(command, c.ModAdd):  # added on 1.0 day, after the cut-offs
            command = command.model_copy(update={"rationale": "Agreed by the Panel"})
        story.append((step.actor, command))
    more: list[tuple[object, c.Command]] = [
        (PARTY, c.AppealLodge(reasons="The scope was set late.")),  # an appeal open across runs
        *[
            (SECAS, c.CriterionDefine(key=f"panel-{i}", text=f"Panel criterion {i}"))
            for i in range(1, 8)
        ],
        (DCC, c.RiskAdd(risk="Alert thresholds too low", mitigation="Configurable")),
        (DCC, c.TadSubmit(doc="DCC-TAD-0.1")),
        (PANEL, c.CostsPeriod(months=3)),
        (SECAS, c.RidDraft(note="after 1.0")),
    ]
    return story + more


async def _run(
    client: Client,
    tmp: Path,
    mail: MailServer,
    contacts: Path,
    *,
    threshold: int,
    restart_every: int,
) -> tuple[ReleaseStatus, list[str]]:
    mail.received.clear()
    url = f"sqlite+aiosqlite:///{tmp / f'store-{threshold}.db'}"
    async with production(
        client,
        london(date(2019, 10, 11), 10),
        store_url=url,
        smtp_port=mail.port,
        contacts_file=contacts,
        max_history_events=threshold,
    ) as p:
        worker = p.worker()
        await worker.__aenter__()
        try:
            await p.deployment.create_release(
                "2020-06", actor=SECAS, go_live=None, release_type=None, ad_hoc=False
            )

            async def escalated() -> bool:
                # Created late, it escalates each lapsed deadline on its own timer. Wait for that
                # before every command: a command that meets a lapsed deadline (the approval
                # notice of a modification added as approved weeks ago, say) would otherwise
                # race its first escalation (business time runs with real time here), and the
                # two runs compared below could each see a different winner.
                status = await p.deployment.status("2020-06")
                return all(
                    d.escalation_level >= 1 for d in status.deadlines if d.status == "lapsed"
                )

            for i, (actor, command) in enumerate(_commands(), 1):
                await eventually(escalated, f"the lapsed deadlines escalated before command {i}")
                await p.deployment.act("2020-06", actor, command)  # type: ignore[arg-type]
                if restart_every and i % restart_every == 0:  # a new worker process
                    await worker.__aexit__(None, None, None)
                    worker = p.worker()
                    await worker.__aenter__()
            outbox: list[str] = []

            async def delivered() -> bool:
                nonlocal outbox
                status = await p.deployment.status("2020-06")
                outbox = [k for k, _ in await p.outbox()]
                return len(outbox) == len(status.escalations) + len(status.notices) and sorted(
                    await p.sent()
                ) == sorted(outbox)

            await eventually(delivered, "every notice delivered")
            status = await p.deployment.status("2020-06")

            async def recorded() -> bool:
                # The register trails the release by about a second while commands arrive.
                stored = {e.entry.seq for e in await p.register.chain("2020-06")}
                return {a.seq for a in status.audit} <= stored

            await eventually(recorded, "every audit entry in the register")
            stored = [(e.entry.seq, e.entry.command) for e in await p.register.chain("2020-06")]
        finally:
            await worker.__aexit__(None, None, None)
    # Every entry reached the register once, none lost across the restarts and runs (those a
    # run compacted away after recording them included), each as the release holds it.
    assert [seq for seq, _ in stored] == list(range(1, status.audit[-1].seq + 1))
    assert {(a.seq, a.command) for a in status.audit} <= set(stored)
    return status, sorted(mail.keys)


async def test_a_worker_stopped_before_a_burst_is_recorded_records_it_once_after_restart(
    dev_client: Client, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    async with production(
        dev_client,
        london(date(2019, 10, 11), 10),
        store_url=url,
        smtp_port=mail_server.port,
        contacts_file=contacts_file,
    ) as p:
        async with p.worker():
            await p.deployment.create_release(
                "2020-06", actor=SECAS, go_live=None, release_type=None, ad_hoc=False
            )
            for i in range(1, 4):  # answered at once; recorded together about a second later
                await p.deployment.act(
                    "2020-06", SECAS, c.CriterionDefine(key=f"panel-{i}", text=f"Criterion {i}")
                )
            status = await p.deployment.status("2020-06")
        # The worker is gone, most likely before the burst's record: the next one writes it.
        async with p.worker():

            async def recorded() -> bool:
                stored = {e.entry.seq for e in await p.register.chain("2020-06")}
                return {a.seq for a in status.audit} <= stored

            await eventually(recorded, "the burst recorded after the restart")
            stored = [(e.entry.seq, e.entry.command) for e in await p.register.chain("2020-06")]
    assert [seq for seq, _ in stored] == [a.seq for a in status.audit]  # each once
    assert [command for _, command in stored][-3:] == [
        f"criterion define panel-{i} --text 'Criterion {i}'" for i in range(1, 4)
    ]


def _by_people(status: ReleaseStatus) -> list[str]:
    return [a.command for a in status.audit if a.actor != SYSTEM]


def _by_itself(status: ReleaseStatus) -> list[str]:
    return sorted(a.command for a in status.audit if a.actor == SYSTEM)


async def test_workers_restarted_across_continue_as_new_lose_nothing_and_mail_once(
    dev_client: Client, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    steady, steady_mail = await _run(
        dev_client, tmp_path, mail_server, contacts_file, threshold=2000, restart_every=0
    )
    restarted, restarted_mail = await _run(
        dev_client, tmp_path, mail_server, contacts_file, threshold=50, restart_every=10
    )
    assert steady.runs == 1
    assert restarted.runs >= 3  # it continued as new several times, workers dying in between
    assert [(d.key, d.status, d.met_on, d.escalation_level) for d in restarted.deadlines] == [
        (d.key, d.status, d.met_on, d.escalation_level) for d in steady.deadlines
    ]
    # People's commands in the order sent; what the release did on its own timers (reminders,
    # escalations) the same, though where it falls among the commands depends on how fast a
    # busy machine sent them (business time runs with real time on the dev server).
    assert _by_people(restarted) == _by_people(steady)
    assert _by_itself(restarted) == _by_itself(steady)
    # The appeal lodged against 1.0 is still open, its window (an ABANDON child) outliving the runs.
    assert [(w.version, w.status.value, len(w.appeals)) for w in restarted.appeals] == [
        ("1.0", "open", 1)
    ]
    assert restarted_mail == steady_mail  # the same messages, each exactly once
    assert len(set(restarted_mail)) == len(restarted_mail)
