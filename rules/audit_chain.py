"""The audit trail's hash chain: each stored entry holds the hash of the one before it.

An entry's hash is SHA-256 over the canonical JSON (sorted keys, compact separators, UTF-8) of
its release, its content, its signature fields and the previous entry's hash; the first entry of
a release links to `GENESIS` (64 zeros). Altering, removing or moving a stored entry therefore
shows: its own hash no longer matches its content, or the next entry's `prev_hash` no longer
matches it. The encoding is a contract with every chain already stored: changing it would make
old trails unverifiable, so it never changes.

What the chain alone cannot show: the newest entries removed from the end, or a whole chain
rewritten from some entry onwards by someone who recomputes every hash. Signatures (checked by
the `check_signature` hook) cover the commands the front door signed, and a signed entry's
message must be about that entry (`seal_mismatch`): this release, the entry's request id and key,
and its principal and actor; a genuine signature copied onto another entry is named.

Pure: no I/O, no Temporal, no database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from itertools import islice

from pydantic import ValidationError

from schemas.principal import Principal
from schemas.state import AuditEntry

GENESIS = "0" * 64
# Beyond this many broken entries, or vacant numbers, moved entries are not looked for: each is
# reported as altered, which it also is.
MOVED_SEARCH = 200

SignatureCheck = Callable[[AuditEntry], str | None]
"""Given an entry with a signature, a sentence when the signature does not verify, else None."""


@dataclass(frozen=True)
class ChainedEntry:
    """One audit entry as the store holds it: the entry, the hash it links to, and its own."""

    entry: AuditEntry
    prev_hash: str
    hash: str


def canonical(release_id: str, entry: AuditEntry, prev_hash: str) -> bytes:
    """The exact bytes an entry's hash covers.

    Raises:
        ValueError: `entry.at` has no timezone (the trail keeps aware UTC times only).
    """
    if entry.at.tzinfo is None:
        raise ValueError(f"an audit entry's time must be aware, not {entry.at!r}")
    document = {
        "release": release_id,
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(),
        "actor": entry.actor,
        "command": entry.command,
        "outcome": entry.outcome,
        "detail": entry.detail,
        "principal": entry.principal,
        "request_id": entry.request_id,
        "key_id": entry.key_id,
        "signature": entry.signature,
        "signed": entry.signed,
        "prev_hash": prev_hash,
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def entry_hash(release_id: str, entry: AuditEntry, prev_hash: str) -> str:
    """The hex SHA-256 of `entry` in `release_id`'s chain, after the entry hashed `prev_hash`."""
    return hashlib.sha256(canonical(release_id, entry, prev_hash)).hexdigest()


def chain(release_id: str, entries: Sequence[AuditEntry]) -> list[ChainedEntry]:
    """`entries` (in order, from the first) linked into a chain, as the store would hold them."""
    linked: list[ChainedEntry] = []
    prev = GENESIS
    for entry in entries:
        digest = entry_hash(release_id, entry, prev)
        linked.append(ChainedEntry(entry=entry, prev_hash=prev, hash=digest))
        prev = digest
    return linked


def _missing(first: int, last: int) -> str:
    return f"Entry {first}" if first == last else f"Entries {first} to {last}"


def _possible_origins(rows: Sequence[ChainedEntry], broken: set[int]) -> list[int]:
    """Where a moved entry can have come from: a number now held by another broken entry, or
    one no entry holds (at most `MOVED_SEARCH` of those, so a wild seq costs little)."""
    held = {r.entry.seq for r in rows}
    top = max(held, default=0)
    vacant = (seq for seq in range(1, top + 2) if seq not in held)
    return sorted({rows[i].entry.seq for i in broken} | set(islice(vacant, MOVED_SEARCH)))


def _moved_from(release_id: str, row: ChainedEntry, seqs: Sequence[int]) -> int | None:
    """The seq this row's content was recorded under, when only its number was changed."""
    for seq in seqs:
        if seq == row.entry.seq:
            continue
        moved = row.entry.model_copy(update={"seq": seq})
        if entry_hash(release_id, moved, row.prev_hash) == row.hash:
            return seq
    return None


def seal_mismatch(release_id: str, entry: AuditEntry) -> str | None:
    """Why a signed entry's message (`entry.signed`, as `schemas.seal.signed_message` wrote it)
    is not about this entry, or None when it is: signed for this release's workflow, under the
    entry's request id and key, for the principal and the actor the entry records."""
    try:
        document = json.loads(entry.signed)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return "its signed message is not the JSON the front door signs"
    target = f"release/{release_id}"
    if document.get("target") != target:
        return f"its signed message is for {document.get('target')!r}, not for {target!r}"
    if document.get("request_id") != entry.request_id:
        return (
            f"its signed message is request {document.get('request_id')!r}, but the entry "
            f"records request {entry.request_id!r}"
        )
    if document.get("key_id") != entry.key_id:
        return (
            f"its signed message names key {document.get('key_id')!r}, but the entry records "
            f"key {entry.key_id!r}"
        )
    try:
        principal = Principal.model_validate(document.get("principal"))
    except ValidationError:
        return "its signed message names no principal"
    if str(principal) != entry.principal:
        return (
            f"the entry records {entry.principal!r} as the principal, but the front door signed "
            f"for {principal}"
        )
    if str(principal.actor()) != entry.actor:
        return (
            f"the entry records {entry.actor!r} as the actor, but the front door signed for "
            f"{principal.actor()}"
        )
    return None


def verify_chain(
    release_id: str,
    rows: Sequence[ChainedEntry],
    check_signature: SignatureCheck | None = None,
) -> list[str]:
    """Where `release_id`'s stored trail breaks, as sentences (empty when it is intact).

    `rows` are the stored entries ordered by seq. Each problem is said once, where it is: an
    altered entry (its hash does not match its content), a moved one (its content was recorded
    under another number), a gap, a duplicate, or a broken link (an entry whose `prev_hash` is
    not the stored hash of the entry before it; not repeated beside an entry already found
    altered, moved or missing, which explains it). Every entry that carries a signature must
    carry a message about itself (`seal_mismatch`); with `check_signature`, its signature is
    checked too.
    """
    found: list[tuple[int, str]] = []  # (seq, sentence), told in the order of the trail
    broken = {  # indexes of rows whose stored hash does not match their content
        i
        for i, row in enumerate(rows)
        if entry_hash(release_id, row.entry, row.prev_hash) != row.hash
    }
    origins = _possible_origins(rows, broken) if len(broken) <= MOVED_SEARCH else []
    for i in sorted(broken):
        seq = rows[i].entry.seq
        origin = _moved_from(release_id, rows[i], origins)
        if origin is None:
            found.append(
                (seq, f"Entry {seq} was altered: its stored hash does not match its content.")
            )
        else:
            found.append(
                (seq, f"Entry {seq} is out of place: its content was recorded as entry {origin}.")
            )
    for i, row in enumerate(rows):
        seq = row.entry.seq
        if i == 0:
            if seq > 1:
                verb = "is" if seq == 2 else "are"
                found.append(
                    (seq, f"{_missing(1, seq - 1)} {verb} missing: the chain starts at {seq}.")
                )
            elif row.prev_hash != GENESIS and i not in broken:
                found.append(
                    (seq, f"Entry {seq} does not start the chain: its prev_hash is not 64 zeros.")
                )
            continue
        before = rows[i - 1].entry.seq
        if seq == before:
            found.append((seq, f"Entry {seq} is stored twice."))
        elif seq < before:
            found.append((seq, f"Entry {seq} is stored after entry {before}."))
        elif seq > before + 1:
            verb = "is" if seq == before + 2 else "are"
            gone = _missing(before + 1, seq - 1)
            found.append((seq, f"{gone} {verb} missing: the chain jumps from {before} to {seq}."))
        elif i not in broken and i - 1 not in broken and row.prev_hash != rows[i - 1].hash:
            found.append(
                (seq, f"Entry {seq} does not follow entry {before}: its prev_hash differs.")
            )
    for row in rows:
        if not row.entry.signature:
            continue
        mismatch = seal_mismatch(release_id, row.entry)
        if mismatch:
            found.append(
                (row.entry.seq, f"Entry {row.entry.seq} is not what was signed: {mismatch}.")
            )
        bad = check_signature(row.entry) if check_signature is not None else None
        if bad:
            end = "" if bad.endswith((".", "!", "?")) else "."
            found.append(
                (row.entry.seq, f"Entry {row.entry.seq} fails its signature check: {bad}{end}")
            )
    found.sort(key=lambda problem: problem[0])  # stable: an entry's problems keep their order
    return [sentence for _, sentence in found]
