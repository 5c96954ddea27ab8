"""The directory on a real store: every test runs on SQLite and on PostgreSQL (as the adapter
tests do, from `tests.activities.conftest`), with a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdoor.directory import Directory
from tests.activities.conftest import sessions, store_url

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
