"""Creating a release and reading it back: status, list, inbox, timeline, documents, mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

import pytest

from rules.release_calendar import scheduled_go_live
from tests.e2e.conftest import Cli, ad_hoc_day, assert_keys, commands, today

STATUS_KEYS = {
    "id",
    "name",
    "type",
    "phase",
    "go_live",
    "rid",
    "deadlines",
    "owed",
    "modifications",
    "costs",
    "criteria",
    "defects",
    "escalations",
    "notices",
    "audit",
}
DEADLINE_KEYS = {"key", "due", "status", "met_on", "escalation_level", "who"}


@dataclass(frozen=True)
class LateRelease:
    """The next scheduled System release, created today: its 12-month deadlines are past."""

    id: str
    go_live: date
    created: Any  # what `release create --json` printed


@pytest.fixture(scope="module")
def late(cli: Cli) -> LateRelease:
    t = today()
    candidates = sorted(scheduled_go_live(y, m) for y in (t.year, t.year + 1) for m in (6, 11))
    # More than six weeks away (so it is not already in its final month), less than a year (as
    # June and November alternate), so its scope_system and notice_12m deadlines are past.
    go_live = next(d for d in candidates if d > t + timedelta(days=45))
    release_id = go_live.strftime("%Y-%m")
    created = cli.ok("release", "create", release_id, actor="SECAS:Kemp")
    return LateRelease(release_id, go_live, created)


def test_a_release_created_late_reads_back_with_lapsed_deadlines_owed_actions_and_audit(
    cli: Cli, late: LateRelease
) -> None:
    assert (late.created["id"], late.created["type"], late.created["go_live"]) == (
        late.id,
        "system",
        late.go_live.isoformat(),
    )
    status = cli.poll(
        "status",
        late.id,
        until=lambda s: any(e["deadline"] == "scope_system" for e in s["escalations"]),
    )
    assert_keys(status, STATUS_KEYS, "status --json")
    assert (status["id"], status["type"], status["phase"], status["go_live"]) == (
        late.id,
        "system",
        "DRAFTING",
        late.go_live.isoformat(),
    )
    assert status["name"] == f"{late.go_live:%B %Y} SEC Release"
    assert_keys(status["rid"], {"version", "frozen"}, "status.rid")
    assert status["rid"]["frozen"] is False
    assert_keys(status["costs"], {"total", "quoted_total", "discrepancy"}, "status.costs")
    for key in ("modifications", "criteria", "escalations", "notices", "audit", "owed"):
        assert isinstance(status[key], list), key

    # Every dated deadline is the one the offline table gives for this go-live date.
    table, readable = cli.parallel(
        partial(cli.ok, "deadlines", "--go-live", late.go_live.isoformat(), "--type", "system"),
        partial(cli.run, "status", late.id),
    )
    minimum = {row["key"]: row["due"] for row in table}
    deadlines = {d["key"]: d for d in status["deadlines"]}
    for row in status["deadlines"]:
        assert_keys(row, DEADLINE_KEYS, f"deadline {row.get('key')}")
    for key, due in minimum.items():
        assert deadlines[key]["due"] == due, key
    scope = deadlines["scope_system"]
    assert scope["due"] < today().isoformat()
    assert (scope["status"], scope["met_on"], scope["who"]) == ("lapsed", None, ["PANEL"])
    assert scope["escalation_level"] >= 1
    assert deadlines["notice_12m"]["status"] == "lapsed"

    for row in status["owed"]:
        assert_keys(row, {"role", "action", "due"}, "status.owed")
    assert {
        "role": "PANEL",
        "action": "baseline the RID (v1.0) with the system scope",
        "due": scope["due"],
    }.items() <= next(o for o in status["owed"] if o["role"] == "PANEL").items()

    # The level-1 escalation went out at once, to SECAS and the Panel chair at least.
    first = next(e for e in status["escalations"] if e["deadline"] == "scope_system")
    assert first["level"] == 1
    assert {"SECAS", "PANEL_CHAIR"} <= set(first["to"])

    for entry in status["audit"]:
        assert_keys(entry, {"at", "actor", "command"}, "status.audit")
    assert commands(status["audit"]) == [("SECAS:Kemp", "release create")]

    assert readable.exited(0), readable.describe()
    assert f"{late.go_live:%B %Y} SEC Release ({late.id})" in readable.out
    assert "scope_system" in readable.out and "lapsed" in readable.out


def test_release_create_already_shows_the_deadlines_that_are_past_as_lapsed(
    late: LateRelease,
) -> None:
    past = [d for d in late.created["deadlines"] if d["due"] and d["due"] < today().isoformat()]
    assert past, "a late release has deadlines in the past"
    assert {d["key"]: d["status"] for d in past} == {d["key"]: "lapsed" for d in past}


def test_the_escalations_of_a_late_release_are_in_the_outbox_as_mail(
    cli: Cli, late: LateRelease
) -> None:
    def escalated(rows: list[dict[str, Any]]) -> bool:
        return any(r["key"].startswith(f"{late.id}/scope_system/") for r in rows)

    rows = cli.poll("mail", until=escalated)
    for row in rows:
        assert_keys(row, {"key", "at", "to", "subject", "status"}, "mail row")
        assert row["status"] in {"queued", "sent", "failed-retrying"}
    mine = [r for r in rows if r["key"].startswith(f"{late.id}/")]
    scope = next(r for r in mine if r["key"].startswith(f"{late.id}/scope_system/"))
    assert scope["subject"].startswith("Escalation level 1: ")
    assert f"{late.go_live:%B %Y} SEC Release" in scope["subject"]
    # No contacts are set: each role goes to its default address at MAIL_FROM's domain.
    assert {"secas@localhost", "panel-chair@localhost"} <= set(scope["to"])
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows), "oldest first"
    # Exactly one message per notice key.
    assert len({r["key"] for r in rows}) == len(rows)


def test_list_filters_by_phase_type_and_lapsed_deadlines(cli: Cli, late: LateRelease) -> None:
    # A Documentation release more than a year away: nothing of it has lapsed.
    far = ad_hoc_day(500)
    cli.ok("release", "create", far, "--ad-hoc", "--type", "documentation", actor="SECAS:Kemp")

    def ids(rows: list[dict[str, Any]]) -> set[str]:
        return {r["id"] for r in rows}

    rows = cli.poll("list", until=lambda rows: {late.id, far} <= ids(rows))
    for row in rows:
        assert_keys(row, {"id", "phase", "go_live", "lapsed"}, "list row")
    by_id = {r["id"]: r for r in rows}
    assert {k: by_id[late.id][k] for k in ("phase", "go_live", "lapsed")} == {
        "phase": "DRAFTING",
        "go_live": late.go_live.isoformat(),
        "lapsed": True,
    }
    assert {k: by_id[far][k] for k in ("phase", "go_live", "lapsed")} == {
        "phase": "DRAFTING",
        "go_live": far,
        "lapsed": False,
    }
    assert [r["go_live"] for r in rows] == sorted(r["go_live"] for r in rows)

    # Both are visible now, with their search attributes: every filter answers from them.
    docs, lapsed, drafting, live = cli.parallel(
        partial(cli.ok, "list", "--type", "documentation"),
        partial(cli.ok, "list", "--lapsed"),
        partial(cli.ok, "list", "--phase", "drafting", "--type", "system"),
        partial(cli.ok, "list", "--phase", "LIVE"),
    )
    assert far in ids(docs) and late.id not in ids(docs)
    assert {r["type"] for r in docs} == {"documentation"}
    assert late.id in ids(lapsed) and far not in ids(lapsed)
    assert all(r["lapsed"] for r in lapsed)
    assert late.id in ids(drafting) and far not in ids(drafting)
    assert {r["phase"] for r in drafting} == {"DRAFTING"}
    assert late.id not in ids(live) and far not in ids(live)


def test_inbox_lists_what_a_role_owes_soonest_first_with_overdue_marked(
    cli: Cli, late: LateRelease
) -> None:
    rows = cli.poll(
        "inbox", actor="PANEL:Chair", until=lambda rows: any(r["release"] == late.id for r in rows)
    )
    for row in rows:  # CLI.md's keys, and the command that discharges the row
        assert_keys(row, {"release", "action", "due", "overdue", "command"}, "inbox row")
    dues = [r["due"] for r in rows if r["due"] is not None]
    assert dues == sorted(dues), "soonest first"
    assert [r["due"] for r in rows[len(dues) :]] == [None] * (len(rows) - len(dues)), "undated last"
    mine = [r for r in rows if r["release"] == late.id]
    baseline = next(r for r in mine if r["action"].startswith("baseline the RID (v1.0)"))
    assert baseline["overdue"] is True and baseline["due"] < today().isoformat()
    assert all(
        r["overdue"] == (r["due"] is not None and r["due"] < today().isoformat()) for r in mine
    )
    # The DCC owes other things; nothing the Panel owes is in its inbox.
    dcc = cli.ok("inbox", actor="DCC")
    assert not any(r["action"].startswith("baseline the RID") for r in dcc)


def test_timeline_documents_and_calendar_export_of_a_release(cli: Cli, late: LateRelease) -> None:
    timeline, rid, html, paper, ics = cli.parallel(
        partial(cli.ok, "timeline", late.id),
        partial(cli.ok, "doc", "rid", late.id),
        partial(cli.ok, "doc", "rid", late.id, "--format", "html"),
        partial(cli.run, "doc", "go-live-paper", late.id),
        partial(cli.run, "timeline", late.id, "--ics"),
    )
    assert timeline and all(
        {"event", "planned", "minimum", "actual"} <= set(row) for row in timeline
    )
    events = {row["event"]: row for row in timeline}
    assert events["baseline_system"]["minimum"] < today().isoformat()
    assert events["baseline_system"]["actual"] is None

    assert (rid["release"], rid["document"], rid["format"]) == (late.id, "rid", "md")
    assert rid["content"].startswith(
        f"# {late.go_live:%B %Y} SEC Release: Release Implementation Document"
    )
    assert html["content"].lstrip().lower().startswith("<!doctype html")

    assert paper.exited(0), paper.describe()
    assert paper.out.startswith(f"# Approval to implement the {late.go_live:%B %Y} SEC Release")

    assert ics.exited(0), ics.describe()
    assert ics.out.startswith("BEGIN:VCALENDAR") and "END:VCALENDAR" in ics.out
    assert f"UID:{late.id}-scope_system@sec-release" in ics.out
    assert f"DTSTART;VALUE=DATE:{late.go_live:%Y%m%d}" in ics.out


def test_status_defects_is_an_object_before_the_dcc_reports_any(
    cli: Cli, late: LateRelease
) -> None:
    status = cli.ok("status", late.id)
    assert isinstance(status["defects"], dict), status["defects"]
