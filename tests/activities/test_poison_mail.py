"""Poison mail: twenty notices, some of them hostile or undeliverable, sent as a release sends
them (one at a time, in order, each retried until it goes or fails for good), then counted from
what the mail server received and what the outbox says (issue 11, "Tests and figures").

- notice 3: a subject with a CR/LF header injection -> delivered once, on one subject line;
- notice 7: its recipients are a contact entry with a header in it (skipped) and an address the
  server refuses permanently (550) -> `failed`, the release goes on;
- notice 12: refused permanently at DATA (554) -> `failed`;
- notice 15: refused for now (451) on its first attempt -> retried, delivered once;
- notice 18: one good and one poisoned address -> delivered once to the good one.

Every notice is then asked for again (a retried activity, a replayed release): nothing is sent
twice and each failed one fails again at once. Figures: delivered, duplicated, lost, failed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.mail import MailUndelivered, OutboxSender, SmtpTarget, list_outbox, message_id_for
from activities.notices import NoticeActivities
from schemas.state import Notice
from schemas.workflow_io import NoticeRequest
from tests.activities.conftest import MailServer, write_contacts

Sessions = async_sessionmaker[AsyncSession]

INJECTED = "\r\nBcc: evil@attacker.example"
NOTICES = 20
UNDELIVERABLE = {7, 12}


def poison_notices(release: str) -> list[NoticeRequest]:
    start = datetime(2027, 1, 4, 9, tzinfo=UTC)
    requests = []
    for n in range(1, NOTICES + 1):
        subject = f"Notice {n} of the poison release"
        to = ["SECAS", "TAG"]
        if n == 3:
            subject += INJECTED
        if n == 7:
            to = ["OPSG"]
        if n == 12:
            subject += " REJECT-ME"
        if n == 15:
            subject += " TRY-LATER"
        if n == 18:
            to = ["PARTY"]
        notice = Notice(
            key=f"{release}/notice/n{n:02d}",
            kind="notice",
            at=start + timedelta(hours=n),
            subject=subject,
            to=to,
            detail=f"Body of notice {n}.",
        )
        requests.append(
            NoticeRequest(
                release_id=release,
                release_name="Poison release",
                go_live=date(2028, 6, 29),
                notice=notice,
            )
        )
    return requests


async def test_poison_mail_delivers_every_deliverable_notice_once_and_fails_the_rest(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path
) -> None:
    write_contacts(
        contacts_file,
        "SECAS: [secas@secas.example]\n"
        "TAG: [tag@tag.example]\n"
        f'OPSG: ["opsg@opsg.example{INJECTED.encode("unicode_escape").decode()}", '
        "gone@opsg.example]\n"
        f'PARTY: [supplier.a@party.example, "networks@party.example\\n{INJECTED.strip()}"]\n',
    )
    mail_server.refuse_recipients["gone@opsg.example"] = "550 5.1.1 No such mailbox"
    mail_server.refuse_subjects = {
        "REJECT-ME": "554 5.7.1 Message content rejected",
        "TRY-LATER": "451 4.3.0 Try again later",
    }
    sender = OutboxSender(
        sessions,
        smtp=SmtpTarget(host="127.0.0.1", port=mail_server.port, timeout=5.0),
        mail_from="SEC Release <sec-release@secas.example>",
        contacts_file=contacts_file,
    )
    send_notice = NoticeActivities(sender).send_notice
    env = ActivityEnvironment()
    requests = poison_notices(f"poison-{uuid.uuid4().hex[:8]}")

    # As the release does: in order; retried while undelivered; a failed one is reported and
    # the next notice goes on. Then every notice asked for again, as a replay would.
    failed_keys: list[tuple[str, str | None, bool]] = []
    retries = 0
    for request in [*requests, *requests]:
        while True:
            try:
                await env.run(send_notice, request)
                break
            except MailUndelivered:
                retries += 1
                mail_server.refuse_subjects.pop("TRY-LATER", None)  # the server is back
            except ApplicationError as exc:
                failed_keys.append((request.notice.key, exc.type, exc.non_retryable))
                break

    keys = [r.notice.key for r in requests]
    deliverable = [k for n, k in enumerate(keys, 1) if n not in UNDELIVERABLE]
    received_ids = [str(m["Message-ID"]) for m in mail_server.received]
    delivered = sum(1 for k in deliverable if message_id_for(k) in received_ids)
    duplicated = len(received_ids) - len(set(received_ids))
    lost = len(deliverable) - delivered
    rows = {r.key: r for r in await list_outbox(sessions)}
    failed = [k for k, r in rows.items() if r.status == "failed" and r.last_error]
    print(
        f"\npoison mail: {NOTICES} notices, {delivered} delivered, {duplicated} duplicated, "
        f"{lost} lost, {len(failed)} failed (each with its error), {retries} retried"
    )

    assert (delivered, duplicated, lost) == (18, 0, 0)
    undeliverable = [keys[n - 1] for n in sorted(UNDELIVERABLE)]
    assert sorted(failed) == undeliverable
    # Undeliverable, never retried, and again at once when asked again.
    assert failed_keys == [(k, "Undeliverable", True) for k in undeliverable] * 2
    assert retries == 1
    assert all(rows[k].status == "sent" for k in deliverable)
    assert "550 5.1.1 No such mailbox" in (rows[keys[6]].last_error or "")
    assert "554, '5.7.1 Message content rejected'" in (rows[keys[11]].last_error or "")
    # Nothing hostile reached a header or an envelope.
    assert all(m["Bcc"] is None for m in mail_server.received)
    assert not any("attacker.example" in a for e in mail_server.envelopes for a in e)
    third = next(m for m in mail_server.received if m["Message-ID"] == message_id_for(keys[2]))
    assert third["Subject"] == "Notice 3 of the poison release Bcc: evil@attacker.example"
    eighteenth = mail_server.envelopes[received_ids.index(message_id_for(keys[17]))]
    assert eighteenth == ["supplier.a@party.example"]
