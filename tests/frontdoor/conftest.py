"""The front door over real HTTP: uvicorn on a free port, in front of a real dev server.

One `sec-release up` (as the e2e tier starts it) gives the Temporal dev server and the worker;
the front door under test runs in this process, in a thread of its own with its own event loop
(so synchronous tests such as schemathesis's can call it as well as async ones), and is called
with httpx like any client. Credentials are fixed bearer tokens, one per role, read by
`FixedTokens`: a test fixture standing in for the directory's authenticator.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdoor.app import create_app
from frontdoor.directory import Directory
from frontdoor.serve import front_door
from schemas.principal import AccessRole, Principal
from settings import Settings
from starter.client import Connection
from starter.session import deployment_with
from tests.activities.conftest import sessions, store_url
from tests.e2e.conftest import DevServer

START_TIMEOUT_SECONDS = 60.0


def token_of(role: AccessRole) -> str:
    return f"test-token-{role.value.lower()}"


def principal_of(role: AccessRole) -> Principal:
    return Principal(login=f"{role.value.lower()}-tester", role=role, name=f"{role.value} Tester")


def headers(role: AccessRole) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_of(role)}"}


class FixedTokens:
    """Test fixture: a bearer token per role, `test-token-panel` and so on; nothing else."""

    def __init__(self) -> None:
        self.principals = {token_of(role): principal_of(role) for role in AccessRole}

    async def authenticate(self, request: Request) -> Principal | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return self.principals.get(token) if scheme.lower() == "bearer" else None


def build_app(settings: Settings, connection: Connection) -> FastAPI:
    return create_app(
        settings,
        releases=lambda: deployment_with(settings, connection),
        authenticator=FixedTokens(),
    )


@dataclass
class FrontDoor:
    """The front door under test: its URL and its app (for its routes)."""

    url: str
    app: FastAPI


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """One dev server, worker and mail sink for the front door's tests."""
    root = tmp_path_factory.mktemp("frontdoor")
    dev = DevServer(data_dir=root / "data", log=root / "up.log")
    dev.start()
    try:
        yield dev
    finally:
        if dev.process is not None:
            dev.stop()


@pytest.fixture(scope="session")
def api(dev_server: DevServer) -> Iterator[FrontDoor]:
    """The front door on a free port, in a thread with its own event loop, until the session ends."""
    settings = Settings(data_dir=Path(dev_server.data_dir), temporal_address=dev_server.address)
    app = build_app(settings, Connection(address=dev_server.address))
    ready = threading.Event()
    url: list[str] = []
    stop: list[asyncio.Event] = []
    failed: list[BaseException] = []

    async def serve() -> None:
        stop.append(asyncio.Event())
        try:
            async with front_door(app, "127.0.0.1", 0) as where:
                url.append(where)
                ready.set()
                await stop[0].wait()
        except BaseException as exc:
            failed.append(exc)
            ready.set()

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    assert ready.wait(START_TIMEOUT_SECONDS), "the front door did not start"
    assert not failed, failed
    try:
        yield FrontDoor(url[0], app)
    finally:
        loop.call_soon_threadsafe(stop[0].set)
        thread.join(30)


# -- the directory on a real store (SQLite and PostgreSQL) -----------------------------------

__all__ = ["FakeClock", "sessions", "store_url"]

# Argon2id with small costs: the same format and code path, a thousandth of the time.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass
class FakeClock:
    """The time of day as the test sets it."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def directory(sessions: async_sessionmaker[AsyncSession], clock: FakeClock) -> Directory:
    return Directory(sessions, hasher=CHEAP_HASHER, clock=clock)
