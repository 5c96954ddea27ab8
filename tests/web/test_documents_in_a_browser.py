"""Documents and notices in Chromium: the RID at any version beside the previous one with the
differences highlighted, the print-ready go-live decision paper, the ICS download, and SECAS's
Notices page (the outbox, with what failed and why). Each new page is checked with axe-core."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from activities.store import OutboxRow
from tests.e2e.conftest import ad_hoc_day
from tests.web.conftest import Web, screenshot, sign_in
from tests.web.test_pages_in_a_browser import expect_heading

FAILED_ERROR = "550 5.1.1 <panel@nowhere.example>: mailbox unavailable"


@pytest.fixture(scope="module")
def release(web: Web) -> str:
    """An ad hoc System release with a draft RID, then a modification, then a Panel baseline
    (which opens an appeal window); the DCC's quote (not the modifications' sum), a residual risk
    and SIT started."""
    release_id = ad_hoc_day(450)
    with web.api("SECAS") as secas:
        made = secas.post(
            "/api/releases", json={"id": release_id, "ad_hoc": True, "type": "system"}
        )
        assert made.status_code == 201, made.text
        drafted = secas.post(f"/api/releases/{release_id}/rid/draft", json={"note": "first draft"})
        assert drafted.status_code == 200, drafted.text
        added = secas.post(
            f"/api/releases/{release_id}/mod/add",
            json={
                "mod": "MP0901",
                "title": "Faster switching",
                "system": True,
                "impacts": ["Suppliers", "DCC"],
            },
        )
        assert added.status_code == 200, added.text
    with web.api("PANEL") as panel:
        based = panel.post(
            f"/api/releases/{release_id}/rid/baseline", json={"scope": "full", "note": "agreed"}
        )
        assert based.status_code == 200, based.text
    with web.api("DCC") as dcc:
        for words, body in (
            ("costs/quote", {"total": "125000"}),
            ("risk/add", {"risk": "Late meter firmware", "mitigation": "Extra UIT week"}),
            ("sit/start", {}),
        ):
            done = dcc.post(f"/api/releases/{release_id}/{words}", json=body)
            assert done.status_code == 200, (words, done.text)
    return release_id


def _axe(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_the_rid_at_a_version_beside_the_previous_one(page: Any, web: Web, release: str) -> None:
    sign_in(page, web, "TAG")
    page.goto(f"/releases/{release}")
    page.get_by_role("link", name=re.compile("^The RID, its versions")).click()
    versions = page.get_by_role("navigation", name="RID versions")
    baseline = versions.get_by_role("link").filter(has_text=re.compile(r"^1\.0$"))
    baseline.click()
    page.wait_for_url(re.compile(r"version=1\.0"))
    expect_heading(page, re.compile("Release Implementation Document"))
    changes = page.get_by_role("table", name=re.compile(r"beside 1\.0"))
    added = changes.locator("tr.d-added ins, tr.d-changed ins").all_inner_texts()
    assert any("MP0901" in line for line in added), added
    screenshot(page, "rid-version-diff")
    assert not (serious := _axe(page)), serious


def test_the_go_live_paper_prints_without_the_site_around_it(
    page: Any, web: Web, release: str
) -> None:
    sign_in(page, web, "PANEL")
    page.goto(f"/releases/{release}")
    page.get_by_role("link", name=re.compile("go-live decision paper")).click()
    expect_heading(page, re.compile("^Approval to implement"))
    assert not (serious := _axe(page)), serious
    screenshot(page, "go-live-paper")
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible()
    assert not page.get_by_role("navigation", name="Documents").is_visible()
    assert page.locator("article.document h1").is_visible()
    screenshot(page, "go-live-paper-print")
    page.emulate_media(media="screen")
    link = page.get_by_role("link", name="Calendar (ICS download)")
    href = link.get_attribute("href")
    assert href == f"/api/releases/{release}/calendar.ics"
    ics = page.request.get(href)
    assert ics.status == 200
    assert ics.text().startswith("BEGIN:VCALENDAR")


def _failed_notice(web: Web, release: str) -> None:
    async def add() -> None:
        now = datetime.now(UTC)
        async with web.directory.sessions() as session:
            session.add(
                OutboxRow(
                    key=f"{release}/test/failed/1",
                    release_id=release,
                    kind="reminder",
                    deadline=None,
                    level=1,
                    subject=f"Reminder: {release} RID baseline",
                    roles=["PANEL"],
                    recipients=["panel@nowhere.example"],
                    defaulted=[],
                    text_body="-",
                    html_body="-",
                    message_id="<test@sec-release>",
                    status="failed",
                    attempts=3,
                    last_error=FAILED_ERROR,
                    at=now,
                    created_at=now,
                    sent_at=None,
                )
            )
            await session.commit()

    web.run(add())


def test_secas_reads_the_outbox_and_what_failed(page: Any, web: Web, release: str) -> None:
    _failed_notice(web, release)
    sign_in(page, web, "SECAS")
    page.get_by_role("link", name="Notices").click()
    expect_heading(page, "Notices")
    failed = page.get_by_role("table", name=re.compile("not taken"))
    row = failed.get_by_role("row").filter(has_text=release)
    assert FAILED_ERROR in row.inner_text()
    assert "failed" in row.inner_text()
    screenshot(page, "notices-secas")
    assert not (serious := _axe(page)), serious


def test_only_secas_reads_the_outbox(page: Any, web: Web) -> None:
    sign_in(page, web, "DCC")
    assert page.get_by_role("link", name="Notices").count() == 0
    answer = page.goto("/notices")
    assert answer is not None and answer.status == 403
    assert "Only SECAS may read the outbox" in page.get_by_role("alert").inner_text()


def test_the_release_page_shows_the_matrix_costs_risks_phases_and_appeal_window(
    page: Any, web: Web, release: str
) -> None:
    sign_in(page, web, "OPSG")
    page.goto(f"/releases/{release}")
    expect_heading(page, re.compile(release))
    matrix = page.get_by_role("table", name=re.compile("^Impact matrix"))
    row = matrix.get_by_role("row").filter(has_text="MP0901")
    assert row.inner_text().count("affected") == 5
    assert "not affected" in row.inner_text()
    discrepancy = page.locator("#cost-discrepancy")
    assert "125000" in discrepancy.inner_text()
    assert "Discrepancy" in discrepancy.inner_text()
    risks = page.get_by_role("table", name=re.compile("^Residual risks"))
    assert "Late meter firmware" in risks.inner_text()
    chart = page.get_by_role("img", name=re.compile("Timeline of"))
    assert chart.locator(".g-phase .g-bar-phase-actual").count() == 1
    assert chart.locator(".g-appeal-open .g-bar-appeal").count() == 1
    windows = page.get_by_role("table", name=re.compile("^Appeals against"))
    assert "1.0" in windows.inner_text()
    screenshot(page, "release-matrix-costs-risks")
    assert not (serious := _axe(page)), serious


def test_secas_adds_a_modification_through_the_form(page: Any, web: Web, release: str) -> None:
    sign_in(page, web, "SECAS")
    page.goto(f"/releases/{release}")
    page.get_by_text("Add a modification to the scope", exact=True).first.click()
    form = page.get_by_role("form", name="Add a modification to the scope")
    form.get_by_label("Mod", exact=True).fill("MP0902")
    form.get_by_label("Title", exact=True).fill("Gas meter clocks")
    form.get_by_label("system", exact=True).check()
    form.get_by_label(re.compile("^Impacts")).fill("Gas Networks")
    screenshot(page, "release-mod-add-form")
    form.get_by_role("button", name="Add a modification to the scope").click()
    accepted = page.get_by_role("status")
    assert "Accepted: Add a modification to the scope" in accepted.inner_text()
    matrix = page.get_by_role("table", name=re.compile("^Impact matrix"))
    row = matrix.get_by_role("row").filter(has_text="MP0902")
    cells = row.get_by_role("cell").all_inner_texts()
    assert [c.replace("✓", "").strip() for c in cells] == [
        "not affected",
        "not affected",
        "affected",
        "not affected",
        "not affected",
    ], cells
    screenshot(page, "release-mod-added")
