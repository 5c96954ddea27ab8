"""`sec-release users` and `sec-release tokens`: the directory managed where the store is, with no
Temporal server (each run in-process, on a thread, as the console script would)."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

import pytest

from activities.store import open_engine, session_factory
from frontdoor.directory import Directory
from schemas.principal import AccessRole
from starter.cli import main
from tests.frontdoor.conftest import CHEAP_HASHER


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "SEC_RELEASE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


async def sec_release(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


def json_out(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


async def test_users_and_tokens_from_an_empty_store_to_a_working_token(
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", store_url)
    assert await sec_release("users", "list", "--json") == 0
    assert json_out(capsys) == []

    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase\n"))
    argv = ["users", "add", "chair", "--role", "panel_chair", "--name", "Panel Chair"]
    assert await sec_release(*argv, "--password-stdin", "--json") == 0
    added = json_out(capsys)
    assert isinstance(added, dict)
    assert (added["login"], added["role"], added["password"]) == ("chair", "PANEL_CHAIR", True)
    argv = ["users", "add", "dcc-tests", "--role", "DCC", "--org", "DCC", "--service"]
    assert await sec_release(*argv) == 0
    assert "Added service account dcc-tests (DCC, DCC)" in capsys.readouterr().out

    assert await sec_release("tokens", "new", "dcc-tests", "--expires", "7", "--json") == 0
    new = json_out(capsys)
    assert isinstance(new, dict)
    assert set(new) == {"id", "token", "expires"}
    assert new["token"].startswith("sr_")

    engine = open_engine(store_url)
    try:
        directory = Directory(session_factory(engine), hasher=CHEAP_HASHER)
        principal = await directory.principal_for_token(new["token"])
        assert principal is not None
        assert (principal.login, principal.role) == ("dcc-tests", AccessRole.DCC)
        assert await directory.verify_password("chair", "a long enough passphrase") is not None

        assert await sec_release("tokens", "list", "dcc-tests", "--json") == 0
        tokens = json_out(capsys)
        assert isinstance(tokens, list)
        [listed] = tokens
        assert (listed["id"], listed["state"]) == (new["id"], "active")
        assert new["token"] not in json.dumps(listed)

        assert await sec_release("tokens", "revoke", new["id"]) == 0
        assert f"Revoked token {new['id']} of dcc-tests" in capsys.readouterr().out
        assert await directory.principal_for_token(new["token"]) is None

        assert await sec_release("users", "disable", "chair") == 0
        capsys.readouterr()
        assert await directory.verify_password("chair", "a long enough passphrase") is None
    finally:
        await engine.dispose()

    assert await sec_release("users", "list", "--json") == 0
    listed_users = json_out(capsys)
    assert isinstance(listed_users, list)
    assert [(u["login"], u["disabled"]) for u in listed_users] == [
        ("chair", True),
        ("dcc-tests", False),
    ]


async def test_the_data_dir_holds_the_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "data")
    assert await sec_release("users", "add", "kemp", "--role", "SECAS", "--data-dir", data) == 0
    assert (tmp_path / "data" / "sec-release.db").exists()
    capsys.readouterr()
    assert await sec_release("users", "list", "--data-dir", data) == 0
    assert "kemp" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "code", "sentence"),
    [
        (["users", "add", "x", "--role", "BOSS"], 1, "'BOSS' is not a role; the roles are SECAS"),
        (["users", "add", "acme", "--role", "PARTY"], 1, "A PARTY needs the name of its SEC"),
        (["users", "add", "Bad Login", "--role", "DCC"], 1, "is not a valid login"),
        (["users", "disable", "nobody"], 1, "There is no principal 'nobody'"),
        (["users", "enable", "nobody"], 1, "There is no principal 'nobody'"),
        (["tokens", "new", "nobody"], 1, "There is no principal 'nobody'"),
        (["tokens", "revoke", "tk_0"], 1, "There is no token 'tk_0'"),
        (["tokens", "new", "x", "--expires", "0"], 2, "0 days is out of range"),
        (["users", "add", "x"], 2, "the following arguments are required: --role"),
        (["users", "rename", "x"], 2, "invalid choice: 'rename'"),
    ],
)
async def test_refusals_are_one_sentence_and_an_exit_code(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    code: int,
    sentence: str,
) -> None:
    assert await sec_release(*argv, "--data-dir", str(tmp_path), "--json") == code
    captured = capsys.readouterr()
    assert sentence in captured.err
    assert sentence in json.loads(captured.out)["error"]


async def test_a_disabled_login_is_enabled_again_and_its_token_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path)]
    assert await sec_release("users", "add", "tag-bot", "--role", "TAG", "--service", *data) == 0
    assert await sec_release("tokens", "new", "tag-bot", "--json", *data) == 0
    capsys.readouterr()
    assert await sec_release("tokens", "new", "tag-bot", "--json", *data) == 0
    token = json_out(capsys)
    assert isinstance(token, dict)
    engine = open_engine(f"sqlite+aiosqlite:///{tmp_path / 'sec-release.db'}")
    try:
        directory = Directory(session_factory(engine), hasher=CHEAP_HASHER)
        assert await sec_release("users", "disable", "tag-bot", *data) == 0
        assert await directory.principal_for_token(token["token"]) is None
        capsys.readouterr()
        assert await sec_release("users", "enable", "tag-bot", "--json", *data) == 0
        enabled = json_out(capsys)
        assert isinstance(enabled, dict)
        assert (enabled["login"], enabled["disabled"]) == ("tag-bot", False)
        principal = await directory.principal_for_token(token["token"])
        assert principal is not None and principal.login == "tag-bot"
    finally:
        await engine.dispose()


async def test_a_service_account_takes_no_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough passphrase"))
    argv = ["users", "add", "bot", "--role", "DCC", "--service", "--password-stdin"]
    assert await sec_release(*argv, "--data-dir", str(tmp_path)) == 1
    assert "A service account has no password" in capsys.readouterr().err
