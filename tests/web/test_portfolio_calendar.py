"""The year's calendar beside the portfolio, in Chromium: the scheduled go-lives, the scope
cut-offs and the Panel's freezes, month by month, linking the releases that exist."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rules.release_calendar import release_name, scheduled_go_live
from tests.e2e.conftest import today
from tests.web.conftest import Web, screenshot, sign_in
from tests.web.test_pages_in_a_browser import expect_heading

FREEZE_REASON = "Calendar test: summer change freeze"


def test_the_years_calendar_beside_the_table(page: Any, web: Web) -> None:
    from axe_playwright_python.sync_playwright import Axe

    year = today().year + 1
    with web.api("PANEL") as panel:
        added = panel.post(
            "/api/freezes",
            json={
                "start": date(year, 8, 3).isoformat(),
                "end": date(year, 8, 14).isoformat(),
                "reason": FREEZE_REASON,
            },
        )
        assert added.status_code in (200, 201), added.text
    sign_in(page, web, "SECAS")
    page.goto(f"/?year={year}")
    expect_heading(page, "Portfolio")
    aside = page.get_by_role("complementary", name=f"The {year} calendar")
    months = aside.locator("ol.months > li")
    assert months.count() == 12
    june = months.nth(5).inner_text()
    assert f"{release_name(scheduled_go_live(year, 6))} goes live" in june
    august = months.nth(7).inner_text()
    assert f"Freeze: {FREEZE_REASON}" in august
    assert aside.locator("li.c-cut-off").count() >= 3
    screenshot(page, "portfolio-calendar")
    results = Axe().run(page)
    serious = [
        v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]
    assert not serious, serious
    page.get_by_role("link", name=f"The {year - 1} calendar").click()
    page.wait_for_url(re.compile(rf"year={year - 1}"))
    assert page.get_by_role("heading", name=f"The {year - 1} calendar").count() == 1
