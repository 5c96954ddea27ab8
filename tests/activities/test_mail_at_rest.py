"""Mail at rest: the local sink's `mail/` folder is 0700 and each `.eml` file 0600, whatever
the umask (issue 11, "Data at rest"). A real aiosmtpd sink, a real SMTP client."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest

from activities.sink import local_mail_sink
from settings import Settings


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """The common default umask, under which files would be world-readable."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def mail_one(host: str, port: int, subject: str) -> None:
    message = EmailMessage()
    message["From"] = "sec-release@secas.example"
    message["To"] = "panel@panel.example"
    message["Subject"] = subject
    message.set_content("The scope of the release.")
    await aiosmtplib.send(message, hostname=host, port=port, timeout=5)


@pytest.mark.usefixtures("permissive_umask")
@pytest.mark.parametrize("folder_existed", [False, True])
async def test_the_sink_keeps_mail_readable_by_its_owner_only(
    tmp_path: Path, folder_existed: bool
) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    if folder_existed:  # left by an older sec-release, with the umask's modes
        settings.mail_dir.mkdir(parents=True, mode=0o755)

    async with local_mail_sink(settings, port=0) as sink:
        await mail_one(sink.host, sink.port, "12-month notice")
        await mail_one(sink.host, sink.port, "6-month notice")
        files = await asyncio.to_thread(lambda: sorted(settings.mail_dir.glob("*.eml")))

    assert len(files) == 2
    assert oct(mode(settings.mail_dir)) == oct(0o700)
    assert [oct(mode(f)) for f in files] == [oct(0o600)] * 2
    assert not list(settings.mail_dir.glob("*.part"))
