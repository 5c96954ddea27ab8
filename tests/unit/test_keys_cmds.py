"""`sec-release keys list` and `keys rotate` on a data dir of their own (no Temporal server)."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest

from rules.seal import verify_recorded
from schemas.seal import Seal, signed_message
from settings import Settings
from starter.cli import main
from starter.keys import Signer, signing_key, stand_in, trusted_keys


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("SEC_RELEASE_SIGNING_KEY", "SEC_RELEASE_TRUSTED_KEYS", "SEC_RELEASE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _settings(data_dir: Path) -> Settings:
    return Settings(SEC_RELEASE_DATA_DIR=str(data_dir))


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_keys_list_shows_the_local_front_doors_key(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(capsys, "keys", "list", "--json", "--data-dir", str(data_dir))
    assert code == 0
    [key] = json.loads(out)
    assert key["id"] == signing_key(_settings(data_dir)).key_id
    assert (key["retired"], key["rehearsal"]) == (False, False)
    code, out = _run(capsys, "keys", "list", "--data-dir", str(data_dir))
    assert code == 0 and key["id"] in out and "current" in out


def test_rotation_retires_the_old_key_trusts_the_new_and_the_old_still_verifies(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _settings(data_dir)
    old = signing_key(settings)
    seal = Signer(old).seal(
        purpose="act",
        target="release/2027-06",
        principal=stand_in("SECAS", "Kemp"),
        body={"command": {"kind": "rid_draft"}},
        issued_at=datetime.now(UTC),
    )
    message = signed_message(seal, {"command": {"kind": "rid_draft"}})

    address = f"127.0.0.1:{_closed_port()}"
    code, out = _run(
        capsys, "keys", "rotate", "--json", "--data-dir", str(data_dir), "--address", address
    )
    assert code == 0
    done = json.loads(out)
    new = signing_key(settings, create=False)
    assert done["signing_key"] == new.key_id != old.key_id
    assert done["retired"] == [old.key_id]
    assert done["told"] == [] and "No Temporal server answers" in done["not_told"]

    keys = {k.id: k for k in trusted_keys(settings)}
    assert keys[old.key_id].retired and not keys[new.key_id].retired
    assert verify_recorded(message, old.key_id, seal.signature, keys.values()) is None
    forged = Seal.model_validate({**seal.model_dump(), "key_id": new.key_id})
    assert verify_recorded(message, new.key_id, forged.signature, keys.values()) is not None

    code, out = _run(capsys, "keys", "list", "--json", "--data-dir", str(data_dir))
    listed = {k["id"]: k["retired"] for k in json.loads(out)}
    assert listed == {old.key_id: True, new.key_id: False}


def test_rotation_is_refused_where_the_key_comes_from_the_environment(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from starter.keys import SigningKey

    monkeypatch.setenv("SEC_RELEASE_SIGNING_KEY", SigningKey.generate("env-key").text())
    code = main(["keys", "rotate", "--data-dir", str(data_dir)])
    assert code != 0
    assert "SEC_RELEASE_SIGNING_KEY" in capsys.readouterr().err
