"""The front door's FastAPI app: `create_app(settings, releases=..., authenticator=...)`.

It holds no state of its own: who the caller is comes from the `Authenticator`, the releases
from a `ReleaseClient` (or a function connecting one on first use), and every answer from the
same ops the CLI runs. `frontdoor.serve` runs it under uvicorn for `sec-release serve` and `up`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdoor import errors
from frontdoor.auth_api import Authenticator
from frontdoor.commands_api import command_router
from frontdoor.models import Health
from frontdoor.readings import router as reading_router
from frontdoor.session_routes import router as session_router
from frontdoor.web.pages import install as install_web
from schemas.text import MAX_PAYLOAD_BYTES
from settings import Settings
from starter.client import ReleaseClient

Releases = Callable[[], Awaitable[ReleaseClient]] | ReleaseClient


def create_app(settings: Settings, *, releases: Releases, authenticator: Authenticator) -> FastAPI:
    """The HTTP API of ACCESS.md, in front of `releases`, trusting `authenticator` for who calls.

    Args:
        settings: the one `Settings` (kept on `app.state.settings` for the routes that need it).
        releases: where the releases run, or an async function connecting to it; it is called
            on the first request that needs it, and again after a failure (Temporal may start
            after the front door).
        authenticator: finds the principal of a request; no principal is a 401.
    """
    app = FastAPI(
        title="sec-release",
        summary="Governance of Smart Energy Code releases: the front door's HTTP API.",
        description=(
            "Every `/api` route needs credentials (`Authorization: Bearer TOKEN`). The actor "
            "of a command is the authenticated principal; a request naming an actor or a role "
            'is refused. Refusals are `{"error": sentence}`.'
        ),
        version="1",
    )
    app.state.settings = settings
    app.state.authenticator = authenticator
    app.state.releases = _connect_once(releases)
    errors.install(app)
    app.add_middleware(BodyLimit, limit=MAX_PAYLOAD_BYTES)

    @app.get("/healthz", response_model=Health, tags=["health"], summary="The front door is up")
    async def healthz() -> Health:
        return Health(dev_mode=settings.dev_mode)

    app.include_router(session_router)
    app.include_router(reading_router)
    app.include_router(command_router())
    install_web(app)
    return app


def _connect_once(releases: Releases) -> Callable[[], Awaitable[ReleaseClient]]:
    """The client, connected on first use and kept; a failed connection is tried again later."""
    if isinstance(releases, ReleaseClient):
        ready = releases

        async def given() -> ReleaseClient:
            return ready

        return given
    connect = releases
    held: list[ReleaseClient] = []
    lock = asyncio.Lock()

    async def connected() -> ReleaseClient:
        async with lock:
            if not held:
                held.append(await connect())
            return held[0]

    return connected


class BodyLimit:
    """Refuse a request body over `limit` bytes with 413, before anything parses it.

    A declared `Content-Length` over the limit is refused at once; a body sent without one
    (chunked) is read up to the limit and refused as soon as it goes over.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await self._refuse(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        from fastapi.responses import JSONResponse

        kib = self.limit // 1024
        response = JSONResponse(
            {"error": f"The request body is over {kib} KB; send a smaller one."}, status_code=413
        )
        await response({"type": "http"}, _nothing, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}
