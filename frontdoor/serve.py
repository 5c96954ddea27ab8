"""Running the front door under uvicorn: `sec-release serve`, and beside the worker in `up`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Generator

import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdoor.auth import DirectoryAuthenticator
from settings import Settings
from starter.client import Connection, ReleaseClient
from starter.errors import Unavailable

START_TIMEOUT_SECONDS = 30.0


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to its caller (`up` stops everything in order)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def authenticator_for(
    settings: Settings, engine: AsyncEngine | None = None
) -> DirectoryAuthenticator:
    """The authenticator of a front door started with these settings: the directory in the
    store at `settings.database_url` (migrated on the first request), API tokens, web sessions,
    and bearer JWTs from the OIDC issuer when one is configured. `engine`: the store's engine
    (one is opened when not given)."""
    from activities.store import open_engine, session_factory, upgrade_store
    from frontdoor.directory import Directory
    from frontdoor.oidc import OidcClient

    store = engine if engine is not None else open_engine(settings.database_url)
    oidc = OidcClient(settings) if settings.oidc_issuer and settings.oidc_client_id else None

    async def prepare() -> None:
        await upgrade_store(store)

    return DirectoryAuthenticator(Directory(session_factory(store)), oidc, prepare=prepare)


def app_for(settings: Settings, connection: Connection) -> FastAPI:
    """The front door of the releases these settings and this connection reach.

    One engine on the store serves the directory and the register's reads (the releases'
    client keeps it, rather than opening an engine for each read)."""
    from activities.store import open_engine
    from frontdoor.app import create_app
    from starter.session import deployment_with

    engine = open_engine(settings.database_url)
    authenticator = authenticator_for(settings, engine)

    async def releases() -> ReleaseClient:
        await authenticator.ready()  # the store migrated before the register is read
        return await deployment_with(settings, connection, engine)

    return create_app(settings, releases=releases, authenticator=authenticator)


@contextlib.asynccontextmanager
async def front_door(
    app: FastAPI, host: str, port: int, *, log_level: str = "warning"
) -> AsyncIterator[str]:
    """Serve `app` on host:port while the block runs; yields its URL once it listens."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        # Below `info` the access lines would not be printed: do not build them either.
        access_log=log_level in ("trace", "debug", "info"),
        lifespan="off",
        server_header=False,
    )
    _write_directory_changes()
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    deadline = asyncio.get_running_loop().time() + START_TIMEOUT_SECONDS
    while not server.started:
        if task.done() or asyncio.get_running_loop().time() > deadline:
            server.should_exit = True
            with contextlib.suppress(BaseException):
                await task
            raise Unavailable(
                f"The front door could not listen on {host}:{port}; is the port in use? "
                "Choose another with --http-port (up) or --port (serve)."
            )
        await asyncio.sleep(0.05)
    try:
        yield f"http://{host}:{_bound_port(server, port)}"
    finally:
        server.should_exit = True
        await task


def _write_directory_changes() -> None:
    """The audit lines of changes to the directory go to standard error, whatever the level of
    the server's own log (`frontdoor.directory_admin`)."""
    from frontdoor.directory_admin import changes

    changes.setLevel(logging.INFO)
    if not changes.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
        changes.addHandler(handler)


def _bound_port(server: uvicorn.Server, port: int) -> int:
    """The port the server listens on (the one the OS chose when asked for port 0)."""
    for listener in server.servers:
        for sock in listener.sockets:
            bound: int = sock.getsockname()[1]
            return bound
    return port
