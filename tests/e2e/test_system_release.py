"""A System release through the Testing Approach Document, then a GO vote the gate refuses."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from tests.e2e.conftest import Cli, ad_hoc_day, commands, today

# What a refusal must leave exactly as it was (`as_of` moves with the clock, and deliveries of
# notices already queued may complete meanwhile).
UNCHANGED_BY_A_REFUSAL = (
    "phase",
    "rid",
    "deadlines",
    "owed",
    "modifications",
    "criteria",
    "defects",
    "gate",
    "votes",
    "audit",
)


def _snapshot(status: dict[str, Any]) -> dict[str, Any]:
    return {key: status[key] for key in UNCHANGED_BY_A_REFUSAL}


def test_a_system_release_through_the_tad_and_a_refused_go_vote(cli: Cli) -> None:
    rid = ad_hoc_day(250)
    secas, panel, dcc, tag = "SECAS:Kemp", "PANEL:Chair", "DCC:Lead", "TAG:Chair"
    created = cli.ok("release", "create", rid, "--ad-hoc", "--type", "system", actor=secas)
    assert (created["type"], created["phase"]) == ("system", "DRAFTING")
    cli.ok(
        "mod",
        "add",
        rid,
        "SECMP0901",
        "--title",
        "Alert Storm Protection",
        "--system",
        "--impact",
        "Suppliers",
        "--impact",
        "DCC",
        "--cost",
        "design_build_pit=964346",
        "--cost",
        "sit=96995",
        "--rationale",
        "Panel agreed an urgent fix",
        actor=secas,
    )

    submitted = cli.ok("tad", "submit", rid, "--doc", "TAD-0.1", actor=dcc)
    assert "meets tad_to_tag" in submitted["summary"]
    wrong_role, out_of_order = cli.parallel(
        partial(cli.refused, "tad", "review", rid, "--comments", "x", actor=dcc),
        partial(cli.refused, "tad", "incorporate", rid, actor=panel),
    )
    assert wrong_role == "Only TAG may review the TAD (`sec-release tad review`); you acted as DCC."
    assert "The TAG has not recommended on the updated TAD (tad recommend)" in out_of_order
    cli.ok("tad", "review", rid, "--comments", "Say more about UIT entry criteria", actor=tag)
    start, end = today(), today() + timedelta(days=14)
    cli.ok("tad", "consult", rid, "--from", start.isoformat(), "--to", end.isoformat(), actor=dcc)
    cli.ok("tad", "submit", rid, "--doc", "TAD-0.2", "--updated", actor=dcc)
    cli.ok("tad", "recommend", rid, "--suitable", "--comments", "Fit for purpose", actor=tag)
    incorporated = cli.ok("tad", "incorporate", rid, actor=panel)
    assert incorporated["rid_version"] == "0.1"
    assert "meets tad_final" in incorporated["summary"]

    before = cli.ok("status", rid)
    deadlines = {d["key"]: d for d in before["deadlines"]}
    assert deadlines["tad_to_tag"]["met_on"] == today().isoformat()
    assert deadlines["tad_final"]["status"] == "met"
    assert [command for _, command in commands(before["audit"])] == [
        "release create",
        "mod add",
        "tad submit",
        "tad review",
        "tad consult",
        "tad submit",
        "tad recommend",
        "tad incorporate",
    ]
    assert Decimal(before["costs"]["total"]) == 964346 + 96995
    unmet: list[str] = before["gate"]
    assert unmet, "nothing of testing has happened, so the gate has unmet items"

    # The refusal names every unmet item in one sentence, on stderr and as {"error"} on stdout.
    sentence = cli.refused("vote", rid, "go", actor=panel)
    assert sentence.startswith(f"GO is refused: {len(unmet)} item(s) unmet: ")
    for item in unmet:
        assert item in sentence, item
    for item in (
        "the Panel has not baselined the RID (rid baseline)",
        "the Panel has not approved the SIT Completion Report (sit approve)",
        "the TAG has not given its go-live recommendation",
        "the OPSG has not given its go-live recommendation",
        "acceptance criterion op-1 is neither met nor waived",
        "acceptance criterion test-7 is neither met nor waived",
    ):
        assert item in sentence, item
    assert "tad incorporate" not in sentence, "the TAD is incorporated, so it is not unmet"

    readable, after = cli.parallel(
        partial(cli.run, "vote", rid, "go", actor=panel), partial(cli.ok, "status", rid)
    )
    assert readable.exited(1), readable.describe()
    assert readable.out == ""
    assert readable.err.strip() == f"sec-release: {sentence}"

    assert _snapshot(after) == _snapshot(before), "a refused vote changes nothing"
    assert after["votes"] == []
