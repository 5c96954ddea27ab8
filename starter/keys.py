"""The front door's signing key and the public keys workers trust (ACCESS.md).

The private key is the front door's secret: `SEC_RELEASE_SIGNING_KEY` (`KEY_ID:BASE64`), else
`keys/signing.key` in the data dir (0600, created on first use). Workers trust the public keys in
`SEC_RELEASE_TRUSTED_KEYS` (JSON), else `keys/trusted.json`, re-read whenever a workflow asks, so
keys rotate without restarting releases: `sec-release keys rotate` makes a new signing key,
trusts it, and retires the old one for new commands while it still verifies the audit trail.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from pydantic import TypeAdapter, ValidationError

from schemas.errors import Refused
from schemas.principal import AccessRole, Principal
from schemas.seal import Purpose, Seal, TrustedKey, signed_message

if TYPE_CHECKING:
    from settings import Settings

_TRUSTED = TypeAdapter(list[TrustedKey])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key and its id."""

    key_id: str
    private: Ed25519PrivateKey

    @classmethod
    def generate(cls, key_id: str | None = None) -> SigningKey:
        day = datetime.now(UTC).strftime("%Y%m%d")
        return cls(key_id or f"fd-{day}-{uuid.uuid4().hex[:6]}", Ed25519PrivateKey.generate())

    @classmethod
    def parse(cls, text: str) -> SigningKey:
        key_id, _, encoded = text.strip().partition(":")
        try:
            raw = base64.b64decode(encoded, validate=True)
            return cls(key_id, Ed25519PrivateKey.from_private_bytes(raw))
        except ValueError:
            raise Refused(
                "The signing key is not `KEY_ID:BASE64` of a 32-byte Ed25519 private key; "
                "make one with `sec-release keys rotate`."
            ) from None

    def text(self) -> str:
        raw = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return f"{self.key_id}:{_b64(raw)}"

    @property
    def public(self) -> str:
        return _b64(self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def trusted(self, *, rehearsal: bool = False) -> TrustedKey:
        return TrustedKey(id=self.key_id, public=self.public, rehearsal=rehearsal)


def stand_in(actor_role: str, name: str = "") -> Principal:
    """The principal a rehearsal (its own front door) or dev mode signs for `--as ROLE:NAME`."""
    role = AccessRole(actor_role)
    login = f"{role.value.lower()}.{name.lower()}" if name else role.value.lower()
    cleaned = "".join(c if c.isalnum() or c in ".-_@" else "-" for c in login)[:40]
    return Principal(login=cleaned, role=role, name=name, org="")


@dataclass
class Signer:
    """Signs what the front door forwards, each with a new request id."""

    key: SigningKey
    issued: list[str] = field(default_factory=list, repr=False)  # request ids, newest last

    def seal(
        self,
        *,
        purpose: Purpose,
        target: str,
        principal: Principal,
        body: dict[str, Any],
        issued_at: datetime,
        request_id: str | None = None,
    ) -> Seal:
        unsigned = Seal(
            purpose=purpose,
            target=target,
            principal=principal,
            issued_at=issued_at,
            request_id=request_id or uuid.uuid4().hex,
            key_id=self.key.key_id,
        )
        message = signed_message(unsigned, body)
        signature = _b64(self.key.private.sign(message.encode("utf-8")))
        return unsigned.model_copy(update={"signature": signature})


# -- key files -------------------------------------------------------------------------------


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)


def signing_key(settings: Settings, *, create: bool = True) -> SigningKey:
    """The front door's key: from the environment, else the data dir (created if missing)."""
    if settings.signing_key_setting:
        return SigningKey.parse(settings.signing_key_setting)
    path = settings.keys_dir / "signing.key"
    if path.exists():
        return SigningKey.parse(path.read_text())
    if not create:
        raise Refused(f"There is no signing key in {path}; `sec-release keys rotate` makes one.")
    key = SigningKey.generate()
    _write_private(path, key.text())
    _save_trusted(settings, [*_file_keys(settings), key.trusted()])
    return key


def _file_keys(settings: Settings) -> list[TrustedKey]:
    path = settings.keys_dir / "trusted.json"
    if not path.exists():
        return []
    try:
        return _TRUSTED.validate_json(path.read_bytes())
    except ValidationError:
        raise Refused(f"{path} is not a JSON list of trusted keys; fix or remove it.") from None


def _save_trusted(settings: Settings, keys: list[TrustedKey]) -> None:
    path = settings.keys_dir / "trusted.json"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(_TRUSTED.dump_json(keys, indent=2))
    tmp.replace(path)


def trusted_keys(settings: Settings) -> list[TrustedKey]:
    """The public keys workers trust (read afresh each time, so a rotation takes effect)."""
    if settings.trusted_keys_setting:
        try:
            return _TRUSTED.validate_json(settings.trusted_keys_setting)
        except ValidationError:
            raise Refused(
                'SEC_RELEASE_TRUSTED_KEYS is not a JSON list of {"id", "public"} keys.'
            ) from None
    keys = _file_keys(settings)
    if not keys and not settings.signing_key_setting:
        signing_key(settings)  # a fresh data dir: the local front door's key, trusted
        keys = _file_keys(settings)
    if settings.signing_key_setting:
        own = SigningKey.parse(settings.signing_key_setting).trusted()
        if all(k.id != own.id for k in keys):
            keys.append(own)
    return keys


def rotate(settings: Settings) -> tuple[SigningKey, list[TrustedKey]]:
    """A new signing key, trusted; the previous ones retired (still verifying the audit)."""
    if settings.signing_key_setting:
        raise Refused(
            "The signing key comes from SEC_RELEASE_SIGNING_KEY; rotate it where that is set "
            "(add the new public key to SEC_RELEASE_TRUSTED_KEYS first, then retire the old)."
        )
    old = [k.model_copy(update={"retired": True}) for k in _file_keys(settings)]
    key = SigningKey.generate()
    _save_trusted(settings, [*old, key.trusted()])
    _write_private(settings.keys_dir / "signing.key", key.text())
    return key, trusted_keys(settings)


def describe(keys: list[TrustedKey]) -> str:
    return json.dumps([k.model_dump(mode="json") for k in keys], indent=2)
