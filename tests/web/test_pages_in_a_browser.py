"""People using the web app in Chromium: the Panel refused a GO, the DCC kept out of the vote,
SECAS creating a release whose Gantt shows what has lapsed, every page checked with axe-core.

Each page is also saved as a screenshot under test-results/web (not committed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from rules.release_calendar import scheduled_go_live
from tests.e2e.conftest import today
from tests.web.conftest import Web, screenshot, sign_in

LAPSED_RED = "rgb(164, 22, 26)"  # --red in templates/web/web.css


@dataclass(frozen=True)
class Releases:
    """Two scheduled System releases less than a year away, so their 12-month deadlines have
    lapsed: `created_in_browser` is left for SECAS to create; `gate_unmet` exists with an open
    Severity 1 defect, the DCC's testing evidence in (so at its decision point, the Panel owing
    its vote) and the rest of its go-live gate unmet."""

    created_in_browser: str
    gate_unmet: str


@pytest.fixture(scope="module")
def releases(web: Web) -> Releases:
    t = today()
    candidates = sorted(scheduled_go_live(y, m) for y in (t.year, t.year + 1) for m in (6, 11))
    # More than six weeks away (not in its final month), less than a year (the 12-month
    # deadlines are past, so they are lapsed from the start).
    late = [d for d in candidates if t + timedelta(days=45) < d < t + timedelta(days=365)]
    first, second = (d.strftime("%Y-%m") for d in late[:2])
    with web.api("SECAS") as secas:
        made = secas.post("/api/releases", json={"id": second})
        assert made.status_code == 201, made.text
    with web.api("DCC") as dcc:
        reported = dcc.post(f"/api/releases/{second}/defects/set", json={"sev1": 1})
        assert reported.status_code == 200, reported.text
        # The DCC's testing evidence brings the release to its decision point: the Panel owes
        # its vote from then on, though the gate is far from met.
        evidence = dcc.post(
            f"/api/releases/{second}/evidence/submit",
            json={"evidence": "testing", "doc": "DCC-TEST-EVIDENCE-1"},
        )
        assert evidence.status_code == 200, evidence.text
    return Releases(first, second)


def _status(web: Web, release_id: str) -> dict[str, Any]:
    with web.api("PANEL") as panel:
        answer = panel.get(f"/api/releases/{release_id}")
    assert answer.status_code == 200, answer.text
    status: dict[str, Any] = answer.json()
    return status


def _state(status: dict[str, Any]) -> tuple[Any, ...]:
    """What a refused command must leave as it was (the audit may only gain refusals)."""
    return (status["phase"], status["votes"], status["rid"], status["deadlines"])


def test_panel_member_votes_go_on_an_unmet_gate_and_sees_every_unmet_item(
    page: Any, web: Web, releases: Releases
) -> None:
    release = releases.gate_unmet
    before = _status(web, release)
    assert "1 Severity 1 defect is open" in before["gate"]
    sign_in(page, web, "PANEL")
    page.get_by_role("link", name="My inbox").click()
    expect_heading(page, "My inbox")
    screenshot(page, "inbox-panel")
    # The vote the Panel owes on this release is in the inbox; its link opens the form.
    owed = page.get_by_role("row").filter(has_text=release).filter(has_text="vote go/no-go")
    owed.first.get_by_role("link", name="vote go/no-go").click()
    page.wait_for_url(re.compile(r"open=act-vote#act-vote"))
    expect_heading(page, re.compile(release))
    vote = page.get_by_role("form", name="Vote go/no-go")
    assert vote.is_visible()
    vote.get_by_label("go", exact=True).check()
    vote.get_by_label(re.compile("^I confirm")).check()
    vote.get_by_role("button", name="Vote go/no-go").click()
    refusal = vote.get_by_role("alert")
    text = refusal.inner_text()
    screenshot(page, "release-vote-refused")
    for item in before["gate"]:
        assert item in text, f"the refusal does not name {item!r}: {text}"
    after = _status(web, release)
    assert _state(after) == _state(before)
    added = after["audit"][len(before["audit"]) :]
    assert all(entry["outcome"] == "refused" for entry in added), added


def test_dcc_sees_no_vote_form_and_posting_one_by_hand_is_403(
    page: Any, web: Web, releases: Releases
) -> None:
    release = releases.gate_unmet
    before = _status(web, release)
    sign_in(page, web, "DCC")
    page.goto(f"/releases/{release}")
    expect_heading(page, re.compile(release))
    assert page.get_by_role("button", name="Vote go/no-go").count() == 0
    # No form at all (the owed table may say the Panel owes its vote; that is not a form).
    assert page.get_by_role("form", name="Vote go/no-go").count() == 0
    assert page.locator("details.command").filter(has_text="Vote go/no-go").count() == 0
    assert page.locator("form[action$='/do/vote']").count() == 0
    # The DCC's own forms are there (closed until opened), the Panel's are not.
    assert page.get_by_text(re.compile("^Report open defects")).count() >= 1
    screenshot(page, "release-dcc")
    csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    with httpx.Client(base_url=web.url, cookies=cookies, timeout=60) as http:
        forged = http.post(
            f"/releases/{release}/do/vote",
            data={"csrf_token": csrf, "go": "go", "confirm": "yes"},
        )
        without_csrf = http.post(f"/releases/{release}/do/vote", data={"go": "go"})
    assert forged.status_code == 403, forged.text
    assert "Only PANEL may vote go/no-go" in forged.text
    assert without_csrf.status_code == 403
    assert _state(_status(web, release)) == _state(before)


def test_secas_creates_a_release_and_the_gantt_shows_its_lapsed_deadlines_in_red(
    page: Any, web: Web, releases: Releases
) -> None:
    release = releases.created_in_browser
    sign_in(page, web, "SECAS")
    page.get_by_label("Release id").fill(release)
    page.get_by_role("button", name="Create the release").click()
    page.wait_for_url(f"**/releases/{release}")
    expect_heading(page, re.compile(release))
    chart = page.get_by_role("img", name=re.compile("Timeline of"))
    lapsed = chart.locator(".g-lapsed")
    assert lapsed.count() >= 1
    fill = lapsed.first.locator(".g-due").evaluate("e => getComputedStyle(e).fill")
    assert fill == LAPSED_RED
    label = lapsed.first.locator(".g-label").evaluate("e => getComputedStyle(e).fill")
    assert label == LAPSED_RED
    assert page.get_by_role("row").filter(has_text="lapsed").count() >= 1
    screenshot(page, "release-secas-created")
    page.get_by_role("link", name="Portfolio").click()
    row = page.get_by_role("row").filter(has_text=release)
    assert "Red" in row.inner_text()
    screenshot(page, "portfolio-secas")


def test_account_page_creates_and_revokes_a_token(page: Any, web: Web) -> None:
    sign_in(page, web, "TAG")
    page.get_by_role("link", name="My account").click()
    page.get_by_role("button", name="Create a token").click()
    shown = page.get_by_role("status")
    assert "sr_" in shown.inner_text()
    token_id = re.search(r"tk_[0-9a-f]+", shown.inner_text())
    assert token_id is not None
    screenshot(page, "account-token-created")
    page.get_by_role("button", name=f"Revoke {token_id.group(0)}").click()
    assert "revoked" in page.get_by_role("row").filter(has_text=token_id.group(0)).inner_text()


def test_signing_out_ends_the_session(page: Any, web: Web) -> None:
    sign_in(page, web, "OPSG")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signin")
    page.goto("/inbox")
    expect_heading(page, "Sign in")


@pytest.mark.parametrize(
    ("role", "path", "name"),
    [
        (None, "/signin", "signin"),
        ("SECAS", "/", "portfolio"),
        ("PANEL", "/inbox", "inbox"),
        ("PANEL", "/releases/{gate_unmet}", "release-panel"),
        ("SECAS", "/releases/{gate_unmet}", "release-secas"),
        ("AUTHORITY", "/account", "account"),
        # The sign-in page refusing a wrong password, and an error page (a release not found).
        (None, "/signin", "signin-refused"),
        ("TAG", "/releases/1999-06", "error-not-found"),
    ],
)
def test_no_serious_or_critical_accessibility_violations(
    page: Any, web: Web, releases: Releases, role: str | None, path: str, name: str
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    if role is not None:
        sign_in(page, web, role)
    answer = page.goto(path.format(gate_unmet=releases.gate_unmet))
    if name == "signin-refused":
        page.get_by_label("Login").fill(web.login_of("PANEL"))
        page.get_by_label("Password").fill("not the password")
        with page.expect_response(re.compile(r"/signin$")) as posted:
            page.get_by_role("button", name="Sign in").click()
        answer = posted.value
        assert "The login or the password is wrong." in page.get_by_role("alert").inner_text()
    if name.startswith("error"):
        expect_heading(page, "Not found")
    assert answer is not None
    assert answer.status == {"signin-refused": 401, "error-not-found": 404}.get(name, 200)
    page.wait_for_load_state("load")
    results = Axe().run(page)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    screenshot(page, f"a11y-{name}")
    assert not serious, serious
    # Readable on a phone too: the same page at 390 px wide, no sideways scrolling of the page.
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, f"phone-{name}")
    assert width <= 400, f"{path} is {width} px wide on a phone"


def expect_heading(page: Any, name: str | re.Pattern[str]) -> None:
    page.get_by_role("heading", level=1, name=name).wait_for()
