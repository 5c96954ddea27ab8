"""The local mail sink: with no SMTP server configured, `sec-release up` runs this one.

An `aiosmtpd` SMTP server on the running event loop (no thread) that accepts every message and
keeps it as an `.eml` file in the data dir's `mail/` folder, so a new user sees the reminders
and escalations arrive with nothing configured (open the files in any mail client).

The messages name people and carry the release's business, so the folder is 0700 and each file
0600 whatever the umask: created with those modes and set again explicitly (a umask can only
take bits away, and a folder left by an older version may be wider).
"""

from __future__ import annotations

import asyncio
import errno
import itertools
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiosmtpd.smtp import SMTP

from starter.errors import Unavailable

if TYPE_CHECKING:
    from settings import Settings

SINK_HOST = "127.0.0.1"
MAIL_DIR_MODE = 0o700
EML_MODE = 0o600


@dataclass(frozen=True)
class SinkAddress:
    """Where the sink listens and where it writes."""

    host: str
    port: int
    directory: Path

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class EmlWriter:
    """An aiosmtpd handler that writes each message it accepts to `directory` as a `.eml`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._numbers = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.directory / f"{stamp}-{next(self._numbers):05d}.eml"
        content: bytes = envelope.original_content or envelope.content
        await asyncio.to_thread(_write_new, path, content)
        return "250 Message accepted for delivery"


def _write_new(path: Path, content: bytes) -> None:
    tmp = path.with_suffix(".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, EML_MODE)
    try:
        os.fchmod(fd, EML_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(path)  # a reader never sees half a message


def prepare_mail_dir(directory: Path) -> None:
    """Create the mail folder (and its parents) and make it 0700, whatever the umask."""
    directory.mkdir(parents=True, exist_ok=True, mode=MAIL_DIR_MODE)
    os.chmod(directory, MAIL_DIR_MODE)


@asynccontextmanager
async def local_mail_sink(
    settings: Settings, *, host: str = SINK_HOST, port: int | None = None
) -> AsyncIterator[SinkAddress]:
    """Run the sink on `host`:`port` (default `settings.sink_port`; 0 picks a free port).

    Raises:
        Unavailable: the port is taken or cannot be used (the sentence says what to set).
    """
    directory = settings.mail_dir
    await asyncio.to_thread(prepare_mail_dir, directory)
    wanted = settings.sink_port if port is None else port
    handler = EmlWriter(directory)
    loop = asyncio.get_running_loop()
    try:
        server = await loop.create_server(
            lambda: SMTP(handler, hostname="sec-release-sink", enable_SMTPUTF8=True),
            host=host,
            port=wanted,
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise Unavailable(
                f"The local mail sink cannot listen on {host}:{wanted}: the port is taken (is "
                "another `sec-release up` running?). Set SEC_RELEASE_SINK_PORT to a free port, "
                "or SMTP_HOST to a real mail server."
            ) from None
        raise Unavailable(
            f"The local mail sink cannot listen on {host}:{wanted}: {exc.strerror or exc}. "
            "Set SEC_RELEASE_SINK_PORT to another port, or SMTP_HOST to a real mail server."
        ) from None
    bound = server.sockets[0].getsockname()[1]
    try:
        yield SinkAddress(host=host, port=int(bound), directory=directory)
    finally:
        server.close()
        await server.wait_closed()


@asynccontextmanager
async def local_mail_sink_unless_smtp(settings: Settings) -> AsyncIterator[SinkAddress | None]:
    """The local sink on `settings.sink_port` when SMTP_HOST is unset; nothing otherwise.

    What `sec-release up` wraps the worker in: mail then reaches the sink, because
    `SmtpTarget.from_settings` sends to 127.0.0.1:`sink_port` when no SMTP_HOST is set.
    """
    if settings.smtp_host:
        yield None
        return
    async with local_mail_sink(settings) as sink:
        yield sink
