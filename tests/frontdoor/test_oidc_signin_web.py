"""Signing in to the web app with your organisation (OIDC code flow with PKCE), in process.

The front door runs in this process (httpx's ASGI transport); the provider is the real local one
of `oidc_issuer`, reached over HTTP. A browser is played by following the redirects by hand, so
each refusal (a state that is not this browser's, a provider error, someone the directory does not
know, an expired or forged pending sign-in) can be shown to leave no session behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from frontdoor.app import create_app
from frontdoor.auth import SESSION_COOKIE, DirectoryAuthenticator
from frontdoor.directory import Directory
from frontdoor.oidc import OidcClient
from frontdoor.web.sso import PENDING_COOKIE
from settings import Settings
from starter.client import ReleaseClient
from tests.frontdoor.oidc_issuer import (
    API_AUDIENCE,
    CLIENT_ID,
    CLIENT_SECRET,
    Issuer,
    running_issuer,
)

BASE = "http://127.0.0.1"
CALLBACK = f"{BASE}/login/oidc/callback"
BUTTON = "Sign in with your organisation"


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    with running_issuer() as running:
        yield running


async def _no_releases() -> ReleaseClient:
    raise AssertionError("signing in reads no release")


def _app(directory: Directory, oidc: OidcClient | None) -> httpx.AsyncClient:
    app = create_app(
        Settings(),
        releases=_no_releases,
        authenticator=DirectoryAuthenticator(directory, oidc),
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


@pytest.fixture
async def browser(issuer: Issuer, directory: Directory) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        oidc_issuer=issuer.url,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=SecretStr(CLIENT_SECRET),
        oidc_audience=API_AUDIENCE,
        oidc_redirect_url=CALLBACK,
    )
    await directory.add_user("alice", "PANEL", name="Alice", email="alice@panel.example")
    async with _app(directory, OidcClient(settings)) as client:
        yield client


async def _to_provider(browser: httpx.AsyncClient, next: str = "/inbox") -> str:
    """Start the sign-in; the URL of the callback the provider sends the browser back to."""
    started = await browser.get("/login/oidc", params={"next": next})
    assert started.status_code == 303
    assert PENDING_COOKIE in started.cookies
    async with httpx.AsyncClient() as outside:
        at_provider = await outside.get(started.headers["location"])
    assert at_provider.status_code == 302
    back: str = at_provider.headers["location"]
    assert back.startswith(CALLBACK)
    return back


async def test_the_sign_in_page_offers_the_button_only_when_sso_is_configured(
    browser: httpx.AsyncClient, directory: Directory
) -> None:
    page = await browser.get("/signin", params={"next": "/inbox"})
    assert BUTTON in page.text
    assert 'href="/login/oidc?next=/inbox"' in page.text
    async with _app(directory, None) as plain:
        without = await plain.get("/signin")
        assert BUTTON not in without.text
        assert (await plain.get("/login/oidc")).status_code == 404


async def test_signing_in_with_the_organisation_opens_a_web_session(
    browser: httpx.AsyncClient, issuer: Issuer, directory: Directory
) -> None:
    back = await _to_provider(browser)
    signed_in = await browser.get(back)
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == "/inbox"
    cookie = signed_in.cookies[SESSION_COOKIE]
    found = await directory.session_principal(cookie)
    assert found is not None and found[0].login == "alice"
    assert (await directory.get("alice")).oidc_subject == issuer.user["sub"]
    # The pending sign-in is spent: the same answer brought back again opens nothing.
    assert PENDING_COOKIE not in browser.cookies
    again = await browser.get(back)
    assert again.status_code == 400
    assert "start again" in again.text


async def test_an_answer_for_another_browsers_sign_in_is_refused(
    browser: httpx.AsyncClient,
) -> None:
    back = await _to_provider(browser)
    query = parse_qs(urlsplit(back).query)
    forged = f"{CALLBACK}?{urlencode({'code': query['code'][0], 'state': 'someone-elses'})}"
    refused = await browser.get(forged)
    assert refused.status_code == 400
    assert "not for the sign-in this browser started (state)" in refused.text
    assert SESSION_COOKIE not in refused.cookies


async def test_a_provider_error_is_refused_with_a_sentence(
    browser: httpx.AsyncClient, issuer: Issuer
) -> None:
    issuer.deny = "access_denied"
    refused = await browser.get(await _to_provider(browser))
    assert refused.status_code == 401
    assert "Your organisation did not sign you in (it answered access_denied)." in refused.text
    assert SESSION_COOKIE not in refused.cookies


async def test_someone_the_directory_does_not_know_is_refused(
    browser: httpx.AsyncClient, issuer: Issuer
) -> None:
    issuer.user = {"sub": "idp-9", "email": "mallory@elsewhere.example", "email_verified": True}
    refused = await browser.get(await _to_provider(browser))
    assert refused.status_code == 403
    assert "no one in the directory has that account" in refused.text
    assert SESSION_COOKIE not in refused.cookies


async def test_a_forged_or_missing_pending_sign_in_is_refused(
    browser: httpx.AsyncClient,
) -> None:
    back = await _to_provider(browser)
    browser.cookies.set(PENDING_COOKIE, "gAAAAAforged", domain="127.0.0.1", path="/login/oidc")
    refused = await browser.get(back)
    assert refused.status_code == 400
    assert "expired or was not started in this browser" in refused.text
    assert SESSION_COOKIE not in refused.cookies
