"""The real `DirectoryAuthenticator` over real HTTP: API tokens, sessions, CSRF, OIDC bearer JWTs.

A front door of its own on a free port (uvicorn in a thread with its own event loop), in front of
a SQLite directory in a temporary folder; the directory is set up from the server's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from activities.store import open_engine, session_factory, upgrade_store, utc_now
from frontdoor.app import create_app
from frontdoor.auth import SESSION_COOKIE, DirectoryAuthenticator
from frontdoor.directory import Directory
from frontdoor.oidc import OidcClient
from frontdoor.serve import front_door
from settings import Settings
from starter.client import ReleaseClient
from tests.frontdoor.conftest import CHEAP_HASHER
from tests.frontdoor.oidc_issuer import API_AUDIENCE, CLIENT_ID, Issuer, running_issuer
from tests.threaded import served_in_a_thread

T = TypeVar("T")
PASSWORD = "correct horse battery"


class ShiftedClock:
    """The time of day, shifted as a test says (to issue a token that has already expired)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utc_now() + self.offset


@dataclass
class Door:
    url: str
    directory: Directory
    issuer: Issuer
    clock: ShiftedClock
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a directory call on the server's loop (the engine belongs to it)."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


async def _no_releases() -> ReleaseClient:
    raise RuntimeError("these tests reach no release")


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    root = tmp_path_factory.mktemp("auth")
    with running_issuer() as issuer:
        settings = Settings(
            data_dir=Path(root),
            oidc_issuer=issuer.url,
            oidc_client_id=CLIENT_ID,
            oidc_audience=API_AUDIENCE,
        )
        clock = ShiftedClock()

        @contextlib.asynccontextmanager
        async def serve() -> AsyncIterator[Door]:
            engine = open_engine(settings.database_url)
            try:
                await upgrade_store(engine)
                directory = Directory(session_factory(engine), hasher=CHEAP_HASHER, clock=clock)
                app = create_app(
                    settings,
                    releases=_no_releases,
                    authenticator=DirectoryAuthenticator(directory, OidcClient(settings)),
                )
                async with front_door(app, "127.0.0.1", 0) as url:
                    yield Door(url, directory, issuer, clock, asyncio.get_running_loop())
            finally:
                await engine.dispose()

        with served_in_a_thread(serve, what="the front door") as served:
            yield served


def _user(door: Door, login: str, **kw: Any) -> None:
    door.run(door.directory.add_user(login, "PANEL", name=login.title(), **kw))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- API tokens -------------------------------------------------------------------------------


def test_valid_token_is_the_principal(door: Door) -> None:
    _user(door, "tok-ok")
    token = door.run(door.directory.new_token("tok-ok")).token
    with door.client() as http:
        answer = http.get("/api/me", headers=_bearer(token))
    assert answer.status_code == 200, answer.text
    assert answer.json()["principal"]["login"] == "tok-ok"


@pytest.mark.parametrize(
    "headers", [{}, _bearer("sr_unknown"), _bearer("nonsense"), {"Authorization": "Basic eDp5"}]
)
def test_anonymous_and_unknown_credentials_are_401(door: Door, headers: dict[str, str]) -> None:
    with door.client() as http:
        answer = http.get("/api/me", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].lower().startswith("bearer")
    assert answer.json()["error"]


def test_disabled_user_revoked_and_expired_tokens_are_401(door: Door) -> None:
    _user(door, "tok-disabled")
    disabled = door.run(door.directory.new_token("tok-disabled")).token
    door.run(door.directory.disable("tok-disabled"))
    _user(door, "tok-revoked")
    revoked = door.run(door.directory.new_token("tok-revoked"))
    door.run(door.directory.revoke_token(revoked.id))
    _user(door, "tok-expired")
    door.clock.offset = -timedelta(days=2)
    try:
        expired = door.run(door.directory.new_token("tok-expired", expires_days=1)).token
    finally:
        door.clock.offset = timedelta()
    with door.client() as http:
        for token in (disabled, revoked.token, expired):
            assert http.get("/api/me", headers=_bearer(token)).status_code == 401


# -- web sessions -----------------------------------------------------------------------------


def _login(http: httpx.Client, login: str, password: str = PASSWORD) -> httpx.Response:
    return http.post("/login", data={"login": login, "password": password})


def test_login_sets_a_hardened_cookie_and_the_session_authenticates(door: Door) -> None:
    _user(door, "web-ok", password=PASSWORD)
    with door.client() as http:
        answer = _login(http, "web-ok")
        assert answer.status_code == 200, answer.text
        assert answer.json()["csrf_token"]
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        lowered = cookie.lower()
        assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
        assert "secure" not in lowered  # 127.0.0.1: a local front door has no TLS
        me = http.get("/api/me")
    assert me.status_code == 200 and me.json()["principal"]["login"] == "web-ok"


def test_login_accepts_json_and_refuses_a_wrong_password(door: Door) -> None:
    _user(door, "web-json", password=PASSWORD)
    with door.client() as http:
        assert (
            http.post("/login", json={"login": "web-json", "password": PASSWORD}).status_code == 200
        )
        wrong = http.post("/login", json={"login": "web-json", "password": "not the password"})
    assert wrong.status_code == 401 and wrong.json()["error"]


def test_sixth_bad_password_is_429_with_retry_after(door: Door) -> None:
    _user(door, "web-limited", password=PASSWORD)
    with door.client() as http:
        for _ in range(5):
            assert _login(http, "web-limited", "wrong password!").status_code == 401
        sixth = _login(http, "web-limited", PASSWORD)
    assert sixth.status_code == 429
    assert "Too many failed sign-ins" in sixth.json()["error"]
    assert int(sixth.headers["retry-after"]) > 0


def test_session_posts_need_the_csrf_token(door: Door) -> None:
    _user(door, "web-csrf", password=PASSWORD)
    with door.client() as http:
        csrf = _login(http, "web-csrf").json()["csrf_token"]
        command = "/api/releases/r-1/rid/baseline"
        for answer in (
            http.post(command, json={}),
            http.post("/logout"),
            http.post("/logout", headers={"X-CSRF-Token": "not-the-token"}),
        ):
            assert answer.status_code == 403, answer.text
            assert "CSRF" in answer.json()["error"]
        # With the token the session's POST gets past authentication (form field here).
        assert http.post("/logout", data={"csrf_token": csrf}).status_code == 200


def test_bearer_posts_need_no_csrf_token(door: Door) -> None:
    _user(door, "tok-post")
    token = door.run(door.directory.new_token("tok-post")).token
    with door.client() as http:
        answer = http.post("/logout", headers=_bearer(token))
    assert answer.status_code == 200, answer.text


def test_logout_ends_the_session(door: Door) -> None:
    _user(door, "web-out", password=PASSWORD)
    with door.client() as http:
        csrf = _login(http, "web-out").json()["csrf_token"]
        cookie = http.cookies[SESSION_COOKIE]
        assert http.post("/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    with door.client() as http:
        http.cookies.set(SESSION_COOKIE, cookie)
        again = http.get("/api/me")
    assert again.status_code == 401


# -- API tokens for the CLI (`sec-release login`) ------------------------------------------


def test_a_password_mints_an_api_token_that_is_the_principal(door: Door) -> None:
    _user(door, "cli-ok", password=PASSWORD)
    with door.client() as http:
        minted = http.post(
            "/api/tokens", json={"login": "cli-ok", "password": PASSWORD, "expires_days": 7}
        )
        assert minted.status_code == 201, minted.text
        body = minted.json()
        assert set(body) == {"id", "token", "login", "expires"} and body["login"] == "cli-ok"
        me = http.get("/api/me", headers=_bearer(body["token"]))
    assert me.status_code == 200 and me.json()["principal"]["login"] == "cli-ok"


def test_a_session_mints_a_token_with_its_csrf_token_and_a_bearer_cannot(door: Door) -> None:
    _user(door, "cli-web", password=PASSWORD)
    token = door.run(door.directory.new_token("cli-web")).token
    with door.client() as http:
        assert http.post("/api/tokens", headers=_bearer(token)).status_code == 401
        csrf = _login(http, "cli-web").json()["csrf_token"]
        assert http.post("/api/tokens").status_code == 403  # no CSRF token
        minted = http.post("/api/tokens", headers={"X-CSRF-Token": csrf})
    assert minted.status_code == 201 and minted.json()["login"] == "cli-web"


def test_minting_refuses_a_wrong_password_and_a_bad_expiry(door: Door) -> None:
    _user(door, "cli-bad", password=PASSWORD)
    with door.client() as http:
        wrong = http.post("/api/tokens", json={"login": "cli-bad", "password": "nope nope nope"})
        long = http.post(
            "/api/tokens", json={"login": "cli-bad", "password": PASSWORD, "expires_days": 9999}
        )
    assert wrong.status_code == 401 and wrong.json() == {
        "error": "The login or the password is wrong."
    }
    assert long.status_code == 400


def test_healthz_says_whether_the_front_door_is_in_dev_mode(door: Door) -> None:
    with door.client() as http:
        assert http.get("/healthz").json() == {"status": "ok", "dev_mode": False}


# -- OIDC bearer JWTs -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def alice(door: Door) -> str:
    email = str(door.issuer.user["email"])
    door.run(door.directory.add_user("alice", "PANEL", name="Alice", email=email))
    return "alice"


def test_an_issuer_jwt_for_a_matched_user_is_accepted(door: Door, alice: str) -> None:
    token = door.issuer.token(email=door.issuer.user["email"], email_verified=True)
    with door.client() as http:
        answer = http.get("/api/me", headers=_bearer(token))
    assert answer.status_code == 200, answer.text
    assert answer.json()["principal"]["login"] == alice


def test_bad_jwts_are_401(door: Door, alice: str) -> None:
    from tests.frontdoor.oidc_issuer import new_rsa_key

    issuer = door.issuer
    kid = next(iter(issuer.keys))
    bad = {
        "signature": issuer.token(kid=kid, key=new_rsa_key()),
        "issuer": issuer.token(iss="http://127.0.0.1:1/other"),
        "audience": issuer.token(aud="someone-else"),
        "expired": issuer.token(iat=1_600_000_000, exp=1_600_000_300),
        "unknown subject": issuer.token(sub="nobody-here"),
    }
    with door.client() as http:
        for why, token in bad.items():
            assert http.get("/api/me", headers=_bearer(token)).status_code == 401, why
