"""The HTTP API's doors: credentials, the role table, and every kind of refusal.

The permission table is walked from the declarations: every command line's every usage, as
every role. A forbidden role gets 403 with the table's own sentence and the release is left as
it was; an allowed role gets past the check (200, or 409 when a rule refuses).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from frontdoor.commands_api import command_leaves, example_body
from rules.permissions import check_usage
from schemas.errors import Refused
from schemas.principal import AccessRole
from schemas.text import MAX_PAYLOAD_BYTES
from starter.client import Clock, Connection, ReleaseClient, connect
from tests.e2e.conftest import DevServer, ad_hoc_day
from tests.frontdoor.conftest import FrontDoor, headers, principal_of

SECAS, PANEL, DCC = AccessRole.SECAS, AccessRole.PANEL, AccessRole.DCC
NO_SUCH_RELEASE = "2031-01"


@pytest.fixture
async def http(api: FrontDoor) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api.url, timeout=60.0) as client:
        yield client


@pytest.fixture(scope="session")
def table_release() -> str:
    """The release the permission table is walked on (created by the first test needing it)."""
    return ad_hoc_day(400)


async def _ensure_release(http: httpx.AsyncClient, release_id: str) -> None:
    found = await http.get(f"/api/releases/{release_id}", headers=headers(SECAS))
    if found.status_code == 200:
        return
    created = await http.post(
        "/api/releases",
        json={"id": release_id, "ad_hoc": True, "type": "system"},
        headers=headers(SECAS),
    )
    assert created.status_code == 201, created.text
    assert created.json()["id"] == release_id


def _sentence(usage: Any, role: AccessRole) -> str | None:
    """The role table's refusal for `role` issuing `usage`, or None if it may."""
    try:
        check_usage(usage, role.role)
    except Refused as exc:
        return exc.sentence
    return None


def _steady(status: dict[str, Any]) -> dict[str, Any]:
    """A release's status without the moment it was read."""
    return {k: v for k, v in status.items() if k != "as_of"}


async def test_healthz_needs_no_credentials(http: httpx.AsyncClient) -> None:
    answer = await http.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "dev_mode": False}


async def test_every_api_route_refuses_the_anonymous(
    api: FrontDoor, http: httpx.AsyncClient
) -> None:
    # Every route the app declares (FastAPI nests included routers; its schema lists them all).
    routes = {p: ops for p, ops in api.app.openapi()["paths"].items() if p.startswith("/api")}
    assert len(routes) > 50
    for route, operations in routes.items():
        path = route.replace("{id}", "2030-06")
        for method in operations:
            for creds in ({}, {"Authorization": "Bearer not-a-token"}):
                answer = await http.request(method, path, json={}, headers=creds)
                assert answer.status_code == 401, (method, path, answer.text)
                assert answer.headers["www-authenticate"] == "Bearer"
                assert answer.json()["error"].startswith("Sign in first")


async def test_me_is_the_authenticated_principal(http: httpx.AsyncClient) -> None:
    answer = await http.get("/api/me", headers=headers(AccessRole.PANEL_CHAIR))
    assert answer.status_code == 200
    assert answer.json()["principal"]["role"] == "PANEL_CHAIR"
    chair = principal_of(AccessRole.PANEL_CHAIR)
    assert answer.json()["principal"]["login"] == chair.login == "dev-panel-chair"
    assert answer.json()["actor"] == f"PANEL:{chair.name}"


async def test_the_whole_permission_table_over_http(
    http: httpx.AsyncClient, table_release: str
) -> None:
    await _ensure_release(http, table_release)
    before = (await http.get(f"/api/releases/{table_release}", headers=headers(SECAS))).json()
    allowed: list[tuple[str, dict[str, Any], AccessRole]] = []
    forbidden = 0
    for leaf in command_leaves():
        path = leaf.path.replace("{id}", table_release)
        for usage in leaf.usages:
            body = example_body(leaf, usage)
            for role in AccessRole:
                sentence = _sentence(usage, role)
                if sentence is None:
                    allowed.append((path, body, role))
                    continue
                answer = await http.post(path, json=body, headers=headers(role))
                assert answer.status_code == 403, (path, role, answer.text)
                assert answer.json() == {"error": sentence}
                forbidden += 1
    after = (await http.get(f"/api/releases/{table_release}", headers=headers(SECAS))).json()
    assert _steady(after) == _steady(before), "a forbidden command changed the release"
    assert forbidden > 300
    for path, body, role in allowed:
        answer = await http.post(path, json=body, headers=headers(role))
        assert answer.status_code in (200, 409), (path, role, answer.text)
        if answer.status_code == 200:
            assert answer.json()["release"] == table_release
        else:
            assert answer.json()["error"]


async def test_release_create_and_freeze_follow_the_table(http: httpx.AsyncClient) -> None:
    body = {"id": ad_hoc_day(410), "ad_hoc": True, "type": "system"}
    answer = await http.post("/api/releases", json=body, headers=headers(PANEL))
    assert answer.status_code == 403
    assert answer.json()["error"].startswith("Only SECAS may create a release")
    freeze = {"start": "2031-12-20", "end": "2031-12-31", "reason": "year end"}
    answer = await http.post("/api/freezes", json=freeze, headers=headers(DCC))
    assert answer.status_code == 403
    assert answer.json()["error"].startswith("Only PANEL may record a change freeze")
    answer = await http.post("/api/freezes", json=freeze, headers=headers(AccessRole.PANEL_CHAIR))
    assert answer.status_code == 200, answer.text
    assert answer.json()["freeze"]["reason"] == "year end"


@pytest.mark.parametrize("key", ["actor", "role", "as", "by", "kind"])
async def test_a_body_naming_an_actor_or_role_is_refused(
    http: httpx.AsyncClient, table_release: str, key: str
) -> None:
    answer = await http.post(
        f"/api/releases/{table_release}/rid/baseline",
        json={key: "PANEL"},
        headers=headers(PANEL),
    )
    assert answer.status_code == 400, answer.text
    assert f"`{key}`" in answer.json()["error"]


async def test_a_query_or_create_body_naming_an_actor_is_refused(http: httpx.AsyncClient) -> None:
    answer = await http.get("/api/releases?as=PANEL", headers=headers(DCC))
    assert answer.status_code == 400
    assert "`as`" in answer.json()["error"]
    answer = await http.post(
        "/api/releases",
        json={"id": ad_hoc_day(420), "ad_hoc": True, "actor": {"role": "SECAS"}},
        headers=headers(SECAS),
    )
    assert answer.status_code == 400
    assert "`actor`" in answer.json()["error"]


async def test_a_field_the_command_does_not_have_is_refused(
    http: httpx.AsyncClient, table_release: str
) -> None:
    answer = await http.post(
        f"/api/releases/{table_release}/waive",
        json={"deadline": "tad_to_tag", "reason": "r", "colour": "red"},
        headers=headers(PANEL),
    )
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("`colour` is not a field of `sec-release waive`")


async def test_a_malformed_body_is_422_with_a_sentence(
    http: httpx.AsyncClient, table_release: str
) -> None:
    answer = await http.post(
        f"/api/releases/{table_release}/costs/period",
        json={"months": 0},
        headers=headers(PANEL),
    )
    assert answer.status_code == 422
    assert answer.json()["error"].startswith("The request body's months is not valid")
    assert answer.json()["detail"][0]["loc"] == ["body", "months"]
    answer = await http.post(
        f"/api/releases/{table_release}/rid/baseline",
        content=b"{not json",
        headers={**headers(PANEL), "content-type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["error"]


async def test_an_unknown_release_is_404(http: httpx.AsyncClient) -> None:
    answer = await http.get(f"/api/releases/{NO_SUCH_RELEASE}", headers=headers(DCC))
    assert answer.status_code == 404
    assert answer.json()["error"].startswith(f"There is no release '{NO_SUCH_RELEASE}'")
    answer = await http.post(
        f"/api/releases/{NO_SUCH_RELEASE}/rid/draft", json={}, headers=headers(SECAS)
    )
    assert answer.status_code == 404, answer.text


async def test_an_oversized_body_is_413(http: httpx.AsyncClient, table_release: str) -> None:
    big = {"note": "x" * (MAX_PAYLOAD_BYTES + 1)}
    answer = await http.post(
        f"/api/releases/{table_release}/rid/draft", json=big, headers=headers(SECAS)
    )
    assert answer.status_code == 413
    assert "64 KB" in answer.json()["error"]


async def test_signal_mode_answers_202_with_a_request_id(http: httpx.AsyncClient) -> None:
    release_id = ad_hoc_day(430)  # the table's release may have been closed or cancelled
    await _ensure_release(http, release_id)
    answer = await http.post(
        f"/api/releases/{release_id}/rid/draft?mode=signal",
        json={"note": "by signal"},
        headers=headers(SECAS),
    )
    assert answer.status_code == 202, answer.text
    assert len(answer.json()["request_id"]) == 32


async def test_an_accepted_command_names_its_audit_entry_in_x_request_id(
    http: httpx.AsyncClient, dev_server: DevServer
) -> None:
    release_id = ad_hoc_day(431)
    await _ensure_release(http, release_id)
    answer = await http.post(
        f"/api/releases/{release_id}/rid/draft",
        json={"note": "named by its request id"},
        headers=headers(SECAS),
    )
    assert answer.status_code == 200, answer.text
    request_id = answer.headers["X-Request-Id"]
    assert len(request_id) == 32
    # The audit as the release holds it (the API has no reading of it).
    client = await connect(Connection(address=dev_server.address))
    state = await ReleaseClient(client=client, task_queue="unused", clock=Clock()).state(release_id)
    entries = [e for e in state.audit if e.request_id == request_id]
    assert len(entries) == 1, state.audit
    assert entries[0].command.startswith("rid draft")
    assert entries[0].outcome == "accepted"
    refused = await http.post(
        f"/api/releases/{release_id}/rid/draft", json={"note": "no"}, headers=headers(DCC)
    )
    assert refused.status_code == 403
    assert "X-Request-Id" not in refused.headers


async def test_openapi_lists_one_path_per_command_line(http: httpx.AsyncClient) -> None:
    paths = (await http.get("/openapi.json")).json()["paths"]
    for leaf in command_leaves():
        operation = paths[leaf.path]["post"]
        for usage in leaf.usages:
            assert usage.what.lower() in operation["summary"].lower()
            assert f"`{usage.command_line}`" in operation["description"]
    words = {u.words for leaf in command_leaves() for u in leaf.usages}
    generated = {p for p in paths if p.startswith("/api/releases/{id}/")} - {
        "/api/releases/{id}/timeline",
        "/api/releases/{id}/documents/rid",
        "/api/releases/{id}/documents/go-live-paper",
        "/api/releases/{id}/calendar.ics",
    }
    assert len(generated) == len(words)
    assert (await http.get("/docs")).status_code == 200
