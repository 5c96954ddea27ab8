"""Notices by email, exactly once per key: retries, killed workers, replays, a mail server down.

Real parts throughout: the outbox in SQLite and PostgreSQL, aiosmtplib talking to aiosmtpd.
"Killing a worker" is stopping after one of the sender's steps and going on with a new sender
on the same store, as a new worker process would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.mail import (
    MailUndelivered,
    list_outbox,
    message_id_for,
)
from activities.notices import NoticeActivities
from activities.store import OutboxStatus
from schemas.state import ReleaseState
from schemas.workflow_io import NoticeRequest
from tests.activities.conftest import MailServer, new_worker, notice_request, write_contacts

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def level_1(june_2020: ReleaseState) -> NoticeRequest:
    """Level 1 of the lapsed `scope_system` deadline (the RID baselined late)."""
    return notice_request(june_2020, "/scope_system/c1/L1")


async def test_an_escalation_goes_once_however_often_the_activity_is_retried(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, level_1: NoticeRequest
) -> None:
    activities = NoticeActivities(new_worker(sessions, mail_server, contacts_file))
    env = ActivityEnvironment()

    receipts = [await env.run(activities.send_notice, level_1) for _ in range(3)]

    assert mail_server.keys == [level_1.notice.key]
    assert len({r.delivered_at for r in receipts}) == 1
    [row] = await list_outbox(sessions)
    assert (row.key, row.status, row.attempts) == (level_1.notice.key, "sent", 1)


async def test_an_escalation_reaches_secas_the_panel_chair_and_the_panel(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, level_1: NoticeRequest
) -> None:
    receipt = await new_worker(sessions, mail_server, contacts_file).send(level_1)

    # scope_system is owed by the Panel; the chair has no address set, so the default is used.
    expected = ["secas@secas.example", "panel-chair@secas.example", "panel@panel.example"]
    assert receipt.recipients == expected
    assert mail_server.envelopes == [expected]
    [message] = mail_server.received
    assert message["Message-ID"] == message_id_for(level_1.notice.key)
    assert message["Subject"] == level_1.notice.subject
    assert "No address is set for PANEL_CHAIR" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    [row] = await list_outbox(sessions)
    assert row.defaulted == ["PANEL_CHAIR"]


async def test_a_worker_killed_after_recording_a_notice_sends_it_once_on_retry(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, level_1: NoticeRequest
) -> None:
    await new_worker(sessions, mail_server, contacts_file).enqueue(level_1)  # then killed
    [row] = await list_outbox(sessions)
    assert row.status == OutboxStatus.QUEUED
    assert mail_server.received == []

    await new_worker(sessions, mail_server, contacts_file).send(level_1)  # the retry
    await new_worker(sessions, mail_server, contacts_file).send(level_1)  # and a replay

    assert mail_server.keys == [level_1.notice.key]


async def test_a_worker_killed_between_smtp_accepting_and_marking_sent_resends_under_one_message_id(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, level_1: NoticeRequest
) -> None:
    """The documented window: a second copy, which the receiver de-duplicates by Message-ID."""
    dying = new_worker(sessions, mail_server, contacts_file)
    row = await dying.enqueue(level_1)
    await dying.deliver(row)  # the server took it; the worker dies before marking it sent

    await new_worker(sessions, mail_server, contacts_file).send(level_1)
    await new_worker(sessions, mail_server, contacts_file).send(level_1)

    assert mail_server.keys == [level_1.notice.key, level_1.notice.key]
    assert {m["Message-ID"] for m in mail_server.received} == {message_id_for(level_1.notice.key)}
    assert mail_server.received[0].as_bytes() == mail_server.received[1].as_bytes()
    [row] = await list_outbox(sessions)
    assert (row.status, row.attempts) == ("sent", 2)


async def test_a_replayed_release_asking_again_for_a_sent_notice_gets_the_same_receipt(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, june_2020: ReleaseState
) -> None:
    notice = notice_request(june_2020, "/notice/notice_12m/c1")
    first = await new_worker(sessions, mail_server, contacts_file).send(notice)
    # Contacts change afterwards: a replay must neither resend nor re-address the notice.
    write_contacts(contacts_file, "PARTY: [someone.else@party.example]\n")

    again = await new_worker(sessions, mail_server, contacts_file).send(notice)

    assert again == first
    assert mail_server.keys == [notice.notice.key]
    assert mail_server.envelopes == [
        ["supplier.a@party.example", "networks@party.example", "secas@secas.example"]
    ]


async def test_with_the_mail_server_down_for_a_while_every_notice_arrives_once_in_order(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, june_2020: ReleaseState
) -> None:
    requests = [
        notice_request(june_2020, suffix)
        for suffix in (
            "/scope_system/c1/L1",
            "/notice_12m/c1/L1",
            "/notice/notice_12m/c1",
            "/scope_system/c1/L2",
        )
    ]
    await mail_server.stop()
    activities = NoticeActivities(new_worker(sessions, mail_server, contacts_file))
    env = ActivityEnvironment()

    # As the release does: one notice at a time, in order, each retried until it goes.
    failures: list[str] = []
    while_down: list[tuple[str, str | None]] = []
    for request in requests:
        while True:
            try:
                await env.run(activities.send_notice, request)
                break
            except MailUndelivered as exc:
                failures.append(str(exc))
                row = (await list_outbox(sessions))[-1]
                while_down.append((row.status, row.last_error))
                if len(failures) == 3:
                    await mail_server.start()  # back, on the same port

    assert all("is retried" in f for f in failures)
    assert [status for status, _ in while_down] == ["failed-retrying"] * 3
    assert all("Error connecting to 127.0.0.1" in (error or "") for _, error in while_down)
    assert mail_server.keys == [r.notice.key for r in requests]
    rows = await list_outbox(sessions)
    assert [(r.status, r.last_error) for r in rows] == [("sent", None)] * 4
    assert rows[0].attempts == 4


async def test_a_mail_server_refusing_for_a_while_delays_a_notice_but_never_loses_it(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, level_1: NoticeRequest
) -> None:
    sender = new_worker(sessions, mail_server, contacts_file)
    mail_server.refuse_with = "451 4.3.0 Mailbox temporarily unavailable"
    for _ in range(2):
        with pytest.raises(MailUndelivered, match="451"):
            await sender.send(level_1)
    mail_server.refuse_with = None

    await sender.send(level_1)

    assert mail_server.keys == [level_1.notice.key]
    [row] = await list_outbox(sessions)
    assert (row.status, row.attempts) == ("sent", 3)


async def test_a_broken_contacts_file_holds_a_notice_until_it_is_fixed(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, level_1: NoticeRequest
) -> None:
    write_contacts(contacts_file, "SECAS: [secas@secas.example\n")
    sender = new_worker(sessions, mail_server, contacts_file)
    with pytest.raises(MailUndelivered, match="is not valid YAML"):
        await sender.send(level_1)
    [row] = await list_outbox(sessions)
    assert row.status == "failed-retrying"
    assert "contacts.yaml" in (row.last_error or "")

    write_contacts(contacts_file, "SECAS: [secas@secas.example]\n")
    await sender.send(level_1)

    assert mail_server.keys == [level_1.notice.key]
    assert "secas@secas.example" in mail_server.envelopes[0]
