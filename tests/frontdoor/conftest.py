"""The front door over real HTTP: uvicorn on a free port, in front of a real dev server.

One `sec-release up` (as the e2e tier starts it) gives the Temporal dev server and the worker;
the front door under test runs in this process, in a thread of its own with its own event loop
(so synchronous tests such as schemathesis's can call it as well as async ones), and is called
with httpx like any client. It authenticates as production does, with the directory's
authenticator on the dev server's store (`frontdoor.serve.app_for`); the credentials are the
real directory tokens of the dev users `up` creates, one per role (`dev-tokens.json`, read with
`starter.devusers.read_dev_tokens`), each checked against the directory before any test runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.store import open_engine, session_factory
from frontdoor.directory import Directory
from frontdoor.serve import app_for, front_door
from schemas.principal import AccessRole, Principal
from settings import Settings
from starter.client import Connection
from starter.devusers import read_dev_tokens
from tests.activities.conftest import sessions, store_url
from tests.e2e.conftest import DevServer, running_stack
from tests.threaded import served_in_a_thread

START_TIMEOUT_SECONDS = 60.0


_CREDENTIALS: dict[AccessRole, tuple[str, Principal]] = {}
"""Each role's dev token and the principal the directory says it names (set by `api`)."""


def _credentials(role: AccessRole) -> tuple[str, Principal]:
    if role not in _CREDENTIALS:
        raise RuntimeError("the dev users' tokens are read by the `api` fixture; use it first")
    return _CREDENTIALS[role]


def token_of(role: AccessRole) -> str:
    """The dev user's API token for `role` (a real directory token)."""
    return _credentials(role)[0]


def principal_of(role: AccessRole) -> Principal:
    """The principal the directory authenticates `token_of(role)` as."""
    return _credentials(role)[1]


def headers(role: AccessRole) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_of(role)}"}


def build_app(settings: Settings, connection: Connection) -> FastAPI:
    """The front door `serve` and `up` run: the directory's authenticator on the settings' store."""
    return app_for(settings, connection)


async def _principals(settings: Settings, tokens: dict[str, str]) -> dict[AccessRole, Principal]:
    """Who each dev token names, as the directory says (every role must have a live token)."""
    engine = open_engine(settings.database_url)
    try:
        directory = Directory(session_factory(engine))
        found: dict[AccessRole, Principal] = {}
        for role in AccessRole:
            principal = await directory.principal_for_token(tokens[role.value])
            assert principal is not None, f"the dev token of {role} is not a live directory token"
            assert principal.role is role, (role, principal)
            found[role] = principal
        return found
    finally:
        await engine.dispose()


def read_credentials(settings: Settings) -> dict[AccessRole, tuple[str, Principal]]:
    """The dev users' tokens in `settings.data_dir`, and the principal each names."""
    tokens = read_dev_tokens(settings.model_copy(update={"dev_mode": True}))
    assert set(tokens) == {role.value for role in AccessRole}, sorted(tokens)
    principals = asyncio.run(_principals(settings, tokens))
    return {role: (tokens[role.value], principals[role]) for role in AccessRole}


@dataclass
class FrontDoor:
    """The front door under test: its URL and its app (for its routes)."""

    url: str
    app: FastAPI


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """One dev server, worker and mail sink for the front door's tests."""
    yield from running_stack(tmp_path_factory, "frontdoor")


def dev_settings(dev_server: DevServer) -> Settings:
    """The settings of a front door on the dev server's store (production's, not dev mode)."""
    return Settings(data_dir=Path(dev_server.data_dir), temporal_address=dev_server.address)


@pytest.fixture(scope="session")
def dev_credentials(dev_server: DevServer) -> dict[AccessRole, tuple[str, Principal]]:
    """Each role's dev token and principal, checked against the directory (for `token_of`)."""
    _CREDENTIALS.update(read_credentials(dev_settings(dev_server)))
    return dict(_CREDENTIALS)


@pytest.fixture(scope="session")
def api(
    dev_server: DevServer, dev_credentials: dict[AccessRole, tuple[str, Principal]]
) -> Iterator[FrontDoor]:
    """The front door on a free port, in a thread with its own event loop, until the session ends."""
    settings = dev_settings(dev_server)
    app = build_app(settings, Connection(address=dev_server.address))

    @contextlib.asynccontextmanager
    async def serve() -> AsyncIterator[FrontDoor]:
        async with front_door(app, "127.0.0.1", 0) as where:
            yield FrontDoor(where, app)

    with served_in_a_thread(
        serve, what="the front door", start_seconds=START_TIMEOUT_SECONDS
    ) as door:
        yield door


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
