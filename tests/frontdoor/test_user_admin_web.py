"""SECAS's user management in the web app, and revoking credentials on the server, over real
HTTP: 403 for every other role (a form posted by hand included), the CSRF token on every post,
a sentence for each bad input, an audit line for each change; `DELETE /api/tokens/current`
revokes the token presented; web sign-out ends the session on the server.

A front door of its own on a free port, in front of a SQLite directory in a temporary folder
(no release is read here); the directory is set up from the server's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from activities.store import open_engine, session_factory, upgrade_store
from frontdoor.app import create_app
from frontdoor.auth import SESSION_COOKIE, DirectoryAuthenticator
from frontdoor.directory import Directory
from frontdoor.directory_admin import CHANGES_LOGGER
from frontdoor.serve import front_door
from settings import Settings
from starter.client import ReleaseClient
from tests.frontdoor.conftest import CHEAP_HASHER
from tests.threaded import served_in_a_thread

T = TypeVar("T")
PASSWORD = "correct horse battery"
SECAS = "ua-secas"


@dataclass
class Door:
    url: str
    directory: Directory
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def signed_in(self, login: str) -> tuple[httpx.Client, str]:
        """A client with the web session of `login` (its cookie), and the session's CSRF token."""
        http = httpx.Client(base_url=self.url, timeout=30)
        answer = http.post("/login", json={"login": login, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return http, answer.json()["csrf_token"]


async def _no_releases() -> ReleaseClient:
    raise RuntimeError("these tests reach no release")


@pytest.fixture(scope="module")
def door(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("users-web")))

    @contextlib.asynccontextmanager
    async def serve() -> AsyncIterator[Door]:
        engine = open_engine(settings.database_url)
        try:
            await upgrade_store(engine)
            directory = Directory(session_factory(engine), hasher=CHEAP_HASHER)
            for login, role in ((SECAS, "SECAS"), ("ua-panel", "PANEL"), ("ua-dcc", "DCC")):
                await directory.add_user(login, role, name=login.title(), password=PASSWORD)
            app = create_app(
                settings,
                releases=_no_releases,
                authenticator=DirectoryAuthenticator(directory, None),
            )
            async with front_door(app, "127.0.0.1", 0) as url:
                yield Door(url, directory, asyncio.get_running_loop())
        finally:
            await engine.dispose()

    with served_in_a_thread(serve, what="the front door") as served:
        yield served


def _logins(door: Door) -> set[str]:
    return {e.login for e in door.run(door.directory.list_principals())}


def _problem(html: str) -> str:
    found = re.search(r'<p class="problem" role="alert"[^>]*>(.*?)</p>', html, re.S)
    assert found, html[:2000]
    return found.group(1).replace("&#39;", "'")


# -- only SECAS -------------------------------------------------------------------------------


@pytest.mark.parametrize("login", ["ua-panel", "ua-dcc"])
def test_any_other_role_gets_403_reading_or_posting_by_hand(door: Door, login: str) -> None:
    http, csrf = door.signed_in(login)
    with closing(http):
        page = http.get("/users")
        assert page.status_code == 403
        assert "Only SECAS may manage the users of the directory" in page.text
        assert 'href="/users"' not in http.get("/account").text  # no link to it either
        for path, form in (
            ("/users", {"login": "ua-forged", "role": "SECAS", "password": PASSWORD}),
            (f"/users/{SECAS}/disable", {}),
            (f"/users/{SECAS}/tokens", {"expires_days": "5"}),
        ):
            answer = http.post(path, data={**form, "csrf_token": csrf})
            assert answer.status_code == 403, (path, answer.text[:300])
    assert "ua-forged" not in _logins(door)
    assert not door.run(door.directory.get(SECAS)).disabled
    assert door.run(door.directory.tokens_of(SECAS)) == []


def test_secas_sees_the_link_and_every_principal_with_its_last_sign_in(door: Door) -> None:
    http, _ = door.signed_in(SECAS)
    with closing(http):
        assert '<a href="/users">Users</a>' in http.get("/account").text
        page = http.get("/users")
    assert page.status_code == 200
    for login in (SECAS, "ua-panel", "ua-dcc"):
        assert f'<a href="/users/{login}">{login}</a>' in page.text
    row = re.search(
        rf"<tr>\s*<th scope=\"row\"><a href=\"/users/{SECAS}\">.*?</tr>", page.text, re.S
    )
    assert row is not None
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d</td>", row.group(0)), row.group(0)


def test_a_post_without_the_csrf_token_is_403_and_adds_nobody(door: Door) -> None:
    http, _ = door.signed_in(SECAS)
    with closing(http):
        answer = http.post("/users", data={"login": "ua-nocsrf", "role": "PANEL"})
    assert answer.status_code == 403
    assert "CSRF token" in answer.json()["error"]
    assert "ua-nocsrf" not in _logins(door)


# -- adding, with a sentence for bad input ------------------------------------------------------


def test_secas_adds_a_user_who_can_sign_in_and_the_change_is_recorded(
    door: Door, caplog: pytest.LogCaptureFixture
) -> None:
    http, csrf = door.signed_in(SECAS)
    form = {
        "login": "ua-supplier",
        "kind": "user",
        "role": "PARTY",
        "name": "Sam Supplier",
        "org": "Energy Co",
        "email": "Sam@Energy.example",
        "password": "a long enough password",
        "csrf_token": csrf,
    }
    with caplog.at_level(logging.INFO, logger=CHANGES_LOGGER), closing(http):
        added = http.post("/users", data=form)
        assert added.status_code == 303
        assert added.headers["location"] == "/users?added=ua-supplier"
        listed = http.get("/users?added=ua-supplier").text
    assert "Added ua-supplier." in listed
    entry = door.run(door.directory.get("ua-supplier"))
    assert (entry.principal.role.value, entry.principal.org, entry.email) == (
        "PARTY",
        "Energy Co",
        "sam@energy.example",
    )
    assert door.run(door.directory.verify_password("ua-supplier", "a long enough password"))
    assert [r.getMessage() for r in caplog.records if r.name == CHANGES_LOGGER] == [
        f"directory change by {SECAS} (SECAS, web app): added user ua-supplier (PARTY, Energy Co) "
        "with a password for web sign-in"
    ]
    assert "a long enough password" not in caplog.text


def test_a_service_account_without_a_password(door: Door) -> None:
    http, csrf = door.signed_in(SECAS)
    with closing(http):
        added = http.post(
            "/users",
            data={"login": "ua-bot", "kind": "service", "role": "DCC", "csrf_token": csrf},
        )
    assert added.status_code == 303
    entry = door.run(door.directory.get("ua-bot"))
    assert (entry.principal.kind, entry.has_password) == ("service", False)


@pytest.mark.parametrize(
    ("form", "sentence"),
    [
        (
            {"login": "ua-panel", "role": "PANEL"},
            "The login 'ua-panel' is already in the directory.",
        ),
        ({"login": "ua-x", "role": "CHAIR"}, "'CHAIR' is not a role; the roles are SECAS, PANEL"),
        ({"login": "ua-x", "role": ""}, "Choose the role of the new login."),
        (
            {"login": "ua-x", "role": "PARTY"},
            "A PARTY needs the name of its SEC Party as its organisation",
        ),
        ({"login": "Bad Login", "role": "TAG"}, "is not a valid login; use 1 to 40 lowercase"),
        ({"login": "ua-x", "role": "TAG", "password": "short"}, "The password is too short"),
        ({"login": "ua-x", "role": "TAG", "email": "nope"}, "'nope' is not an email address."),
        (
            {"login": "ua-x", "role": "DCC", "kind": "service", "password": PASSWORD},
            "A service account has no password; it signs in with an API token.",
        ),
        ({"login": "ua-x", "role": "TAG", "kind": "robot"}, "'robot' is not a kind of principal"),
    ],
)
def test_bad_input_is_422_with_a_sentence_and_the_form_kept(
    door: Door, form: dict[str, str], sentence: str
) -> None:
    before = _logins(door)
    http, csrf = door.signed_in(SECAS)
    with closing(http):
        answer = http.post("/users", data={**form, "name": "Kept Name", "csrf_token": csrf})
    assert answer.status_code == 422
    assert sentence in _problem(answer.text)
    assert 'value="Kept Name"' in answer.text
    assert _logins(door) == before


# -- disabling, enabling and tokens ---------------------------------------------------------


def _me(door: Door, token: str) -> int:
    with httpx.Client(base_url=door.url, timeout=30) as api:
        return api.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_issue_disable_enable_and_revoke_a_users_token(
    door: Door, caplog: pytest.LogCaptureFixture
) -> None:
    door.run(door.directory.add_user("ua-tag", "TAG", password=PASSWORD))
    http, csrf = door.signed_in(SECAS)
    with caplog.at_level(logging.INFO, logger=CHANGES_LOGGER), closing(http):
        issued = http.post("/users/ua-tag/tokens", data={"expires_days": "7", "csrf_token": csrf})
        assert issued.status_code == 201
        token = re.search(r"sr_[A-Za-z0-9_-]+", issued.text)
        token_id = re.search(r"tk_[0-9a-f]+", issued.text)
        assert token is not None and token_id is not None
        assert _me(door, token.group(0)) == 200
        # Shown once: the page read again lists the token, never its secret.
        assert token.group(0) not in http.get("/users/ua-tag").text

        assert http.post("/users/ua-tag/disable", data={"csrf_token": csrf}).status_code == 303
        assert "Disabled" in http.get("/users/ua-tag?done=disabled").text
        assert _me(door, token.group(0)) == 401
        assert http.post("/users/ua-tag/enable", data={"csrf_token": csrf}).status_code == 303
        assert _me(door, token.group(0)) == 200

        revoke = f"/users/ua-tag/tokens/{token_id.group(0)}/revoke"
        assert http.post(revoke, data={"csrf_token": csrf}).status_code == 303
        assert _me(door, token.group(0)) == 401
        # Another login's token id is not this login's to revoke.
        other = door.run(door.directory.new_token("ua-panel"))
        wrong = http.post(f"/users/ua-tag/tokens/{other.id}/revoke", data={"csrf_token": csrf})
        assert wrong.status_code == 404
        assert _me(door, other.token) == 200
    changes = [r.getMessage() for r in caplog.records if r.name == CHANGES_LOGGER]
    by = f"directory change by {SECAS} (SECAS, web app): "
    assert changes == [
        by + f"issued token {token_id.group(0)} for ua-tag (expires "
        f"{changes[0].rsplit('expires ', 1)[1]}",
        by + "disabled ua-tag (TAG)",
        by + "enabled ua-tag (TAG)",
        by + f"revoked token {token_id.group(0)} of ua-tag",
    ]
    assert token.group(0) not in caplog.text


def test_bad_token_expiry_unknown_login_and_disabling_yourself(door: Door) -> None:
    http, csrf = door.signed_in(SECAS)
    with closing(http):
        bad = http.post("/users/ua-panel/tokens", data={"expires_days": "ten", "csrf_token": csrf})
        assert bad.status_code == 422
        assert "'ten' is not a whole number of days; give 1 to 3650." in _problem(bad.text)
        long = http.post(
            "/users/ua-panel/tokens", data={"expires_days": "9999", "csrf_token": csrf}
        )
        assert long.status_code == 409
        assert "A token expires after 1 to 3650 days, not 9999." in _problem(long.text)
        unknown = http.post("/users/nobody-here/disable", data={"csrf_token": csrf})
        assert unknown.status_code == 404
        assert "There is no principal &#39;nobody-here&#39;" in unknown.text
        assert http.get("/users/nobody-here").status_code == 404
        own = http.post(f"/users/{SECAS}/disable", data={"csrf_token": csrf})
        assert own.status_code == 409
        assert "You cannot disable your own login here" in _problem(own.text)
    assert not door.run(door.directory.get(SECAS)).disabled


# -- revoking on the server -------------------------------------------------------------------


def test_delete_current_token_revokes_the_presented_token_only(door: Door) -> None:
    kept = door.run(door.directory.new_token("ua-dcc"))
    spent = door.run(door.directory.new_token("ua-dcc"))
    with httpx.Client(base_url=door.url, timeout=30) as api:
        bearer = {"Authorization": f"Bearer {spent.token}"}
        answer = api.delete("/api/tokens/current", headers=bearer)
        assert answer.status_code == 200
        assert answer.json() == {"revoked": spent.id, "login": "ua-dcc"}
        assert api.delete("/api/tokens/current", headers=bearer).status_code == 401
    assert _me(door, spent.token) == 401
    assert _me(door, kept.token) == 200


def test_delete_current_token_with_a_session_says_how_to_sign_out(door: Door) -> None:
    http, csrf = door.signed_in("ua-panel")
    with closing(http):
        answer = http.delete("/api/tokens/current", headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 400
    assert "a web session signs out with POST /logout" in answer.json()["error"]


def test_web_sign_out_ends_the_session_on_the_server(door: Door) -> None:
    http, csrf = door.signed_in("ua-panel")
    cookie = http.cookies[SESSION_COOKIE]
    with closing(http):
        out = http.post("/signout", data={"csrf_token": csrf})
        assert out.status_code == 303
    with httpx.Client(base_url=door.url, timeout=30) as replay:
        replay.cookies.set(SESSION_COOKIE, cookie)  # the cookie kept by someone else
        assert replay.get("/api/me").status_code == 401
        assert replay.get("/inbox").headers["location"].startswith("/signin")
