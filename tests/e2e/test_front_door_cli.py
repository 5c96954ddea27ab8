"""The CLI through the front door (ACCESS.md): every reading and lifecycle command goes over
HTTP without importing the Temporal SDK; `login` keeps a token 0600 and the token's principal
acts; a production front door refuses `--as` and says how to sign in."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from starter.remote import PRODUCTION
from tests.e2e.conftest import REPO, Cli, DevServer, ad_hoc_day, commands, free_port

PASSWORD = "correct horse battery staple"


def temporal_modules_imported(cli: Cli, *args: str) -> tuple[int, list[str]]:
    """Run `python -X importtime -m starter ARGS`; its exit code and the temporalio modules
    it imported."""
    code, _, imported = modules_imported(cli, *args)
    return code, [m for m in imported if m.startswith("temporalio")]


def modules_imported(cli: Cli, *args: str) -> tuple[int, str, list[str]]:
    """Run `python -X importtime -m starter ARGS`; its exit code, its output and every module
    it imported."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "starter", *args],
        env=cli.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    imported = [
        line.rsplit("|", 1)[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    ]
    return proc.returncode, proc.stdout, imported


def test_readings_and_commands_over_http_import_no_temporal_sdk(cli: Cli) -> None:
    rid = ad_hoc_day(410)
    code, temporal = temporal_modules_imported(
        cli, "--as", "SECAS:Kemp", "release", "create", rid, "--ad-hoc", "--type", "system"
    )
    assert (code, temporal) == (0, [])
    for args in (
        ("status", rid, "--json"),
        ("list", "--json"),
        ("timeline", rid),
        ("doc", "rid", rid),
        ("--as", "DCC:Lead", "inbox"),
        ("--as", "PANEL:Chair", "rid", "baseline", rid),
    ):
        assert temporal_modules_imported(cli, *args) == (0, []), args
    status = cli.ok("status", rid)
    assert commands(status["audit"]) == [
        ("SECAS:Kemp", "release create"),
        ("PANEL:Chair", "rid baseline"),
    ]


# What `status ID` with a token must not load (bench/README.md, `cli_latency`): the SDK, the
# store, the front door's own code, the models (it prints the JSON it gets) and the settings.
NOT_FOR_A_READING = (
    "temporalio",
    "sqlalchemy",
    "fastapi",
    "pydantic",
    "pydantic_settings",
    "settings",
    "httpx",
    "holidays",
    "schemas.status",
)


def test_status_with_a_token_prints_the_models_text_without_importing_them(cli: Cli) -> None:
    from schemas.status import ReleaseStatus
    from starter.render import status_text

    rid = ad_hoc_day(440)
    cli.ok("release", "create", rid, "--ad-hoc", "--type", "system", actor="SECAS:Kemp")
    cli.ok("rid", "baseline", rid, actor="PANEL:Chair")
    tokens = json.loads((Path(cli.env["SEC_RELEASE_DATA_DIR"]) / "dev-tokens.json").read_text())
    reader = Cli(env={**cli.env, "SEC_RELEASE_TOKEN": tokens["SECAS:Kemp"]})
    code, text, modules = modules_imported(reader, "status", rid)
    assert code == 0
    heavy = [m for m in modules if m in NOT_FOR_A_READING or m.split(".")[0] in NOT_FOR_A_READING]
    assert heavy == []
    # The same text the renderer prints from the validated model of the --json document.
    document = reader.ok("status", rid)
    assert text.rstrip("\n") == status_text(ReleaseStatus.model_validate(document))
    assert f"({rid})" in text and "rid baseline" in text


@pytest.fixture
def signed_in(cli: Cli, server: DevServer, tmp_path: Path) -> tuple[Cli, Path]:
    """A user `alice` (DCC) with a password, and a CLI whose config dir is its own."""
    login = f"alice{free_port()}"
    added = subprocess.run(
        [sys.executable, "-m", "starter", "users", "add", login, "--role", "DCC", "--name",
         "Alice", "--password-stdin"],
        env=cli.env, cwd=REPO, input=PASSWORD + "\n", capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    config = tmp_path / "config"
    return Cli(env={**cli.env, "XDG_CONFIG_HOME": str(config), "LOGIN": login}), config


def test_login_keeps_a_token_0600_that_acts_as_its_principal_and_logout_forgets_it(
    cli: Cli, server: DevServer, signed_in: tuple[Cli, Path]
) -> None:
    alice, config = signed_in
    login = alice.env["LOGIN"]
    rid = ad_hoc_day(420)
    cli.ok("release", "create", rid, "--ad-hoc", "--type", "system", actor="SECAS:Kemp")

    proc = subprocess.run(
        [sys.executable, "-m", "starter", "login", "--login", login, "--password-stdin",
         "--json"],
        env=alice.env, cwd=REPO, input=PASSWORD + "\n", capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["login"] == login
    path = config / "sec-release" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert set(saved) == {server.url}
    assert saved[server.url]["token"].startswith("sr_")

    # With the token and no --as, the token's principal acts (and the audit says so).
    alice.ok("tad", "submit", rid, "--doc", "TAD-0.1")
    assert (
        alice.refused("vote", rid, "go")
        == "Only PANEL may vote go/no-go (`sec-release vote`); you acted as DCC."
    )
    assert ("DCC:Alice", "tad submit") in commands(alice.ok("status", rid)["audit"])
    assert any(row["release"] == rid for row in alice.ok("inbox"))

    token = saved[server.url]["token"]
    assert httpx.get(f"{server.url}/api/me", headers=_bearer(token)).status_code == 200
    assert alice.ok("logout") == {"url": server.url, "forgotten": True, "revoked": True}
    assert json.loads(path.read_text()) == {}
    assert alice.refused("inbox", code=2).startswith("this command needs an actor")
    # Revoked on the server: the token no longer works anywhere, not only forgotten here.
    assert httpx.get(f"{server.url}/api/me", headers=_bearer(token)).status_code == 401
    assert alice.ok("logout") == {"url": server.url, "forgotten": False, "revoked": False}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_logout_with_the_front_door_down_forgets_the_token_and_says_it_was_not_revoked(
    signed_in: tuple[Cli, Path],
) -> None:
    alice, config = signed_in
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    path = config / "sec-release" / "credentials.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({url: {"token": "sr_" + "x" * 43, "id": "tk_0123456789ab"}}))
    run = alice.run("logout", "--url", url, "--json")
    assert run.exited(1), run.describe()
    assert run.data["forgotten"] is True
    assert run.data["revoked"] is False
    assert "token tk_0123456789ab could not be revoked on the server" in run.data["error"]
    assert "the front door did not answer" in run.data["error"]
    assert "sec-release tokens revoke tk_0123456789ab" in run.err
    assert json.loads(path.read_text()) == {}


def test_a_wrong_password_is_refused_and_nothing_is_kept(signed_in: tuple[Cli, Path]) -> None:
    alice, config = signed_in
    proc = subprocess.run(
        [sys.executable, "-m", "starter", "login", "--login", alice.env["LOGIN"],
         "--password-stdin", "--json"],
        env=alice.env, cwd=REPO, input="not the password\n", capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {"error": "The login or the password is wrong."}
    assert not (config / "sec-release" / "credentials.json").exists()


@pytest.fixture
def production(server: DevServer, tmp_path: Path) -> Iterator[str]:
    """`sec-release serve` (not in dev mode) on the dev server's Temporal and store."""
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "starter", "serve", "--port", str(port)],
        env=server.env, cwd=REPO, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, (
                tmp_path / "serve.log"
            ).read_text()
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def test_a_production_front_door_refuses_as_and_a_token_acts_as_its_principal(
    cli: Cli, production: str
) -> None:
    assert httpx.get(f"{production}/healthz").json() == {"status": "ok", "dev_mode": False}
    rid = ad_hoc_day(430)
    cli.ok("release", "create", rid, "--ad-hoc", "--type", "system", actor="SECAS:Kemp")
    there = Cli(env={**cli.env, "SEC_RELEASE_URL": production})
    assert there.refused("status", rid, actor="PANEL:Chair", code=2) == PRODUCTION
    assert there.refused("rid", "baseline", rid, actor="PANEL:Chair", code=2) == PRODUCTION
    unsigned = there.refused("status", rid)
    assert "sec-release login" in unsigned

    # A PANEL token (here the dev user's, made on this machine) acts as its principal.
    tokens = json.loads((Path(cli.env["SEC_RELEASE_DATA_DIR"]) / "dev-tokens.json").read_text())
    panel = Cli(env={**there.env, "SEC_RELEASE_TOKEN": tokens["PANEL_CHAIR"]})
    assert panel.ok("rid", "baseline", rid)["phase"] == "BASELINED"
    assert commands(panel.ok("status", rid)["audit"])[-1] == (
        "PANEL:Dev Panel Chair",
        "rid baseline",
    )
