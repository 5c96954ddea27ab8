"""Reading over HTTP gives what the CLI's `--json` gives: the same ops answer both."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from schemas.principal import AccessRole
from tests.e2e.conftest import ad_hoc_day
from tests.frontdoor.conftest import FrontDoor, headers

SECAS, DCC = AccessRole.SECAS, AccessRole.DCC


@pytest.fixture
async def http(api: FrontDoor) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=api.url, timeout=60.0) as client:
        yield client


@pytest.fixture(scope="session")
def reading_release() -> str:
    return ad_hoc_day(440)


async def test_a_created_release_reads_back(http: httpx.AsyncClient, reading_release: str) -> None:
    created = await http.post(
        "/api/releases",
        json={"id": reading_release, "ad_hoc": True, "type": "system"},
        headers=headers(SECAS),
    )
    assert created.status_code == 201, created.text
    status = await http.get(f"/api/releases/{reading_release}", headers=headers(DCC))
    assert status.status_code == 200
    assert status.json()["id"] == reading_release
    assert {k: v for k, v in status.json().items() if k != "as_of"} == {
        k: v for k, v in created.json().items() if k != "as_of"
    }
    again = await http.post(
        "/api/releases",
        json={"id": reading_release, "ad_hoc": True, "type": "system"},
        headers=headers(SECAS),
    )
    # A second ad hoc release going live the same day takes the next letter (SPEC 2).
    assert again.status_code == 201, again.text
    assert again.json()["id"] == f"{reading_release}-b"
    second = await http.get(f"/api/releases/{reading_release}-b", headers=headers(DCC))
    assert second.status_code == 200


async def test_list_filters_as_the_cli_does(http: httpx.AsyncClient, reading_release: str) -> None:
    rows = (await http.get("/api/releases?type=system", headers=headers(DCC))).json()
    assert all(r["type"] == "system" for r in rows)
    none = await http.get("/api/releases?type=documentation&phase=LIVE", headers=headers(DCC))
    assert none.status_code == 200
    assert all(r["phase"] == "LIVE" for r in none.json())
    bad = await http.get("/api/releases?phase=NOPE", headers=headers(DCC))
    assert bad.status_code == 422
    assert bad.json()["error"]


async def test_inbox_is_the_callers_roles_own(http: httpx.AsyncClient) -> None:
    answer = await http.get("/api/inbox", headers=headers(DCC))
    assert answer.status_code == 200
    assert isinstance(answer.json(), list)


async def test_timeline_documents_and_calendar(
    http: httpx.AsyncClient, reading_release: str
) -> None:
    base = f"/api/releases/{reading_release}"
    timeline = await http.get(f"{base}/timeline", headers=headers(DCC))
    assert timeline.status_code == 200
    assert {"event", "planned", "minimum", "actual"} <= set(timeline.json()[0])
    rid = await http.get(f"{base}/documents/rid?format=html", headers=headers(DCC))
    assert rid.status_code == 200
    assert rid.headers["content-type"].startswith("text/html")
    paper = await http.get(f"{base}/documents/go-live-paper", headers=headers(DCC))
    assert paper.status_code == 200
    assert paper.headers["content-type"].startswith("text/markdown")
    ics = await http.get(f"{base}/calendar.ics", headers=headers(DCC))
    assert ics.status_code == 200
    assert ics.text.startswith("BEGIN:VCALENDAR")
