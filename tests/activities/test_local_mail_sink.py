"""The local mail sink that `sec-release up` runs with no SMTP server, and the wiring of the
production adapters that `up` and `worker` use."""

from __future__ import annotations

import asyncio
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from activities.mail import SmtpTarget, message_id_for
from activities.sink import local_mail_sink, local_mail_sink_unless_smtp
from schemas.state import ReleaseState
from settings import Settings
from starter.errors import Unavailable
from tests.activities.conftest import notice_request
from worker import production_adapters


def eml_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.eml"))


async def test_with_nothing_configured_escalations_land_in_the_mail_folder(
    tmp_path: Path, june_2020: ReleaseState
) -> None:
    settings = Settings(data_dir=tmp_path)
    level_1 = notice_request(june_2020, "/scope_system/c1/L1")

    async with (
        local_mail_sink(settings, port=0) as sink,
        production_adapters(settings, smtp=SmtpTarget(sink.host, sink.port)) as (sender, register),
    ):
        receipt = await sender.send(level_1)
        await sender.send(level_1)
        files = await asyncio.to_thread(eml_files, settings.mail_dir)
        raw = await asyncio.to_thread(files[0].read_bytes)

    assert sink.directory == tmp_path / "mail"
    assert len(files) == 1
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Message-ID"] == message_id_for(level_1.notice.key)
    assert str(message["Subject"]).startswith("Escalation level 1: June 2020 SEC Release")
    # Nobody set any contact: each role went to its default address, and that shows.
    assert receipt.recipients == ["secas@localhost", "panel-chair@localhost", "panel@localhost"]
    assert (tmp_path / "sec-release.db").exists()
    assert hasattr(register, "record")


async def test_the_sink_on_a_port_already_taken_says_what_to_set(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    async with local_mail_sink(settings, port=0) as first:
        with pytest.raises(Unavailable) as refused:
            async with local_mail_sink(settings, port=first.port):
                pass
    assert f"cannot listen on 127.0.0.1:{first.port}: the port is taken" in str(refused.value)
    assert "SEC_RELEASE_SINK_PORT" in str(refused.value)


def test_with_no_smtp_host_mail_goes_to_the_sink_port_and_with_one_to_that_server(
    tmp_path: Path,
) -> None:
    local = SmtpTarget.from_settings(Settings(data_dir=tmp_path, sink_port=8125))
    real = SmtpTarget.from_settings(
        Settings(
            data_dir=tmp_path,
            smtp_host="smtp.secas.example",
            smtp_port=587,
            smtp_starttls=True,
            smtp_username="sec",
            smtp_password="secret",
        )
    )
    assert (local.host, local.port, local.starttls) == ("127.0.0.1", 8125, False)
    assert (real.host, real.port, real.starttls, real.username) == (
        "smtp.secas.example",
        587,
        True,
        "sec",
    )


async def test_up_runs_the_sink_only_when_no_smtp_server_is_configured(tmp_path: Path) -> None:
    with_smtp = Settings(data_dir=tmp_path, smtp_host="smtp.secas.example")
    async with local_mail_sink_unless_smtp(with_smtp) as none:
        assert none is None
    async with local_mail_sink(Settings(data_dir=tmp_path), port=0) as probe:
        free = probe.port  # free again once the probe closes
    async with local_mail_sink_unless_smtp(Settings(data_dir=tmp_path, sink_port=free)) as sink:
        assert sink is not None
        assert (
            sink.port
            == free
            == SmtpTarget.from_settings(Settings(data_dir=tmp_path, sink_port=free)).port
        )
