"""Checking the front door's signature on a command: pure, no I/O, no Temporal import.

A workflow admits a command only if `check_seal` passes: signed by a key its worker trusts, over
exactly this command for exactly this workflow, for the actor the front door authenticated,
within a few minutes of business time, and never seen before (ACCESS.md).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from rules.clock import london
from schemas.base import Actor
from schemas.errors import Refused
from schemas.seal import Purpose, Seal, TrustedKey, signed_message

# A signed command is good for this long after the front door signed it (business time), and
# is not accepted from further ahead than a small clock skew.
GOOD_FOR = timedelta(minutes=5)
SKEW = timedelta(minutes=2)
THROUGH_FRONT_DOOR = (
    "commands reach a release only through the front door (the `sec-release` CLI with a "
    "token, the web app or the HTTP API), which signs them"
)


def _decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), altchars=b"-_", validate=False)
    except (binascii.Error, ValueError):
        return None


def signature_holds(message: str, key: TrustedKey, signature: str) -> bool:
    """Whether `signature` is `key`'s Ed25519 signature over `message`."""
    public, sig = _decode(key.public), _decode(signature)
    if public is None or sig is None or len(public) != 32 or len(sig) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(sig, message.encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True


def _key(keys: Iterable[TrustedKey], key_id: str) -> TrustedKey | None:
    return next((k for k in keys if k.id == key_id), None)


def check_seal(
    seal: Seal | None,
    *,
    purpose: Purpose,
    target: str,
    body: dict[str, Any],
    keys: Iterable[TrustedKey],
    now: datetime,
    seen: Mapping[str, datetime],
    actor: Actor | None = None,
) -> None:
    """Refuse, in a sentence, a command this workflow cannot trust; return if it can."""
    what = {"act": "command", "create": "release's creation", "freeze": "freeze"}[purpose]
    if seal is None or not seal.signature:
        raise Refused(f"The {what} is not signed; {THROUGH_FRONT_DOOR}.")
    key = _key(keys, seal.key_id)
    if key is None:
        raise Refused(
            f"The {what} is signed with key {seal.key_id!r}, which this release does not trust; "
            f"{THROUGH_FRONT_DOOR} with a key its worker trusts (`sec-release keys list`)."
        )
    if key.retired:
        raise Refused(
            f"The {what} is signed with key {seal.key_id!r}, which has been retired; the front "
            "door signs with its current key (`sec-release keys list`)."
        )
    if not signature_holds(signed_message(seal, body), key, seal.signature):
        raise Refused(
            f"The {what}'s signature does not match its content: it was changed after the front "
            f"door signed it, or the front door never signed it; {THROUGH_FRONT_DOOR}."
        )
    if seal.purpose != purpose or seal.target != target:
        raise Refused(
            f"The {what} was signed for {seal.target!r} ({seal.purpose}), not for {target!r}; a "
            "signed command is good only where the front door sent it."
        )
    if actor is not None and actor != seal.principal.actor():
        raise Refused(
            f"The command names {actor} as its actor, but the front door signed it for "
            f"{seal.principal}; the actor is whoever signed in, never what a request says."
        )
    if seal.issued_at < now - GOOD_FOR:
        raise Refused(
            f"The {what} was signed at {london(seal.issued_at):%Y-%m-%d %H:%M}, more than "
            f"{int(GOOD_FOR.total_seconds() // 60)} minutes ago; a signed command is good for "
            "that long only. Send it again through the front door."
        )
    if seal.issued_at > now + SKEW:
        raise Refused(
            f"The {what} was signed for {london(seal.issued_at):%Y-%m-%d %H:%M}, ahead of this "
            "release's clock; check the front door's clock."
        )
    if seal.request_id in seen:
        raise Refused(
            f"Request {seal.request_id} was already received; a signed command is accepted "
            "once (the front door gives every request a new id)."
        )


def remember(seen: MutableMapping[str, datetime], seal: Seal, now: datetime) -> None:
    """Record a request id as seen, forgetting those too old to be accepted anyway."""
    seen[seal.request_id] = seal.issued_at
    for request_id in [r for r, at in seen.items() if at < now - GOOD_FOR - SKEW]:
        del seen[request_id]


def verify_recorded(
    entry_signed: str, key_id: str, signature: str, keys: Iterable[TrustedKey]
) -> str | None:
    """For `audit verify`: why a recorded signature does not hold (retired keys included)."""
    key = _key(keys, key_id)
    if key is None:
        return f"it is signed with key {key_id!r}, which is not among the known keys"
    if not signature_holds(entry_signed, key, signature):
        return f"its signature by key {key_id!r} does not match the recorded message"
    return None
