"""A Documentation release walked to LIVE on a real server, whose business clock is today."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Cli, commands, is_working_day, today


def test_an_ad_hoc_documentation_release_goes_live_today(cli: Cli) -> None:
    # `golive confirm` needs today >= go-live and go-live must be a Working Day, so the only
    # release that can go live within a test is an ad hoc one going live today.
    day = today()
    if not is_working_day(day):
        pytest.skip(f"today ({day}) is not a Working Day, so no release can go live today")
    rid = day.isoformat()
    secas, panel = "SECAS:Kemp", "PANEL:Chair"

    created = cli.ok("release", "create", rid, "--ad-hoc", "--type", "documentation", actor=secas)
    assert (created["id"], created["type"], created["go_live"]) == (rid, "documentation", rid)
    assert created["criteria"] == [], "a Documentation release has no default criteria"

    # Every cut-off is past, so a modification needs the Panel's rationale.
    sentence = cli.refused(
        "mod", "add", rid, "MP900", "--title", "Clarify Section H", "--docs-only", actor=secas
    )
    assert "needs the Panel's rationale (--rationale)" in sentence
    added = cli.ok(
        "mod",
        "add",
        rid,
        "MP900",
        "--title",
        "Clarify Section H",
        "--docs-only",
        "--document",
        "Section H",
        "--rationale",
        "Urgent clarification agreed by the Panel",
        actor=secas,
    )
    assert (added["release"], added["command"], added["phase"]) == (rid, "mod_add", "DRAFTING")
    assert "MP900" in added["summary"]

    baselined = cli.ok("rid", "baseline", rid, actor=panel)
    assert (baselined["phase"], baselined["rid_version"]) == ("BASELINED", "1.0")

    # Out of order: the Panel cannot vote before SECAS confirms readiness.
    assert cli.refused("vote", rid, "go", actor=panel)
    ready = cli.ok("readiness", "confirm", rid, actor=secas)
    assert ready["phase"] == "GO_LIVE_DECISION"
    voted = cli.ok("vote", rid, "go", actor=panel)
    assert voted["phase"] == "APPROVED"
    live = cli.ok("golive", "confirm", rid, "--sec-updated", actor=secas)
    assert live["phase"] == "LIVE"

    status = cli.ok("status", rid)
    assert (status["phase"], status["rid"]["version"]) == ("LIVE", "1.0")
    assert [m["id"] for m in status["modifications"]] == ["MP900"]
    # The refusals above left no trace; each accepted command did, naming its actor.
    assert commands(status["audit"]) == [
        (secas, "release create"),
        (secas, "mod add"),
        (panel, "rid baseline"),
        (secas, "readiness confirm"),
        (panel, "vote"),
        (secas, "golive confirm"),
    ]
    deadlines = {d["key"]: d for d in status["deadlines"]}
    assert (deadlines["scope_docs"]["status"], deadlines["scope_docs"]["met_on"]) == ("met", rid)
    decisions = [n for n in status["notices"] if n["kind"] == "decision"]
    assert any("GO" in n["subject"] for n in decisions), status["notices"]
    listed = cli.poll(
        "list",
        "--phase",
        "LIVE",
        until=lambda rows: any(r["id"] == rid for r in rows),
    )
    assert any(r["id"] == rid and r["phase"] == "LIVE" for r in listed)
