"""The front door's signature on what it forwards, and the keys a workflow trusts (ACCESS.md).

A command, a release's creation or a freeze reaches a workflow with a `Seal`: who the front door
authenticated, when, a unique request id, and an Ed25519 signature over the canonical JSON of all
of that and the command itself (`signed_message`). The workflow verifies it against the public
keys its worker trusts (`TrustedKey`), so a raw Temporal client cannot put words in anyone's mouth.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import StringConstraints

from schemas.base import Model
from schemas.principal import Principal
from schemas.text import IdText, TitleText

# An Ed25519 signature is 64 bytes: 88 characters of base64. A public key is 32 bytes: 44.
Base64 = Annotated[str, StringConstraints(max_length=100, pattern=r"^[A-Za-z0-9+/=_-]*$")]
RequestId = Annotated[
    str, StringConstraints(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
]
Purpose = Literal["act", "create", "freeze"]


class Seal(Model):
    """The front door's signature on one command (ACCESS.md, Commands the workflow can trust)."""

    purpose: Purpose
    target: TitleText  # the workflow id the command is for (a copy sent elsewhere is refused)
    principal: Principal
    issued_at: datetime  # the release's business time when the front door signed
    request_id: RequestId
    key_id: IdText
    signature: Base64 = ""


class TrustedKey(Model):
    """A public key whose signatures a workflow accepts.

    A retired key is no longer accepted for new commands, but still verifies the audit trail it
    signed. A rehearsal's throwaway key may also start releases on a shifted business clock.
    """

    id: IdText
    public: Base64  # raw Ed25519 public key, base64
    rehearsal: bool = False
    retired: bool = False


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def signed_message(seal: Seal, body: dict[str, Any]) -> str:
    """The canonical JSON a seal's signature covers: every field of the seal but the signature,
    and the command's own body (`model_dump(mode="json")`), keys sorted, no spaces."""
    document = {
        "v": 1,
        "purpose": seal.purpose,
        "target": seal.target,
        "principal": seal.principal.model_dump(mode="json"),
        "issued_at": _utc(seal.issued_at),
        "request_id": seal.request_id,
        "key_id": seal.key_id,
        "body": body,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
