"""`--data-dir` is the register the reading commands fall back on, whatever the environment says.

Temporal's retention drops an ended release's history; `status` and `list` then read its final
record from the register in the command's data dir. Here the Temporal server is a fake that
holds no release at all, and the register is a real SQLite store in a data dir of the test's own,
while SEC_RELEASE_DATA_DIR names another (empty) one.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from temporalio.service import RPCError, RPCStatusCode

import starter.client
from activities.register import SqlRegister
from activities.store import open_engine, session_factory, upgrade_store
from schemas.state import ReleaseState
from settings import Settings
from starter.cli import main
from starter.client import Connection
from tests.activities.test_register import record_of


class _Forgotten:
    """A workflow handle of a release Temporal no longer holds."""

    async def query(self, *_: Any, **__: Any) -> NoReturn:
        raise RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b"")

    async def describe(self, *_: Any, **__: Any) -> NoReturn:
        raise RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b"")


class EmptyTemporal:
    """A Temporal client whose retention has dropped every release."""

    def get_workflow_handle_for(self, *_: Any, **__: Any) -> _Forgotten:
        return _Forgotten()

    def list_workflows(self, query: str) -> AsyncIterator[Any]:
        return self._none()

    async def _none(self) -> AsyncIterator[Any]:
        nothing: list[Any] = []
        for found in nothing:
            yield found


async def _file_final_record(data_dir: Path, state: ReleaseState) -> None:
    """The register in `data_dir` holds `state`'s final record (as the worker files it)."""
    engine = open_engine(Settings(data_dir=data_dir).database_url)
    try:
        await upgrade_store(engine)
        last = state.audit[-1].seq
        await SqlRegister(session_factory(engine)).record(record_of(state, last, final=True))
    finally:
        await engine.dispose()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, june_2020: ReleaseState) -> Path:
    """A data dir whose register holds the closed June 2020 release; the environment names
    another data dir, and every command's Temporal is `EmptyTemporal`."""
    ours = tmp_path / "ours"
    asyncio.run(_file_final_record(ours, june_2020))
    monkeypatch.setenv("SEC_RELEASE_DATA_DIR", str(tmp_path / "someone-elses"))
    monkeypatch.delenv("DATABASE_URL", raising=False)

    async def connect(conn: Connection) -> Any:
        return EmptyTemporal()

    monkeypatch.setattr(starter.client, "connect", connect)
    return ours


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The command straight to (the fake) Temporal, as an operator on the server's machine."""
    code = main([*argv, "--direct"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_status_reads_the_register_in_the_data_dir_it_is_given(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "status", "2020-06", "--data-dir", str(data_dir), "--json")

    assert code == 0, err
    status = json.loads(out)
    assert (status["id"], status["phase"]) == ("2020-06", "CLOSED")


def test_list_shows_the_ended_releases_of_the_data_dir_it_is_given(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "list", "--data-dir", str(data_dir), "--json")

    assert code == 0, err
    assert [(r["id"], r["phase"]) for r in json.loads(out)] == [("2020-06", "CLOSED")]


def test_without_data_dir_the_environment_names_the_register(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "status", "2020-06")
    assert code != 0
    assert "There is no release '2020-06'" in err

    code, out, err = run(capsys, "list", "--json")
    assert code == 0, err
    assert json.loads(out) == []
