"""Poison in a notice never wedges a release's mail (issue 11, item 3).

A line break in a title, a reason or an address cannot break a header: the message goes out with
the text on one line and a bad address left out. A message that can never be sent (nothing to
send it to, cannot be built, refused for good with a 5xx) is marked `failed` with its error and
`send_notice` fails with a non-retryable `Undeliverable` error, again at once if asked again.
A 4xx, or no server at all, stays `failed-retrying` and is retried as before.

Real parts: the outbox in SQLite and PostgreSQL, aiosmtplib talking to aiosmtpd.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

import activities.mail
from activities.mail import (
    MailUndeliverable,
    MailUndelivered,
    OutboxSender,
    SmtpTarget,
    list_outbox,
)
from activities.notices import NoticeActivities
from activities.store import OutboxRow
from schemas.state import ReleaseState
from schemas.workflow_io import NoticeRequest
from starter.cli import main
from tests.activities.conftest import MailServer, notice_request, write_contacts

Sessions = async_sessionmaker[AsyncSession]

INJECTED = "\r\nBcc: evil@attacker.example"


def new_worker(
    sessions: Sessions, server: MailServer, contacts: Path, mail_from: str | None = None
) -> OutboxSender:
    return OutboxSender(
        sessions,
        smtp=SmtpTarget(host="127.0.0.1", port=server.port, timeout=5.0),
        mail_from=mail_from or "SEC Release <sec-release@secas.example>",
        contacts_file=contacts,
    )


def with_subject(request: NoticeRequest, subject: str) -> NoticeRequest:
    notice = request.notice.model_copy(update={"subject": subject})
    return request.model_copy(update={"notice": notice})


async def set_row(sessions: Sessions, key: str, **values: object) -> None:
    """Change a stored row, as an older sec-release might have recorded it."""
    async with sessions.begin() as session:
        await session.execute(update(OutboxRow).where(OutboxRow.key == key).values(**values))


async def run_activity(sender: OutboxSender, request: NoticeRequest) -> ApplicationError:
    """Run `send_notice` expecting it to fail for good; the error it failed with."""
    with pytest.raises(ApplicationError) as failed:
        await ActivityEnvironment().run(NoticeActivities(sender).send_notice, request)
    return failed.value


@pytest.fixture
def level_1(june_2020: ReleaseState) -> NoticeRequest:
    return notice_request(june_2020, "/scope_system/c1/L1")


async def test_a_title_with_a_line_break_goes_out_on_one_subject_line_and_adds_no_header(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, level_1: NoticeRequest
) -> None:
    poisoned = with_subject(level_1, f"Escalation: MP{INJECTED}\nX-Evil: 1\u2028more")

    await new_worker(sessions, mail_server, contacts_file).send(poisoned)

    [message] = mail_server.received
    assert message["Subject"] == "Escalation: MP Bcc: evil@attacker.example X-Evil: 1 more"
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "evil@attacker.example" not in mail_server.envelopes[0]
    [row] = await list_outbox(sessions)
    assert (row.status, row.subject) == ("sent", message["Subject"])


async def test_a_notice_recorded_with_a_line_break_before_the_fix_is_still_sent_once(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, level_1: NoticeRequest
) -> None:
    """An old release's queued row: a raw subject and an address with a header in it."""
    sender = new_worker(sessions, mail_server, contacts_file)
    row = await sender.enqueue(level_1)
    await set_row(
        sessions,
        row.key,
        subject=f"Cancelled: reason{INJECTED}",
        recipients=[f"secas@secas.example{INJECTED}", "panel@panel.example"],
        message_id=f"<x@y>{INJECTED}",
    )

    await sender.send(level_1)
    await sender.send(level_1)

    [message] = mail_server.received
    assert message["Subject"] == "Cancelled: reason Bcc: evil@attacker.example"
    assert message["Bcc"] is None
    assert mail_server.envelopes == [["panel@panel.example"]]
    assert str(message["To"]) == "panel@panel.example"
    assert message["Message-ID"] == row.message_id  # rebuilt from the key
    [stored] = await list_outbox(sessions)
    assert stored.status == "sent"
    assert "not a usable address; left out" in (stored.last_error or "")


async def test_a_notice_with_no_usable_recipient_is_failed_and_never_tried_again(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, level_1: NoticeRequest
) -> None:
    sender = new_worker(sessions, mail_server, contacts_file)
    row = await sender.enqueue(level_1)
    await set_row(sessions, row.key, recipients=[f"secas@secas.example{INJECTED}"])

    first = await run_activity(sender, level_1)
    again = await run_activity(new_worker(sessions, mail_server, contacts_file), level_1)

    assert (first.type, first.non_retryable) == ("Undeliverable", True)
    assert first.message == again.message
    assert first.message.startswith(f"Notice {level_1.notice.key} can never be sent (no recipient")
    assert first.details[0] == level_1.notice.key
    assert mail_server.received == []
    [stored] = await list_outbox(sessions)
    assert (stored.status, stored.attempts) == ("failed", 1)  # the retry sent nothing
    assert "no recipient is a usable address" in (stored.last_error or "")


@pytest.mark.parametrize(
    ("refusal", "error"),
    [
        (
            "recipients",
            "every recipient refused: secas@secas.example (550 5.1.1 No such mailbox); ",
        ),
        ("content", "SMTPDataError: (554, '5.7.1 Message content rejected')"),
    ],
)
async def test_a_permanent_refusal_fails_the_notice_with_the_servers_reply(
    sessions: Sessions,
    mail_server: MailServer,
    contacts_file: Path,
    level_1: NoticeRequest,
    refusal: str,
    error: str,
) -> None:
    if refusal == "recipients":
        for address in ("secas@secas.example", "panel-chair@secas.example", "panel@panel.example"):
            mail_server.refuse_recipients[address] = "550 5.1.1 No such mailbox"
    else:
        mail_server.refuse_subjects["Escalation"] = "554 5.7.1 Message content rejected"
    sender = new_worker(sessions, mail_server, contacts_file)

    failed = await run_activity(sender, level_1)
    await run_activity(sender, level_1)

    assert failed.type == "Undeliverable"
    assert "refused it permanently" in failed.message
    [stored] = await list_outbox(sessions)
    assert (stored.status, stored.attempts) == ("failed", 1)
    assert error in (stored.last_error or "")
    assert mail_server.received == []


async def test_a_temporary_refusal_or_one_recipient_refused_is_not_a_failure(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, level_1: NoticeRequest
) -> None:
    sender = new_worker(sessions, mail_server, contacts_file)
    mail_server.refuse_recipients = {
        "secas@secas.example": "450 4.2.1 Mailbox busy",
        "panel-chair@secas.example": "550 5.1.1 No such mailbox",
        "panel@panel.example": "451 4.3.0 Try later",
    }
    with pytest.raises(MailUndelivered, match="is retried"):
        await sender.send(level_1)
    [stored] = await list_outbox(sessions)
    assert stored.status == "failed-retrying"

    mail_server.refuse_recipients = {"panel-chair@secas.example": "550 5.1.1 No such mailbox"}
    await sender.send(level_1)

    assert mail_server.envelopes == [["secas@secas.example", "panel@panel.example"]]
    [stored] = await list_outbox(sessions)
    assert stored.status == "sent"
    assert "panel-chair@secas.example (550 5.1.1 No such mailbox)" in (stored.last_error or "")


async def test_a_wrong_mail_from_holds_the_notice_until_it_is_fixed(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, level_1: NoticeRequest
) -> None:
    """A setting wrong for every message is not one message's fault: it is retried."""
    broken = new_worker(sessions, mail_server, contacts_file, mail_from=f"sec@x.example{INJECTED}")
    with pytest.raises(MailUndelivered, match=r"MAIL_FROM .* is not one email address"):
        await broken.send(level_1)

    await new_worker(sessions, mail_server, contacts_file).send(level_1)

    assert mail_server.keys == [level_1.notice.key]


async def test_a_message_that_cannot_be_built_is_failed_not_retried_for_ever(
    sessions: Sessions,
    mail_server: MailServer,
    contacts_file: Path,
    level_1: NoticeRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def cannot_build(*_args: object) -> object:
        raise ValueError("Header values may not contain linefeed or carriage return characters")

    monkeypatch.setattr(activities.mail, "build_message", cannot_build)

    failed = await run_activity(new_worker(sessions, mail_server, contacts_file), level_1)

    assert failed.type == "Undeliverable"
    assert "the message could not be built: ValueError: Header values" in failed.message
    [stored] = await list_outbox(sessions)
    assert stored.status == "failed"


async def test_a_bad_contacts_entry_is_skipped_and_the_message_says_so(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, level_1: NoticeRequest
) -> None:
    write_contacts(
        contacts_file,
        'SECAS: [secas@secas.example, "ops@secas.example\\r\\nBcc: evil@attacker.example"]\n'
        "PANEL: [panel@panel.example]\n",
    )

    receipt = await new_worker(sessions, mail_server, contacts_file).send(level_1)

    assert receipt.recipients == [
        "secas@secas.example",
        "panel-chair@secas.example",
        "panel@panel.example",
    ]
    [message] = mail_server.received
    assert message["Bcc"] is None
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "The contacts file holds an address for SECAS that is not a usable email" in text


# -- `sec-release mail` and `contacts` -----------------------------------------------------------


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "SEC_RELEASE_CONTACTS", "MAIL_FROM", "SEC_RELEASE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


async def sec_release(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


@pytest.mark.usefixtures("clean_environment")
async def test_mail_shows_a_failed_message_with_its_error(
    store_url: str,
    sessions: Sessions,
    mail_server: MailServer,
    contacts_file: Path,
    june_2020: ReleaseState,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sender = new_worker(sessions, mail_server, contacts_file)
    reminder = notice_request(june_2020, "/scope_system/c1/reminder")
    await sender.send(reminder)
    mail_server.refuse_subjects["Escalation"] = "554 5.7.1 Message content rejected"
    with pytest.raises(MailUndeliverable, match="can never be sent"):
        await sender.send(notice_request(june_2020, "/scope_system/c1/L1"))
    mail_server.refuse_subjects = {}
    mail_server.refuse_with = "451 4.3.0 Try later"
    with pytest.raises(MailUndelivered):
        await sender.send(notice_request(june_2020, "/scope_system/c1/L2"))
    monkeypatch.setenv("DATABASE_URL", store_url)

    assert await sec_release("mail", "--json", "--data-dir", str(tmp_path)) == 0
    listed = json.loads(capsys.readouterr().out)
    assert await sec_release("mail", "--data-dir", str(tmp_path)) == 0
    shown = capsys.readouterr().out

    server = f"127.0.0.1:{mail_server.port}"
    assert [(m["status"], m["error"]) for m in listed] == [
        ("sent", None),
        (
            "failed",
            f"the mail server {server} refused it permanently: SMTPDataError: "
            "(554, '5.7.1 Message content rejected')",
        ),
        ("failed-retrying", "SMTPDataError: (451, '4.3.0 Try later')"),
    ]
    assert all({"key", "at", "to", "subject", "status", "error"} <= set(m) for m in listed)
    assert f"failed (the mail server {server} refused it permanently" in shown
    assert "5.7.1 Message content rejected" in shown
    assert "1 message can never be sent (status failed)" in shown


@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize(
    ("email", "sentence"),
    [
        (
            "dcc@dcc.example\r\nBcc: evil@attacker.example",
            "'dcc@dcc.example\\r\\nBcc: evil@attacker.example' (for DCC) holds a line break",
        ),
        ("dcc@dcc.example\n", "holds a line break or another control character"),
        ("a@dcc.example, b@dcc.example", "is not an email address; write one address"),
        ("Jo <jo@dcc.example> x@evil.example", "is not an email address"),
    ],
)
async def test_contacts_set_refuses_an_address_with_a_line_break_or_more_than_one_address(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], email: str, sentence: str
) -> None:
    assert await sec_release("contacts", "set", "DCC", email, "--data-dir", str(tmp_path)) == 1
    assert sentence in capsys.readouterr().err
    assert not (tmp_path / "contacts.yaml").exists()


@pytest.mark.usefixtures("clean_environment")
async def test_contacts_list_reports_an_entry_of_the_file_that_is_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_contacts(
        tmp_path / "contacts.yaml",
        'PARTY: [a@party.example, "b@party.example\\nBcc: evil@attacker.example"]\n',
    )

    assert await sec_release("contacts", "list", "--json", "--data-dir", str(tmp_path)) == 0
    listed = {c["role"]: c for c in json.loads(capsys.readouterr().out)}
    assert await sec_release("contacts", "list", "--data-dir", str(tmp_path)) == 0
    shown = capsys.readouterr().out

    assert listed["PARTY"]["addresses"] == ["a@party.example"]
    [skipped] = listed["PARTY"]["skipped"]
    assert "'b@party.example\\nBcc: evil@attacker.example' (for PARTY) holds a line" in skipped
    assert skipped in shown
