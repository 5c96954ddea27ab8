"""Real parts for the adapter tests: a store on SQLite and on PostgreSQL, an SMTP server.

Every store test runs twice: on a fresh SQLite file, and on a fresh PostgreSQL database created
for that one test on the server at 127.0.0.1:5432 (trust auth; `SEC_RELEASE_TEST_POSTGRES`
names another) and dropped afterwards. Where no PostgreSQL answers, that variant is skipped and
says why. The SMTP server is `aiosmtpd` on the test's own event loop.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from activities.mail import OutboxSender, SmtpTarget
from activities.store import open_engine, session_factory, upgrade_store
from rules.clock import london
from schemas.state import ReleaseState
from schemas.workflow_io import NoticeRequest
from tests.june2020_state import june_2020_state

# The database the per-test databases are created from.
POSTGRES = os.environ.get(
    "SEC_RELEASE_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)

_postgres_down: str | None = None
_postgres_checked = False


def _admin() -> AsyncEngine:
    return create_async_engine(POSTGRES, isolation_level="AUTOCOMMIT", poolclass=NullPool)


async def _postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used (None when it answers); asked once per session."""
    global _postgres_checked, _postgres_down
    if not _postgres_checked:
        _postgres_checked = True
        engine = _admin()
        try:
            async with asyncio.timeout(5), engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (OSError, DBAPIError, TimeoutError) as exc:
            _postgres_down = f"no PostgreSQL answers at {POSTGRES} ({type(exc).__name__}: {exc})"
        finally:
            await engine.dispose()
    return _postgres_down


async def _admin_execute(statement: str) -> None:
    engine = _admin()
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of its own: a SQLite file, or a PostgreSQL database dropped after."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'sec-release.db'}"
        return
    reason = await _postgres_unavailable()
    if reason:
        pytest.skip(reason)
    name = f"sec_release_test_{uuid.uuid4().hex[:12]}"
    await _admin_execute(f'CREATE DATABASE "{name}"')
    try:
        yield str(make_url(POSTGRES).set(database=name).render_as_string(hide_password=False))
    finally:
        await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def sessions(store_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a store migrated to the newest revision."""
    engine = open_engine(store_url)
    await upgrade_store(engine)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


# -- the June 2020 story, as the rules tell it ----------------------------------------------------


@pytest.fixture(scope="session")
def june_2020() -> ReleaseState:
    """The June 2020 SEC Release, closed, with every notice and audit entry of its story."""
    state, _refused = june_2020_state(london(date(2020, 9, 30), 10))
    return state


def notice_request(state: ReleaseState, key_suffix: str) -> NoticeRequest:
    """The `send_notice` argument for the notice whose key ends with `key_suffix`."""
    notice = next(n for n in state.notices if n.key.endswith(key_suffix))
    return NoticeRequest(
        release_id=state.id, release_name=state.name, go_live=state.go_live, notice=notice
    )


# -- a real SMTP server ------------------------------------------------------------------------------


@dataclass
class MailServer:
    """aiosmtpd on 127.0.0.1, which a test can stop, restart, or make refuse with a 4xx."""

    port: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)
    refuse_with: str | None = None  # e.g. "451 4.3.0 try again later"
    # Recipient -> the reply to its RCPT (e.g. "550 5.1.1 no such mailbox"); others get 250.
    refuse_recipients: dict[str, str] = field(default_factory=dict)
    # A message whose Subject holds one of these is refused at DATA with the reply given.
    refuse_subjects: dict[str, str] = field(default_factory=dict)
    _server: asyncio.Server | None = None

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse_recipients:
            return self.refuse_recipients[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refuse_with:
            return self.refuse_with
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        for marker, reply in self.refuse_subjects.items():
            if marker in str(message["Subject"]):
                return reply
        self.received.append(message)
        self.envelopes.append(list(envelope.rcpt_tos))
        return "250 OK"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="test-smtp"), host="127.0.0.1", port=self.port
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def keys(self) -> list[str]:
        return [str(m["X-SEC-Release-Key"]) for m in self.received]


@pytest.fixture
async def mail_server() -> AsyncIterator[MailServer]:
    server = MailServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def contacts_file(tmp_path: Path) -> Path:
    """A contacts directory with an address for every role but the Panel chair."""
    path = tmp_path / "contacts.yaml"
    path.write_text(
        "SECAS: [secas@secas.example]\n"
        "PANEL: [panel@panel.example]\n"
        "DCC: [release.manager@dcc.example]\n"
        "TAG: [tag@tag.example]\n"
        "OPSG: [opsg@opsg.example]\n"
        "PARTY: [supplier.a@party.example, networks@party.example]\n"
        "AUTHORITY: [codes@ofgem.example]\n",
        encoding="utf-8",
    )
    return path


def write_contacts(path: Path, text: str) -> None:
    """Rewrite the contacts file (as a person editing it, or `contacts set`, would)."""
    path.write_text(text, encoding="utf-8")


def new_worker(
    sessions: async_sessionmaker[AsyncSession],
    server: MailServer,
    contacts: Path,
    *,
    digest: bool = False,
) -> OutboxSender:
    """The sender a (new) worker process builds: same store, same mail server."""
    return OutboxSender(
        sessions,
        smtp=SmtpTarget(host="127.0.0.1", port=server.port, timeout=5.0),
        mail_from="SEC Release <sec-release@secas.example>",
        contacts_file=contacts,
        digest=digest,
    )
