"""`sec-release mail` and `sec-release contacts`: they answer from the store and the contacts
file, with no Temporal server (each run in-process, on a thread, as the console script would).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.mail import MailUndelivered, OutboxSender, SmtpTarget
from activities.store import open_engine
from schemas.state import ReleaseState
from starter.cli import main
from tests.activities.conftest import MailServer, notice_request

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "SEC_RELEASE_CONTACTS", "MAIL_FROM", "SEC_RELEASE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


async def sec_release(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_mail_lists_the_outbox_oldest_first_with_each_status(
    store_url: str,
    sessions: Sessions,
    mail_server: MailServer,
    contacts_file: Path,
    june_2020: ReleaseState,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sender = OutboxSender(
        sessions,
        smtp=SmtpTarget("127.0.0.1", mail_server.port),
        mail_from="sec-release@secas.example",
        contacts_file=contacts_file,
    )
    twelve_month = notice_request(june_2020, "/notice/notice_12m/c1")
    level_1 = notice_request(june_2020, "/scope_system/c1/L1")
    reminder = notice_request(june_2020, "/scope_system/c1/reminder")
    await sender.send(twelve_month)
    await sender.send(reminder)
    await mail_server.stop()
    with pytest.raises(MailUndelivered):
        await sender.send(level_1)
    monkeypatch.setenv("DATABASE_URL", store_url)

    assert await sec_release("mail", "--json", "--data-dir", str(tmp_path)) == 0
    listed = json.loads(capsys.readouterr().out)
    assert await sec_release("mail", "--data-dir", str(tmp_path)) == 0
    shown = capsys.readouterr().out

    assert [(m["key"], m["status"]) for m in listed] == [
        ("2020-06/scope_system/c1/reminder", "sent"),
        ("2020-06/scope_system/c1/L1", "failed-retrying"),
        ("2020-06/notice/notice_12m/c1", "sent"),  # sent late, after the lapse
    ]
    assert listed[2]["to"] == [
        "supplier.a@party.example",
        "networks@party.example",
        "secas@secas.example",
    ]
    assert listed[2]["subject"] == twelve_month.notice.subject
    assert listed[0]["at"] == "2019-06-18T08:00:00+00:00"  # 09:00 in London
    assert "Error connecting" in listed[1]["last_error"]
    assert "failed-retrying (SMTPConnectError" in shown
    assert "* sent to a default address: no contact is set for PANEL_CHAIR" in shown
    # The text names the store and data dir it read, has a release column, fits 100 columns
    # and summarises the recipients (`--json` lists them all).
    assert shown.startswith(f"Outbox of {store_url} (data dir {tmp_path}):\n")
    assert shown.splitlines()[1].split()[:4] == ["at", "(UTC)", "release", "status"]
    assert [m["release"] for m in listed] == ["2020-06"] * 3
    table_lines = shown.split("\n\n")[0].splitlines()[1:]
    assert all(len(line) <= 100 for line in table_lines), table_lines
    assert "supplier.a@party.example +2 more" in shown
    assert "networks@party.example" not in shown


async def test_an_empty_outbox_says_which_store_it_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await sec_release("mail", "--data-dir", str(tmp_path)) == 0
    shown = capsys.readouterr().out
    assert f"(data dir {tmp_path}):\nNo notices yet" in shown
    assert str(tmp_path / "sec-release.db") in shown.splitlines()[0]


async def test_mail_before_anything_was_stored_is_an_empty_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await sec_release("mail", "--json", "--data-dir", str(tmp_path)) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert not (tmp_path / "sec-release.db").exists()


async def test_mail_on_a_store_a_newer_sec_release_upgraded_is_refused(
    store_url: str,
    sessions: Sessions,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = open_engine(store_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = 'r9001'"))
    finally:
        await engine.dispose()
    monkeypatch.setenv("DATABASE_URL", store_url)

    assert await sec_release("mail", "--json", "--data-dir", str(tmp_path)) == 1
    captured = capsys.readouterr()
    assert "newer than this sec-release knows" in json.loads(captured.out)["error"]
    assert captured.err.startswith("sec-release: The store ")


async def test_contacts_set_then_list_shows_who_receives_each_role(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert (
        await sec_release(
            "contacts",
            "set",
            "PANEL_CHAIR",
            "chair@panel.example",
            "Deputy <deputy@panel.example>",
            "--json",
            *data,
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out) == {
        "role": "PANEL_CHAIR",
        "addresses": ["chair@panel.example", "Deputy <deputy@panel.example>"],
        "file": str(tmp_path / "contacts.yaml"),
    }

    assert await sec_release("contacts", "list", "--json", *data) == 0
    listed = {c["role"]: c for c in json.loads(capsys.readouterr().out)}
    assert await sec_release("contacts", "list", *data) == 0
    shown = capsys.readouterr().out

    assert list(listed) == [
        "SECAS",
        "PANEL",
        "PANEL_CHAIR",
        "DCC",
        "TAG",
        "OPSG",
        "PARTY",
        "AUTHORITY",
    ]
    assert listed["PANEL_CHAIR"]["default"] is False
    assert listed["SECAS"] == {
        "role": "SECAS",
        "addresses": ["secas@localhost"],
        "default": True,
        "skipped": [],
    }
    assert "default: no address set" in shown
    assert "chair@panel.example" in shown
    assert shown.startswith(f"Contacts from {tmp_path / 'contacts.yaml'} (data dir {tmp_path}):")


@pytest.mark.parametrize(
    ("argv", "code", "sentence"),
    [
        (
            ["contacts", "set", "DCC", "release-manager"],
            1,
            "'release-manager' (for DCC) is not an email address",
        ),
        (
            ["contacts", "set", "OFGEM", "codes@ofgem.example"],
            1,
            "'OFGEM' is not a role that receives notices",
        ),
        (["contacts", "set", "DCC"], 2, "the following arguments are required: EMAIL"),
    ],
)
async def test_contacts_set_refuses_what_it_cannot_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, sentence: str
) -> None:
    assert await sec_release(*argv, "--data-dir", str(tmp_path)) == code
    assert sentence in capsys.readouterr().err
    assert not (tmp_path / "contacts.yaml").exists()
