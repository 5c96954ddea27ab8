"""The morning digest by email, exactly once per recipient and morning (SQLite and PostgreSQL,
aiosmtplib talking to aiosmtpd).

"Killing a worker" is stopping after one step and going on with a new sender on the same
store, as a new worker process would; a "re-run" is the activity run again for the same morning.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.digest import _write_digests
from activities.mail import MailUndelivered, OutboxSender, list_outbox, message_id_for
from activities.notices import NoticeActivities
from activities.store import OutboxRow, OutboxStatus
from rules.clock import london
from rules.digest import digest_key
from schemas.digest import DigestRequest
from schemas.state import Notice
from schemas.workflow_io import NoticeRequest
from tests.activities.conftest import MailServer, new_worker

Sessions = async_sessionmaker[AsyncSession]

MORNING = date(2019, 7, 2)
CUTOFF = datetime(2019, 7, 2, 7, 0, tzinfo=london(MORNING).tzinfo)
SECAS = "secas@secas.example"
DCC = "release.manager@dcc.example"
PANEL_CHAIR_DEFAULT = "panel-chair@secas.example"  # no contact: the default address


def escalation(release_id: str, deadline: str, at: datetime, level: int = 1) -> NoticeRequest:
    to = ["SECAS", "PANEL_CHAIR", "DCC"]
    return NoticeRequest(
        release_id=release_id,
        release_name=f"SEC Release {release_id}",
        go_live=date(2020, 6, 25),
        notice=Notice(
            key=f"{release_id}/{deadline}/c1/L{level}",
            kind="escalation",
            at=at,
            subject=f"Escalation level {level}: {deadline} lapsed ({release_id})",
            to=to,
            deadline=deadline,
            level=level,
            due=date(2019, 6, 25),
        ),
    )


def reminder(release_id: str, deadline: str, at: datetime) -> NoticeRequest:
    return NoticeRequest(
        release_id=release_id,
        release_name=f"SEC Release {release_id}",
        go_live=date(2020, 6, 25),
        notice=Notice(
            key=f"{release_id}/{deadline}/c1/R",
            kind="reminder",
            at=at,
            subject=f"Reminder: {deadline} due on 9 July 2019 ({release_id})",
            to=["DCC", "SECAS"],
            deadline=deadline,
            due=date(2019, 7, 9),
        ),
    )


def decision(release_id: str, at: datetime) -> NoticeRequest:
    return NoticeRequest(
        release_id=release_id,
        release_name=f"SEC Release {release_id}",
        go_live=date(2020, 6, 25),
        notice=Notice(
            key=f"{release_id}/decision/3",
            kind="decision",
            at=at,
            subject=f"Decision: the Panel waived scope_docs ({release_id})",
            to=["SECAS", "DCC"],
        ),
    )


YESTERDAY = london(date(2019, 7, 1), 10)
KEPT = [
    escalation("2020-06", "scope_system", YESTERDAY),
    escalation("2020-02", "notice_12m", YESTERDAY),
    reminder("2020-06", "tad_to_tag", london(date(2019, 7, 1), 9)),
]


async def keep(sender: OutboxSender, requests: list[NoticeRequest]) -> None:
    activities = NoticeActivities(sender)
    for request in requests:
        receipt = await ActivityEnvironment().run(activities.send_notice, request)
        assert receipt.delivered_at is None  # kept, not mailed


async def test_each_recipient_gets_one_digest_naming_every_release_and_a_decision_goes_at_once(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path
) -> None:
    sender = new_worker(sessions, mail_server, contacts_file, digest=True)
    await keep(sender, KEPT)
    await ActivityEnvironment().run(
        NoticeActivities(sender).send_notice, decision("2020-06", YESTERDAY)
    )
    assert mail_server.keys == ["2020-06/decision/3"]  # a letter goes at once
    kept = {r.key: r.status for r in await list_outbox(sessions) if r.kind != "decision"}
    assert set(kept.values()) == {OutboxStatus.DIGEST.value}

    receipt = await ActivityEnvironment().run(
        NoticeActivities(sender).send_digests, DigestRequest(morning=MORNING, cutoff=CUTOFF)
    )

    decision_copies = [m for m in mail_server.received if "Decision" in str(m["Subject"]).strip()]
    assert len(decision_copies) == 1
    received = {
        address: [
            str(m["Subject"]).strip()
            for m, env in zip(mail_server.received, mail_server.envelopes, strict=True)
            if address in env and str(m["Subject"]).strip().startswith("Digest for")
        ]
        for address in (SECAS, DCC, PANEL_CHAIR_DEFAULT)
    }
    assert received == {
        SECAS: ["Digest for 2 July 2019: 2 escalations and 1 reminder, 2 releases"],
        DCC: ["Digest for 2 July 2019: 2 escalations and 1 reminder, 2 releases"],
        PANEL_CHAIR_DEFAULT: ["Digest for 2 July 2019: 2 escalations, 2 releases"],
    }
    chair = next(
        m
        for m, env in zip(mail_server.received, mail_server.envelopes, strict=True)
        if env == [PANEL_CHAIR_DEFAULT]
    )
    text = chair.get_body(("plain",))
    assert text is not None
    words = text.get_content()
    assert "SEC Release 2020-06 (2020-06)" in words and "SEC Release 2020-02 (2020-02)" in words
    assert "Escalation level 1: scope_system was due on 25 June 2019 and has lapsed." in words
    assert str(chair["Message-ID"]) == message_id_for(digest_key(MORNING, PANEL_CHAIR_DEFAULT))
    assert sorted(receipt.sent) == sorted(
        digest_key(MORNING, a) for a in (SECAS, DCC, PANEL_CHAIR_DEFAULT)
    )
    assert receipt.items == 3
    rows = {r.key: r for r in await list_outbox(sessions)}
    assert all(rows[r.notice.key].status == OutboxStatus.SENT.value for r in KEPT)
    assert all(rows[r.notice.key].sent_at is not None for r in KEPT)


async def test_a_retried_or_re_run_morning_sends_nothing_twice(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path
) -> None:
    sender = new_worker(sessions, mail_server, contacts_file, digest=True)
    await keep(sender, KEPT)
    request = DigestRequest(morning=MORNING, cutoff=CUTOFF)
    # A worker dies after writing the digests, before any SMTP traffic ...
    await _write_digests(sender, sessions, request)
    assert mail_server.received == []
    # ... the retry on a new worker sends them, and two more runs of the same morning send none.
    again = new_worker(sessions, mail_server, contacts_file, digest=True)
    receipts = [
        await ActivityEnvironment().run(NoticeActivities(again).send_digests, request)
        for _ in range(3)
    ]

    assert [len(r.sent) for r in receipts] == [3, 0, 0]
    assert sorted(a for env in mail_server.envelopes for a in env) == sorted(
        [SECAS, DCC, PANEL_CHAIR_DEFAULT]
    )
    digests = [r for r in await list_outbox(sessions) if r.kind == "digest"]
    assert [(r.status, r.attempts) for r in digests] == [("sent", 1)] * 3


async def test_a_mail_server_down_keeps_every_digest_until_it_takes_them_once(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path
) -> None:
    sender = new_worker(sessions, mail_server, contacts_file, digest=True)
    await keep(sender, KEPT)
    request = DigestRequest(morning=MORNING, cutoff=CUTOFF)
    mail_server.refuse_with = "451 4.3.0 try again later"

    with pytest.raises(MailUndelivered, match="did not take notice digest/2019-07-02/"):
        await sender.send_digests(request)
    rows = await list_outbox(sessions)
    assert {r.status for r in rows if r.kind == "digest"} == {"failed-retrying"}
    assert {r.status for r in rows if r.kind != "digest"} == {"digest"}  # nothing dropped

    mail_server.refuse_with = None
    receipt = await sender.send_digests(request)

    assert len(receipt.sent) == 3 and len(mail_server.received) == 3
    assert {r.status for r in await list_outbox(sessions)} == {"sent"}


async def test_an_item_after_the_cut_off_or_after_its_digest_was_written_waits_for_the_next(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path
) -> None:
    sender = new_worker(sessions, mail_server, contacts_file, digest=True)
    await keep(sender, KEPT[:1])
    later_today = escalation("2020-02", "notice_12m", london(MORNING, 9))
    await keep(sender, [later_today])  # recorded after 07:00: tomorrow's
    await sender.send_digests(DigestRequest(morning=MORNING, cutoff=CUTOFF))
    # A release that lagged records an item dated before this morning's cut-off, after the
    # digests went: it is not dropped, and this morning's digest is not sent a second time.
    late = reminder("2020-06", "tad_to_tag", london(date(2019, 7, 1), 9))
    await keep(sender, [late])
    await sender.send_digests(DigestRequest(morning=MORNING, cutoff=CUTOFF))
    assert len(mail_server.received) == 3  # SECAS, the DCC, the chair: once each

    tomorrow = date(2019, 7, 3)
    await sender.send_digests(DigestRequest(morning=tomorrow, cutoff=london(tomorrow, 7)))

    second = [str(m["Subject"]).strip() for m in mail_server.received[3:]]
    assert sorted(second) == sorted(
        [
            "Digest for 3 July 2019: 1 escalation and 1 reminder, 2 releases",  # SECAS
            "Digest for 3 July 2019: 1 escalation and 1 reminder, 2 releases",  # DCC
            "Digest for 3 July 2019: 1 escalation, 1 release",  # the chair
        ]
    )
    assert {r.status for r in await list_outbox(sessions)} == {"sent"}


async def test_in_immediate_mode_a_reminder_is_mailed_at_once_and_the_digest_finds_nothing(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path
) -> None:
    sender = new_worker(sessions, mail_server, contacts_file)
    receipt = await ActivityEnvironment().run(NoticeActivities(sender).send_notice, KEPT[2])
    digests = await sender.send_digests(DigestRequest(morning=MORNING, cutoff=CUTOFF))

    assert receipt.delivered_at is not None
    assert mail_server.keys == [KEPT[2].notice.key]
    assert digests.sent == [] and digests.items == 0
    [row] = await list_outbox(sessions)
    assert row.status == "sent" and isinstance(row, OutboxRow)


async def test_mail_shows_what_waits_for_the_morning_digest_and_the_digest_once_sent(
    store_url: str,
    sessions: Sessions,
    mail_server: MailServer,
    contacts_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from starter.cli import main

    for name in ("SEC_RELEASE_CONTACTS", "MAIL_FROM", "SEC_RELEASE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", store_url)
    sender = new_worker(sessions, mail_server, contacts_file, digest=True)
    await keep(sender, KEPT)

    assert await asyncio.to_thread(main, ["mail", "--data-dir", str(tmp_path)]) == 0
    before = capsys.readouterr().out
    await sender.send_digests(DigestRequest(morning=MORNING, cutoff=CUTOFF))
    assert await asyncio.to_thread(main, ["mail", "--data-dir", str(tmp_path)]) == 0
    after = capsys.readouterr().out

    assert before.count(" for digest ") == 3
    assert "3 reminders and escalations are queued for the morning digest" in before
    assert "for digest" not in after
    digests = [line for line in after.splitlines() if "Digest for 2 July" in line]
    assert len(digests) == 3 and all("2020-02, 2020-06" in d for d in digests)


async def test_a_digest_refused_for_good_is_failed_and_its_items_say_so_but_the_others_go(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path
) -> None:
    sender = new_worker(sessions, mail_server, contacts_file, digest=True)
    await keep(sender, KEPT)
    mail_server.refuse_recipients = {PANEL_CHAIR_DEFAULT: "550 5.1.1 no such mailbox"}

    receipt = await sender.send_digests(DigestRequest(morning=MORNING, cutoff=CUTOFF))
    again = await sender.send_digests(DigestRequest(morning=MORNING, cutoff=CUTOFF))

    assert sorted(a for env in mail_server.envelopes for a in env) == sorted([SECAS, DCC])
    assert len(receipt.sent) == 2 and again.sent == []
    rows = {r.key: r for r in await list_outbox(sessions)}
    chair = rows[digest_key(MORNING, PANEL_CHAIR_DEFAULT)]
    assert chair.status == "failed" and "550" in (chair.last_error or "")
    escalations = [rows[r.notice.key] for r in KEPT[:2]]
    assert [e.status for e in escalations] == ["sent", "sent"]  # SECAS and the DCC had them
    assert all(
        "the digest to panel-chair@secas.example failed" in (e.last_error or "")
        for e in escalations
    )
    assert rows[KEPT[2].notice.key].last_error is None  # the reminder never went to the chair
