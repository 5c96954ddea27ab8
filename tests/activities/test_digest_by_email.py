"""End to end on the time-skipping server in digest mode: two releases escalate on the same
day, and the next morning each recipient gets one message naming both, through the real release
workflows, `DigestWorkflow`, the SQL outbox and aiosmtpd."""

from __future__ import annotations

import contextlib
import uuid
from datetime import date, time, timedelta
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
from starter.digest import ensure_digest
from starter.rehearsal import skip_time
from tests.activities.conftest import MailServer
from tests.activities.test_escalations_by_email import eventually
from tests.keys import keys_for_tests, signer_for_tests
from tests.workflows.histories import record_history
from worker import STARVED_CPU_STALL_SECONDS, build_worker
from workflows.digest import DigestWorkflow

SECAS = Actor.parse("SECAS:David Kemp")
CREATED_LATE = london(date(2019, 7, 1), 10)  # both releases' first deadlines have lapsed
RELEASES = ("2020-06", "2020-02")


async def test_two_releases_escalating_on_one_day_make_one_morning_message_per_recipient(
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
        digest=True,
    )
    task_queue = f"digest-by-email-{uuid.uuid4()}"
    clock = Clock(source=env.get_current_time)
    clock.offset = CREATED_LATE - await env.get_current_time()
    deployment = ReleaseClient(
        client=env.client,
        task_queue=task_queue,
        clock=clock,
        panel_id=f"{task_queue}/panel",
        reuse_ids=True,
        reconcile_every_hours=0,
        signer=signer_for_tests(),
    )
    digest_id = f"{task_queue}/digest"

    async def kept() -> list[str]:
        rows = await list_outbox(sessions)
        return [r.key for r in rows if r.status == OutboxStatus.DIGEST and r.level == 1]

    async def digests_sent() -> bool:
        rows = await list_outbox(sessions)
        digests = [r for r in rows if r.kind == "digest"]
        return bool(digests) and all(r.status == OutboxStatus.SENT for r in digests)

    try:
        async with build_worker(
            env.client,
            task_queue,
            sender=sender,
            register=SqlRegister(sessions),
            keys=keys_for_tests,
            stall_seconds=STARVED_CPU_STALL_SECONDS,
        ):
            digest = await ensure_digest(
                env.client,
                task_queue,
                time(7, 0),
                clock_offset_seconds=clock.seconds,
                workflow_id=digest_id,
            )
            # Starting it again (a second `up`, another worker) finds the same run.
            again = await ensure_digest(
                env.client,
                task_queue,
                time(7, 0),
                clock_offset_seconds=clock.seconds,
                workflow_id=digest_id,
            )
            assert again.result_run_id == digest.result_run_id
            for release_id in RELEASES:
                await deployment.create_release(
                    release_id, actor=SECAS, go_live=None, release_type=None, ad_hoc=False
                )

            async def both_kept() -> bool:
                return {k.split("/")[0] for k in await kept()} == set(RELEASES)

            await eventually(both_kept, "level 1 of both releases kept for the digest")
            assert not [m for m in mail_server.received if "Escalation" in str(m["Subject"])]

            # The next morning at 07:00 London (business clock), the digest goes.
            await skip_time(
                env, london(date(2019, 7, 2), 7) + timedelta(minutes=30) - await clock.now()
            )
            await eventually(digests_sent, "the morning's digests sent")
            next_digest = await digest.query(DigestWorkflow.next_digest)
            statuses = [await deployment.status(r) for r in RELEASES]
            rows = await list_outbox(sessions)
            await record_history(env.client, digest_id, "digest_morning")
    finally:
        for workflow_id in (*map(release_workflow_id, RELEASES), deployment.panel_id, digest_id):
            with contextlib.suppress(RPCError):
                await env.client.get_workflow_handle(workflow_id).terminate("test over")
        await engine.dispose()

    digests = [
        (envelope, message)
        for envelope, message in zip(mail_server.envelopes, mail_server.received, strict=True)
        if str(message["Subject"]).strip().startswith("Digest for 2 July 2019")
    ]
    recipients = [address for envelope, _ in digests for address in envelope]
    assert len(recipients) == len(set(recipients))  # one message per recipient
    assert {"secas@secas.example", "panel-chair@secas.example"} <= set(recipients)
    # SECAS and the Panel chair get every level 1: one message names both releases.
    for envelope, message in digests:
        body = message.get_body(("plain",))
        assert body is not None
        text = body.get_content()
        if envelope[0] in ("secas@secas.example", "panel-chair@secas.example"):
            assert all(f"({r})" in text for r in RELEASES), (envelope, text)
            assert "Escalation level 1:" in text
    level_1 = [r for r in rows if r.kind == "escalation"]
    assert {r.release_id for r in level_1} == set(RELEASES)
    assert {r.status for r in level_1} == {OutboxStatus.SENT.value}
    assert next_digest == london(date(2019, 7, 3), 7).isoformat()
    # The releases themselves are unchanged: they handed their escalations over and go on.
    assert all(e.delivery == "sent" for s in statuses for e in s.escalations)
