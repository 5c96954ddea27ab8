"""The audit trail end to end: commands over HTTP with real directory tokens, through the front
door `sec-release up` serves, recorded by the worker into the store, where `sec-release audit
verify` (a process, as an operator runs it) finds the chain intact and every signature good,
each command's entry naming the authenticated principal and its request id; then a DBA's edit
of one stored entry is named."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas.principal import AccessRole, Principal
from tests.e2e.conftest import Cli, DevServer, ad_hoc_day, command_name
from tests.frontdoor.conftest import headers, principal_of

SECAS, PANEL, DCC, TAG = AccessRole.SECAS, AccessRole.PANEL, AccessRole.DCC, AccessRole.TAG
RECORD_TIMEOUT_SECONDS = 60.0


@pytest.fixture
def up_door(
    dev_server: DevServer, dev_credentials: dict[AccessRole, tuple[str, Principal]]
) -> httpx.Client:
    """A client of the front door `up` itself serves (not the in-process one)."""
    return httpx.Client(base_url=f"http://127.0.0.1:{dev_server.http_port}", timeout=60.0)


def _recorded(cli: Cli, release: str, entries: int) -> dict[str, Any]:
    """`audit verify --json` once the store holds `entries` entries (the worker records them
    after each workflow task, so the store lags the release a little)."""
    deadline = time.monotonic() + RECORD_TIMEOUT_SECONDS
    while True:
        run = cli.run("audit", "verify", release, "--json")
        data: dict[str, Any] = run.data
        if run.exited(0) and data["entries"] >= entries:
            return data
        assert time.monotonic() < deadline, run.describe()
        time.sleep(0.5)


def _tamper(data_dir: Path, release: str, seq: int) -> None:
    """What a DBA could do: drop the append-only triggers and edit one stored entry."""
    with sqlite3.connect(data_dir / "sec-release.db", timeout=30) as db:
        db.execute("DROP TRIGGER IF EXISTS audit_no_update")
        db.execute("DROP TRIGGER IF EXISTS audit_no_delete")
        changed = db.execute(
            "UPDATE audit SET detail = 'nothing to see' WHERE release_id = ? AND seq = ?",
            (release, seq),
        ).rowcount
        assert changed == 1


def test_commands_over_http_are_audited_signed_and_tamper_evident(
    dev_server: DevServer, up_door: httpx.Client
) -> None:
    release = ad_hoc_day(460)
    cli = Cli(env=dev_server.env)
    created = up_door.post(
        "/api/releases",
        json={"id": release, "ad_hoc": True, "type": "system"},
        headers=headers(SECAS),
    )
    assert created.status_code == 201, created.text
    base = f"/api/releases/{release}"
    submitted = up_door.post(f"{base}/tad/submit", json={"doc": "TAD-0.1"}, headers=headers(DCC))
    assert submitted.status_code == 200, submitted.text
    reviewed = up_door.post(
        f"{base}/tad/review", json={"comments": "Say more about UIT"}, headers=headers(TAG)
    )
    assert reviewed.status_code == 200, reviewed.text
    # A rule's refusal of a signalled command is audited too, under the request id it was given.
    signalled = up_door.post(f"{base}/tad/incorporate?mode=signal", json={}, headers=headers(PANEL))
    assert signalled.status_code == 202, signalled.text
    refused_id = signalled.json()["request_id"]

    deadline = time.monotonic() + RECORD_TIMEOUT_SECONDS
    while True:
        status = up_door.get(base, headers=headers(DCC)).json()
        if any(e["request_id"] == refused_id for e in status["audit"]):
            break
        assert time.monotonic() < deadline, (refused_id, json.dumps(status["audit"], indent=1))
        time.sleep(0.5)
    audit = status["audit"]
    verified = _recorded(cli, release, len(audit))

    # Every command's entry names who signed in, the request and (in the store) its signature.
    expected = [
        ("release create", SECAS, "accepted"),
        ("tad submit", DCC, "accepted"),
        ("tad review", TAG, "accepted"),
        ("tad incorporate", PANEL, "refused"),
    ]
    made = [e for e in audit if e["actor"] != "sec-release"]
    assert [(command_name(e["command"]), e["outcome"]) for e in made] == [
        (command, outcome) for command, _, outcome in expected
    ], made
    for entry, (_, role, _) in zip(made, expected, strict=True):
        who = principal_of(role)
        org = f", {who.org}" if who.org else ""
        assert entry["principal"] == str(who) == f"{who.login} ({role.value}{org})", entry
        assert entry["actor"] == str(who.actor()), entry
        assert len(entry["request_id"]) == 32, entry
    assert made[-1]["request_id"] == refused_id
    assert len({e["request_id"] for e in made}) == len(made)
    signed = sum(1 for e in audit if e["request_id"])
    assert signed >= len(made)
    assert verified["intact"] is True, verified
    assert verified["problems"] == []
    assert verified["entries"] == len(audit)
    assert verified["signed_entries"] == signed
    assert verified["signatures_checked"] == signed
    assert verified["signatures_not_checked"] is None

    shown = cli.ok("audit", "show", release)
    by_request = {row["request_id"]: row for row in shown if row["request_id"]}
    for entry in made:
        row = by_request[entry["request_id"]]
        assert (row["principal"], row["actor"]) == (entry["principal"], entry["actor"])
        assert row["signature"] and row["key_id"] and row["signed"]

    # A DBA edits the stored entry of the TAG's review: `audit verify` names it and exits 1.
    tampered = made[2]["seq"]
    _tamper(Path(dev_server.data_dir), release, tampered)
    run = cli.run("audit", "verify", release, "--json")
    assert run.exited(1), run.describe()
    assert run.data["intact"] is False
    assert run.data["problems"] == [
        f"Entry {tampered} was altered: its stored hash does not match its content."
    ]
    said = cli.run("audit", "verify", release)
    assert said.exited(1), said.describe()
    assert f"Entry {tampered} was altered" in said.out
