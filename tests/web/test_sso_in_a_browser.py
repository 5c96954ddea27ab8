"""Signing in with your organisation, in Chromium, against the local OIDC provider
(`tests/frontdoor/oidc_issuer.py`, which approves its configured user at once)."""

from __future__ import annotations

import re
from typing import Any

from tests.web.conftest import Web, screenshot
from tests.web.test_pages_in_a_browser import expect_heading

SSO_EMAIL = "olu@panel.example"


def test_a_panel_member_signs_in_with_their_organisation(page: Any, web: Web) -> None:
    web.run(web.directory.add_user("web-sso", "PANEL", name="Olu Panel", email=SSO_EMAIL))
    web.issuer.user = {
        "sub": "idp-olu",
        "email": SSO_EMAIL,
        "email_verified": True,
        "name": "Olu",
    }
    page.goto("/inbox")
    expect_heading(page, "Sign in")
    screenshot(page, "signin-with-sso")
    page.get_by_role("link", name="Sign in with your organisation").click()
    page.wait_for_url(re.compile(r"/inbox$"))
    expect_heading(page, "My inbox")
    assert "Olu Panel (PANEL)" in page.locator("header").inner_text()


def test_someone_the_directory_does_not_know_sees_why(page: Any, web: Web) -> None:
    web.issuer.user = {"sub": "idp-x", "email": "x@elsewhere.example", "email_verified": True}
    page.goto("/signin")
    page.get_by_role("link", name="Sign in with your organisation").click()
    alert = page.get_by_role("alert")
    assert "no one in the directory has that account" in alert.inner_text()
    expect_heading(page, "Sign in")
    screenshot(page, "signin-sso-refused")
    assert not any(c["name"] == "sec_release_session" for c in page.context.cookies())
