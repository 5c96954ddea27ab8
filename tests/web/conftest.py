"""The web app in a real browser, against the real stack.

One `sec-release up` (the e2e tier's `DevServer`: the Temporal dev server, the worker, the mail
sink) runs the releases; the front door under test runs in this process (uvicorn in a thread with
its own event loop) with the real `DirectoryAuthenticator` on the dev server's own store, and its
users are added with `frontdoor.directory`, as `sec-release users add` adds them. Playwright
drives Debian's Chromium (`/usr/bin/chromium`; `playwright install` is never used). Without that
browser the tests skip, naming the package to install.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import SecretStr

from activities.store import open_engine, session_factory, upgrade_store
from frontdoor.app import create_app
from frontdoor.auth import DirectoryAuthenticator
from frontdoor.directory import Directory
from frontdoor.oidc import OidcClient
from frontdoor.serve import front_door
from settings import Settings
from starter.client import Connection
from starter.rehearsal import Rehearsal, start_test_server
from starter.session import deployment_with
from tests.e2e.conftest import REPO, DevServer, running_stack
from tests.frontdoor.conftest import CHEAP_HASHER
from tests.frontdoor.oidc_issuer import (
    API_AUDIENCE,
    CLIENT_ID,
    CLIENT_SECRET,
    Issuer,
    running_issuer,
)
from tests.threaded import served_in_a_thread

T = TypeVar("T")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
RESULTS = REPO / "test-results" / "web"
ROLES = ("SECAS", "PANEL", "DCC", "TAG", "OPSG", "AUTHORITY", "PARTY")

if not CHROMIUM.exists():
    pytest.skip(
        "the browser tests need Debian's Chromium at /usr/bin/chromium: as root, "
        "`apt-get install -y chromium` (`make test` does it when run as root)",
        allow_module_level=True,
    )
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="pip install -e '.[dev]' installs playwright"
)


@dataclass
class FrontDoor:
    """A front door under test: its URL, its directory, and a way to call the directory."""

    url: str
    directory: Directory
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a directory call on the server's loop (the store's engine belongs to it)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def login_of(self, role: str) -> str:
        return f"web-{role.lower()}"

    def token(self, role: str) -> str:
        return self.run(self.directory.new_token(self.login_of(role))).token

    def api(self, role: str) -> httpx.Client:
        """An API client with a bearer token of the role's user."""
        return httpx.Client(
            base_url=self.url,
            timeout=120,
            headers={"Authorization": f"Bearer {self.token(role)}"},
        )


@dataclass
class Web(FrontDoor):
    """The front door on the dev server, with single sign-on through `issuer`."""

    issuer: Issuer


@dataclass
class RehearsedWeb(FrontDoor):
    """The front door on a rehearsal (the time-skipping server): business time moves on with
    `advance_to`, every timer on the way firing (appeal windows, deadlines, reminders)."""

    rehearsal: Rehearsal

    def advance_to(self, moment: datetime) -> None:
        self.run(self.rehearsal.advance_to(moment))

    def now(self) -> datetime:
        return self.run(self.rehearsal.now())


async def add_users(directory: Directory) -> None:
    """One user per role, `web-<role>`, each with the password `PASSWORD`."""
    for role in ROLES:
        await directory.add_user(
            f"web-{role.lower()}",
            role,
            name=f"{role.title()} Tester",
            org="Energy Co" if role == "PARTY" else "",
            password=PASSWORD,
        )


@pytest.fixture(scope="session")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    yield from running_stack(tmp_path_factory, "web")


@pytest.fixture(scope="session")
def issuer() -> Iterator[Issuer]:
    """The organisations' sign-in provider (`tests/frontdoor/oidc_issuer.py`), which signs in
    its `user` at once."""
    with running_issuer() as running:
        yield running


@pytest.fixture(scope="session")
def web(dev_server: DevServer, issuer: Issuer) -> Iterator[Web]:
    """The front door with the directory's authenticator on the dev server's store and single
    sign-on through `issuer`; one user per role, each with the password `PASSWORD`."""
    settings = Settings(
        data_dir=Path(dev_server.data_dir),
        temporal_address=dev_server.address,
        oidc_issuer=issuer.url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=SecretStr(CLIENT_SECRET),
        oidc_audience=API_AUDIENCE,
        # The port is known once it listens; the client is told its callback then.
        oidc_redirect_url="http://127.0.0.1/login/oidc/callback",
    )
    oidc = OidcClient(settings)

    @contextlib.asynccontextmanager
    async def serve() -> AsyncIterator[Web]:
        engine = open_engine(settings.database_url)
        try:
            await upgrade_store(engine)
            directory = Directory(session_factory(engine), hasher=CHEAP_HASHER)
            await add_users(directory)
            app = create_app(
                settings,
                releases=lambda: deployment_with(settings, Connection(address=dev_server.address)),
                authenticator=DirectoryAuthenticator(directory, oidc),
            )
            async with front_door(app, "127.0.0.1", 0) as url:
                oidc.redirect_url = f"{url}/login/oidc/callback"
                yield Web(url, directory, asyncio.get_running_loop(), issuer)
        finally:
            await engine.dispose()

    with served_in_a_thread(serve, what="the front door", start_seconds=120) as served:
        yield served


# A rehearsal's business clock starts here: May 2019, thirteen months before the June 2020
# release's go-live.
REHEARSAL_START = datetime(2019, 5, 6, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def rehearsed_web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RehearsedWeb]:
    """The front door whose releases run on a rehearsal (`starter.rehearsal`: a private
    time-skipping server, the real workflows and worker, business time from `REHEARSAL_START`),
    with the directory's authenticator on a fresh store; users as `web`'s. Everything of the
    rehearsal runs on the front door's own event loop (the Temporal client belongs to it)."""
    root = tmp_path_factory.mktemp("rehearsed-web")
    settings = Settings(data_dir=root, temporal_address="127.0.0.1:1")  # never dialled

    @contextlib.asynccontextmanager
    async def serve() -> AsyncIterator[RehearsedWeb]:
        env = await start_test_server()
        engine = open_engine(settings.database_url)
        try:
            async with Rehearsal(env, REHEARSAL_START) as rehearsal:
                await upgrade_store(engine)
                directory = Directory(session_factory(engine), hasher=CHEAP_HASHER)
                await add_users(directory)
                app = create_app(
                    settings,
                    releases=rehearsal.deployment,
                    authenticator=DirectoryAuthenticator(directory, None),
                )
                async with front_door(app, "127.0.0.1", 0) as url:
                    yield RehearsedWeb(url, directory, asyncio.get_running_loop(), rehearsal)
        finally:
            await engine.dispose()
            await env.shutdown()

    with served_in_a_thread(
        serve, what="the rehearsal's front door", start_seconds=180, stop_seconds=180
    ) as served:
        yield served


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one module: Playwright's sync API holds an event loop on the main thread
    while it runs, which the async tests of later modules could not then start their own on."""
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, web: Web) -> Iterator[Any]:
    """A fresh browser context (no cookies) on the front door."""
    context = browser.new_context(base_url=web.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Any, web: FrontDoor, role: str) -> None:
    """Sign in as a person does: the sign-in page, login and password, the button."""
    page.goto("/")
    page.get_by_label("Login").fill(web.login_of(role))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/(\?.*)?$"))


def screenshot(page: Any, name: str) -> None:
    """Save the whole page for people to look at (test-results/web, not committed)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
