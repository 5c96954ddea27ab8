"""SECAS managing users in Chromium (and nobody else seeing how), and the live refresh of the
portfolio, a release page and the inbox: the data changes behind the page, and 30 seconds later
the page shows it without a reload, announced politely, never while someone is typing.

The browser's clock is Playwright's (`page.clock`), so "30 seconds later" takes no real time;
the reads the page makes are real. Each new page is checked with axe-core and saved as a
screenshot under test-results/web (not committed).
"""

from __future__ import annotations

import re
import time
from typing import Any

from tests.e2e.conftest import ad_hoc_day
from tests.web.conftest import Web, screenshot, sign_in

LIVE_SECONDS = 31  # live.js reads the page again every 30 s


def _axe(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


# -- SECAS manages users ----------------------------------------------------------------------


def test_secas_adds_a_user_issues_and_revokes_a_token_and_disables_them(
    page: Any, web: Web
) -> None:
    sign_in(page, web, "SECAS")
    page.get_by_role("link", name="Users").click()
    page.get_by_role("heading", level=1, name="Users").wait_for()
    table = page.get_by_role("table", name=re.compile("Users and service accounts"))
    assert "web-panel" in table.inner_text()
    assert not (serious := _axe(page)), serious
    screenshot(page, "users")

    # A PARTY without its Party's name is refused with a sentence, the form kept as typed.
    page.get_by_label("Login").fill("web-newparty")
    page.get_by_label("Role").select_option("PARTY")
    page.get_by_label("Name").fill("Nia Party")
    page.get_by_role("button", name="Add", exact=True).click()
    alert = page.get_by_role("alert")
    assert "A PARTY needs the name of its SEC Party as its organisation" in alert.inner_text()
    assert page.get_by_label("Login").input_value() == "web-newparty"
    assert not (serious := _axe(page)), serious
    screenshot(page, "users-refused")

    page.get_by_label("Organisation").fill("Energy Co")
    page.get_by_label("Password (optional)").fill("a long enough password")
    page.get_by_role("button", name="Add", exact=True).click()
    assert "Added web-newparty." in page.get_by_role("status").inner_text()
    row = page.get_by_role("row").filter(has_text="web-newparty")
    assert "PARTY" in row.inner_text() and "Energy Co" in row.inner_text()
    assert "never" in row.inner_text()  # has not signed in yet

    row.get_by_role("link", name="web-newparty").click()
    page.get_by_role("heading", level=1, name="web-newparty").wait_for()
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Issue a token").click()
    shown = page.get_by_role("status").inner_text()
    token = re.search(r"sr_[A-Za-z0-9_-]+", shown)
    token_id = re.search(r"tk_[0-9a-f]+", shown)
    assert token is not None and token_id is not None
    assert not (serious := _axe(page)), serious
    screenshot(page, "user-token-issued")
    import httpx

    def me() -> int:
        headers = {"Authorization": f"Bearer {token.group(0)}"}
        return httpx.get(f"{web.url}/api/me", headers=headers, timeout=60).status_code

    assert me() == 200
    page.get_by_role("button", name=f"Revoke {token_id.group(0)}").click()
    assert "revoked" in page.get_by_role("row").filter(has_text=token_id.group(0)).inner_text()
    assert me() == 401

    page.get_by_role("button", name="Disable web-newparty").click()
    assert "Disabled" in page.get_by_role("status").inner_text()
    assert web.run(web.directory.get("web-newparty")).disabled
    page.get_by_role("button", name="Enable web-newparty").click()
    assert not web.run(web.directory.get("web-newparty")).disabled


def test_other_roles_see_no_users_link_and_get_403(page: Any, web: Web) -> None:
    sign_in(page, web, "PANEL")
    assert page.get_by_role("link", name="Users").count() == 0
    answer = page.goto("/users")
    assert answer is not None and answer.status == 403
    page.get_by_role("heading", level=1, name="Not allowed").wait_for()
    assert "Only SECAS may manage the users" in page.get_by_role("main").inner_text()


# -- live refresh -----------------------------------------------------------------------------


def _create(web: Web, release_id: str) -> None:
    """SECAS creates an ad hoc release through the API, and `list` finds it (the page reads
    the same list)."""
    with web.api("SECAS") as secas:
        made = secas.post(
            "/api/releases", json={"id": release_id, "ad_hoc": True, "type": "system"}
        )
        assert made.status_code == 201, made.text
        for _ in range(60):
            if any(r["id"] == release_id for r in secas.get("/api/releases").json()):
                return
            time.sleep(0.5)
    raise AssertionError(f"{release_id} never appeared in the list")


def _mark_page(page: Any) -> None:
    """A mark a reload would wipe out."""
    page.evaluate("window.notReloaded = true")


def _not_reloaded(page: Any) -> bool:
    return bool(page.evaluate("window.notReloaded === true"))


def _wait_for_text(page: Any, selector: str, text: str) -> None:
    page.wait_for_function(
        "([s, t]) => document.querySelector(s).innerText.includes(t)", arg=[selector, text]
    )


def _live_status(page: Any) -> str:
    return str(page.locator("#live-status").inner_text())


def test_the_portfolio_shows_a_new_release_without_a_reload(page: Any, web: Web) -> None:
    release = ad_hoc_day(480)
    page.clock.install()
    sign_in(page, web, "TAG")
    table = page.locator("#releases")
    assert release not in table.inner_text()
    _mark_page(page)
    _create(web, release)
    page.clock.fast_forward(LIVE_SECONDS * 1000)
    _wait_for_text(page, "#releases", release)
    assert _not_reloaded(page)
    assert re.fullmatch(r"Updated at \d\d:\d\d: Releases\.", _live_status(page))
    assert "live-updated" in (table.get_attribute("class") or "")
    # The status region is announced politely and never takes the focus.
    assert page.locator("#live-status").get_attribute("aria-live") == "polite"
    assert page.evaluate("document.activeElement.id") != "live-status"


def test_no_refresh_while_typing_and_none_animated_for_reduced_motion(page: Any, web: Web) -> None:
    release = ad_hoc_day(490)
    page.emulate_media(reduced_motion="reduce")
    page.clock.install()
    sign_in(page, web, "OPSG")
    _mark_page(page)
    go_live_from = page.get_by_label("Go-live from")
    go_live_from.fill("2020-01-01")  # typing in the filter form, not sent yet
    _create(web, release)
    page.clock.fast_forward(LIVE_SECONDS * 1000)
    page.wait_for_timeout(3000)  # real time for a read the script must not make
    assert release not in page.locator("#releases").inner_text()

    page.get_by_role("heading", level=1, name="Portfolio").click()  # done typing, focus left
    page.clock.fast_forward(LIVE_SECONDS * 1000)
    _wait_for_text(page, "#releases", release)
    assert _not_reloaded(page)
    assert go_live_from.input_value() == "2020-01-01"  # what was typed is still there
    assert "live-updated" not in (page.locator("#releases").get_attribute("class") or "")


def test_a_release_page_and_the_inbox_refresh_their_data(page: Any, web: Web) -> None:
    release = ad_hoc_day(500)
    _create(web, release)
    page.clock.install()
    sign_in(page, web, "DCC")
    page.goto(f"/releases/{release}")
    defects = page.locator("#defects")
    before = defects.inner_text()
    _mark_page(page)
    with web.api("DCC") as dcc:
        reported = dcc.post(f"/api/releases/{release}/defects/set", json={"sev1": 3})
        assert reported.status_code == 200, reported.text
    page.clock.fast_forward(LIVE_SECONDS * 1000)
    page.wait_for_function(
        "before => document.querySelector('#defects').innerText !== before", arg=before
    )
    assert "3" in defects.inner_text()
    assert _not_reloaded(page)
    assert "Defects" in _live_status(page)

    page.goto("/inbox")
    owed = page.locator("#owed-items")
    newer = ad_hoc_day(510)
    assert newer not in owed.inner_text()
    _mark_page(page)
    _create(web, newer)
    page.clock.fast_forward(LIVE_SECONDS * 1000)
    _wait_for_text(page, "#owed-items", newer)
    assert _not_reloaded(page)
    assert "Inbox" in _live_status(page)
    screenshot(page, "inbox-live")
