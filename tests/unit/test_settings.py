"""Settings are read: the escalation policy a new release keeps, and the command's data dir."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import starter.client
from schemas.state import Policy
from settings import Settings
from starter.cli import build_parser
from starter.client import Connection
from starter.session import deployment_for, policy_from, settings_from


@pytest.fixture(autouse=True)
def _no_escalation_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "SEC_RELEASE_REMINDER_WORKING_DAYS",
        "SEC_RELEASE_ESCALATION_STEP_WORKING_DAYS",
        "SEC_RELEASE_ESCALATION_TOP",
    ):
        monkeypatch.delenv(name, raising=False)


def test_with_nothing_set_a_release_gets_the_default_policy() -> None:
    assert policy_from(Settings()) == Policy()


def test_the_escalation_settings_are_the_policy_of_a_new_release(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEC_RELEASE_REMINDER_WORKING_DAYS", "10")
    monkeypatch.setenv("SEC_RELEASE_ESCALATION_STEP_WORKING_DAYS", "3")
    monkeypatch.setenv("SEC_RELEASE_ESCALATION_TOP", "4")

    policy = policy_from(Settings())

    assert policy == Policy(reminder_working_days=10, step_working_days=3, escalation_top=4)


def test_a_ladder_without_a_level_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEC_RELEASE_ESCALATION_TOP", "0")
    with pytest.raises(ValidationError, match="SEC_RELEASE_ESCALATION_TOP"):
        Settings()


def test_an_escalation_step_of_no_days_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEC_RELEASE_ESCALATION_STEP_WORKING_DAYS", "0")
    with pytest.raises(ValidationError, match="SEC_RELEASE_ESCALATION_STEP_WORKING_DAYS"):
        Settings()


async def test_a_command_deployment_carries_the_policy_and_its_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SEC_RELEASE_REMINDER_WORKING_DAYS", "8")
    monkeypatch.setenv("SEC_RELEASE_DATA_DIR", str(tmp_path / "from-the-environment"))

    async def connect(conn: Connection) -> Any:
        return object()  # never called: building the deployment needs no server

    monkeypatch.setattr(starter.client, "connect", connect)
    argv = ["status", "2020-06", "--data-dir", str(tmp_path / "given")]
    args = build_parser(argv).parse_args(argv)

    deployment = await deployment_for(args)

    assert deployment.policy == Policy(reminder_working_days=8)
    assert deployment.settings is not None
    assert deployment.settings.data_dir == tmp_path / "given"
    assert settings_from(args).data_dir == tmp_path / "given"


def test_the_worker_keeps_1000_releases_in_memory_unless_told(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SEC_RELEASE_MAX_CACHED_WORKFLOWS", raising=False)
    assert Settings().max_cached_workflows == 250
    monkeypatch.setenv("SEC_RELEASE_MAX_CACHED_WORKFLOWS", "400")
    assert Settings().max_cached_workflows == 400


def test_a_worker_that_keeps_no_release_in_memory_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SEC_RELEASE_MAX_CACHED_WORKFLOWS", "0")
    with pytest.raises(ValidationError, match="SEC_RELEASE_MAX_CACHED_WORKFLOWS"):
        Settings()
