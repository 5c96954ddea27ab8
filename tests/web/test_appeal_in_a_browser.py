"""An appeal in Chromium, on a rehearsal: a Party lodges it against the Panel's RID baseline,
it reaches the Authority's inbox once the 10-Working-Day window has closed, and the Authority's
determination reaches the release page.

The window's close cannot be waited for on a real server, so the front door here sits on a
rehearsal (`rehearsed_web`: the time-skipping server, business time from May 2019) and
business time is moved on between the steps. Each page is saved under test-results/web.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from tests.web.conftest import RehearsedWeb, screenshot, sign_in

RELEASE = "2020-06"
REASONS = "The scope grew after the consultation closed."


@pytest.fixture
def page(browser: Any, rehearsed_web: RehearsedWeb) -> Iterator[Any]:
    context = browser.new_context(
        base_url=rehearsed_web.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(60_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def baselined(rehearsed_web: RehearsedWeb) -> str:
    """The June 2020 release with one modification, its RID 1.0 baselined by the Panel (which
    opens the appeal window)."""
    web = rehearsed_web
    with web.api("SECAS") as secas:
        made = secas.post("/api/releases", json={"id": RELEASE})
        assert made.status_code == 201, made.text
        web.rehearsal.release_ids.append(RELEASE)
        added = secas.post(
            f"/api/releases/{RELEASE}/mod/add",
            json={"mod": "SECMP0062", "title": "Alert Storm", "system": True},
        )
        assert added.status_code == 200, added.text
    with web.api("PANEL") as panel:
        baseline = panel.post(f"/api/releases/{RELEASE}/rid/baseline", json={})
        assert baseline.status_code == 200, baseline.text
    return RELEASE


def _window(web: RehearsedWeb) -> dict[str, Any]:
    with web.api("AUTHORITY") as authority:
        answer = authority.get(f"/api/releases/{RELEASE}")
    assert answer.status_code == 200, answer.text
    [window] = answer.json()["appeals"]
    found: dict[str, Any] = window
    return found


def test_a_party_appeal_reaches_the_authority_whose_determination_reaches_the_page(
    page: Any, rehearsed_web: RehearsedWeb, baselined: str
) -> None:
    web = rehearsed_web
    # The Party lodges its appeal on the release page, inside the window.
    sign_in(page, web, "PARTY")
    page.goto(f"/releases/{baselined}")
    page.get_by_text("Lodge an appeal", exact=True).first.click()  # opens the form
    lodge = page.get_by_role("form", name="Lodge an appeal")
    lodge.get_by_label("Reasons").fill(REASONS)
    lodge.get_by_role("button", name="Lodge an appeal").click()
    page.wait_for_url(re.compile(r"done=act-appeal-lodge"))
    appeals = page.get_by_role("table", name=re.compile("Appeals against"))
    assert REASONS in appeals.inner_text()
    screenshot(page, "appeal-lodged-party")
    window = _window(web)
    assert window["status"] == "open", window

    # Nothing for the Authority while the window is open.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, web, "AUTHORITY")
    page.get_by_role("link", name="My inbox").click()
    assert page.get_by_role("row").filter(has_text="determine the appeal").count() == 0

    # The window closes (10 Working Days after publication): the appeal is referred.
    closes = datetime.fromisoformat(window["closes_on"]).date()
    web.advance_to(datetime.combine(closes + timedelta(days=1), time(9), tzinfo=UTC))
    page.reload()
    owed = (
        page.get_by_role("row")
        .filter(has_text=baselined)
        .filter(has_text="determine the appeal against RID 1.0")
    )
    assert owed.count() == 1
    screenshot(page, "inbox-authority")
    assert not (serious := _serious_violations(page)), serious
    owed.get_by_role("link", name=re.compile("determine the appeal")).click()
    page.wait_for_url(re.compile(r"open=act-appeal-determine#act-appeal-determine"))
    determine = page.get_by_role("form", name="Determine an appeal")
    assert determine.is_visible()  # the inbox's link opened it
    determine.get_by_label("upheld", exact=True).check()
    determine.get_by_label("Notes").fill("The Panel followed the Release Management Policy.")
    determine.get_by_label(re.compile("^I confirm")).check()
    determine.get_by_role("button", name="Determine an appeal").click()
    page.wait_for_url(re.compile(r"done=act-appeal-determine"))
    row = page.get_by_role("table", name=re.compile("Appeals against")).get_by_role("row")
    determined = row.filter(has_text="1.0").inner_text()
    assert "upheld on" in determined, determined
    assert "Release Management Policy" in determined
    screenshot(page, "release-appeal-determined")
    assert not (serious := _serious_violations(page)), serious
    assert _window(web)["status"] == "upheld"


def _serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
