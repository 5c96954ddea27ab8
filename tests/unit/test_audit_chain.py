"""The audit trail's hash chain, as pure functions: every change to a stored entry shows."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.audit_chain import (
    GENESIS,
    ChainedEntry,
    chain,
    entry_hash,
    seal_mismatch,
    verify_chain,
)
from schemas.principal import AccessRole, Principal
from schemas.seal import Seal, signed_message
from schemas.state import AuditEntry

RELEASE = "2020-06"
START = datetime(2019, 5, 9, 9, tzinfo=UTC)


def entries(n: int) -> list[AuditEntry]:
    return [
        AuditEntry(
            seq=seq,
            at=START + timedelta(days=seq),
            actor="SECAS:David Kemp",
            command=f"command {seq}",
            detail=f"detail {seq}",
        )
        for seq in range(1, n + 1)
    ]


def test_an_untouched_chain_is_intact_and_starts_from_zeros() -> None:
    linked = chain(RELEASE, entries(5))

    assert verify_chain(RELEASE, linked) == []
    assert linked[0].prev_hash == GENESIS == "0" * 64
    assert [r.prev_hash for r in linked[1:]] == [r.hash for r in linked[:-1]]
    assert all(len(r.hash) == 64 and int(r.hash, 16) >= 0 for r in linked)


def test_the_hash_is_the_same_whatever_timezone_the_time_is_given_in() -> None:
    [entry] = entries(1)
    london = entry.model_copy(update={"at": entry.at.astimezone(ZoneInfo("Europe/London"))})

    assert entry_hash(RELEASE, entry, GENESIS) == entry_hash(RELEASE, london, GENESIS)
    assert entry_hash(RELEASE, entry, GENESIS) != entry_hash("2021-06", entry, GENESIS)


def test_a_time_without_a_timezone_is_refused() -> None:
    [entry] = entries(1)
    with pytest.raises(ValueError, match="must be aware"):
        entry_hash(RELEASE, entry.model_copy(update={"at": START.replace(tzinfo=None)}), GENESIS)


def test_an_altered_entry_is_named() -> None:
    linked = chain(RELEASE, entries(9))
    altered = linked[6].entry.model_copy(update={"detail": "nothing to see"})
    linked[6] = dataclasses.replace(linked[6], entry=altered)

    assert verify_chain(RELEASE, linked) == [
        "Entry 7 was altered: its stored hash does not match its content."
    ]


def test_a_missing_entry_is_named() -> None:
    linked = chain(RELEASE, entries(9))
    del linked[4]

    assert verify_chain(RELEASE, linked) == ["Entry 5 is missing: the chain jumps from 4 to 6."]
    del linked[0:2]
    assert verify_chain(RELEASE, linked) == [
        "Entries 1 to 2 are missing: the chain starts at 3.",
        "Entry 5 is missing: the chain jumps from 4 to 6.",
    ]


def test_an_entry_rehashed_after_its_change_breaks_the_link_to_the_next() -> None:
    linked = chain(RELEASE, entries(9))
    altered = linked[7].entry.model_copy(update={"detail": "rewritten"})
    linked[7] = ChainedEntry(
        altered, linked[7].prev_hash, entry_hash(RELEASE, altered, linked[7].prev_hash)
    )

    assert verify_chain(RELEASE, linked) == [
        "Entry 9 does not follow entry 8: its prev_hash differs."
    ]


def test_entries_swapped_are_out_of_place() -> None:
    linked = chain(RELEASE, entries(9))
    eight, nine = linked[7], linked[8]
    linked[7] = dataclasses.replace(nine, entry=nine.entry.model_copy(update={"seq": 8}))
    linked[8] = dataclasses.replace(eight, entry=eight.entry.model_copy(update={"seq": 9}))

    assert verify_chain(RELEASE, linked) == [
        "Entry 8 is out of place: its content was recorded as entry 9.",
        "Entry 9 is out of place: its content was recorded as entry 8.",
    ]


def test_a_first_entry_that_does_not_start_from_zeros_is_named() -> None:
    [first] = entries(1)
    forged = ChainedEntry(first, "f" * 64, entry_hash(RELEASE, first, "f" * 64))

    assert verify_chain(RELEASE, [forged]) == [
        "Entry 1 does not start the chain: its prev_hash is not 64 zeros."
    ]


KEMP = Principal(login="kemp", role=AccessRole.SECAS, name="David Kemp", org="SECAS Ltd")


def sealed(entry: AuditEntry, release: str = RELEASE, who: Principal = KEMP) -> AuditEntry:
    """`entry` as the front door signed it for `who` (`rules.boundary.seal_entry`)."""
    seal = Seal(
        purpose="act",
        target=f"release/{release}",
        principal=who,
        issued_at=entry.at,
        request_id=f"req-{entry.seq:04d}",
        key_id="k1",
        signature="c2ln",
    )
    return entry.model_copy(
        update={
            "principal": str(who),
            "request_id": seal.request_id,
            "key_id": seal.key_id,
            "signature": seal.signature,
            "signed": signed_message(seal, {"command": entry.command}),
        }
    )


def test_signatures_are_checked_only_where_there_is_one() -> None:
    signed = [sealed(e) if e.seq % 2 else e for e in entries(4)]
    asked: list[int] = []

    def check(entry: AuditEntry) -> str | None:
        asked.append(entry.seq)
        return (
            "its signature by key 'k1' does not match the recorded message"
            if entry.seq == 3
            else None
        )

    problems = verify_chain(RELEASE, chain(RELEASE, signed), check)

    assert asked == [1, 3]
    assert problems == [
        "Entry 3 fails its signature check: its signature by key 'k1' does not match the "
        "recorded message."
    ]


def test_a_signed_entry_carries_a_message_about_itself() -> None:
    [entry] = entries(1)
    good = sealed(entry)
    assert seal_mismatch(RELEASE, good) is None
    assert verify_chain(RELEASE, chain(RELEASE, [good]), lambda e: None) == []

    other = sealed(entry, release="2021-06")
    assert seal_mismatch(RELEASE, other) == (
        "its signed message is for 'release/2021-06', not for 'release/2020-06'"
    )
    replayed = good.model_copy(update={"request_id": "req-9999"})
    assert seal_mismatch(RELEASE, replayed) == (
        "its signed message is request 'req-0001', but the entry records request 'req-9999'"
    )
    rekeyed = good.model_copy(update={"key_id": "k2"})
    assert "names key 'k1', but the entry records key 'k2'" in (
        seal_mismatch(RELEASE, rekeyed) or ""
    )
    someone = good.model_copy(update={"principal": "kemp (PANEL, SECAS Ltd)"})
    assert seal_mismatch(RELEASE, someone) == (
        "the entry records 'kemp (PANEL, SECAS Ltd)' as the principal, but the front door "
        "signed for kemp (SECAS, SECAS Ltd)"
    )
    actor = good.model_copy(update={"actor": "PANEL:David Kemp"})
    assert seal_mismatch(RELEASE, actor) == (
        "the entry records 'PANEL:David Kemp' as the actor, but the front door signed for "
        "SECAS:David Kemp"
    )
    assert seal_mismatch(RELEASE, good.model_copy(update={"signed": "not json"})) == (
        "its signed message is not the JSON the front door signs"
    )
    nobody = good.model_copy(
        update={"signed": '{"target": "release/2020-06", "request_id": "req-0001", "key_id": "k1"}'}
    )
    assert seal_mismatch(RELEASE, nobody) == "its signed message names no principal"


def test_a_genuine_signature_copied_onto_another_entry_is_named() -> None:
    # Entry 2's seal (a real signature over its own message) copied onto entry 3, and the
    # chain recomputed by someone who can: the hashes hold, the signature holds, the entry lies.
    trail = [sealed(e) for e in entries(3)]
    trail[2] = trail[2].model_copy(
        update={k: getattr(trail[1], k) for k in ("request_id", "signature", "signed")}
    )
    trail[2] = trail[2].model_copy(update={"request_id": "req-0003"})

    problems = verify_chain(RELEASE, chain(RELEASE, trail), lambda e: None)

    assert problems == [
        "Entry 3 is not what was signed: its signed message is request 'req-0002', but the "
        "entry records request 'req-0003'."
    ]


# -- any single change to any field of any stored entry is found -------------------------------

TEXT_FIELDS = [
    "actor",
    "command",
    "outcome",
    "detail",
    "principal",
    "request_id",
    "key_id",
    "signature",
    "signed",
]


@st.composite
def tampered(draw: st.DrawFn) -> tuple[list[ChainedEntry], int]:
    """A chain of 1 to 12 entries with one field of one stored entry changed."""
    n = draw(st.integers(1, 12))
    linked = chain(RELEASE, entries(n))
    i = draw(st.integers(0, n - 1))
    row = linked[i]
    field = draw(st.sampled_from([*TEXT_FIELDS, "seq", "at", "prev_hash", "hash"]))
    if field in TEXT_FIELDS:
        value = draw(st.text(max_size=20).filter(lambda v: v != getattr(row.entry, field)))
        linked[i] = dataclasses.replace(row, entry=row.entry.model_copy(update={field: value}))
    elif field == "seq":
        seq = draw(st.integers(-5, 50).filter(lambda v: v != row.entry.seq))
        linked[i] = dataclasses.replace(row, entry=row.entry.model_copy(update={"seq": seq}))
        linked.sort(key=lambda r: r.entry.seq)  # the store reads a trail in seq order
    elif field == "at":
        shift = draw(st.integers(1, 10**9).map(lambda us: timedelta(microseconds=us)))
        linked[i] = dataclasses.replace(
            row, entry=row.entry.model_copy(update={"at": row.entry.at + shift})
        )
    else:
        digest = draw(st.text("0123456789abcdef", min_size=64, max_size=64))
        if digest == getattr(row, field):
            digest = "1" * 64 if digest != "1" * 64 else "2" * 64
        if field == "hash":
            linked[i] = dataclasses.replace(row, hash=digest)
        else:
            linked[i] = dataclasses.replace(row, prev_hash=digest)
    return linked, i


@given(tampered())
def test_any_single_change_to_any_stored_entry_is_found(
    case: tuple[list[ChainedEntry], int],
) -> None:
    linked, _ = case
    assert verify_chain(RELEASE, linked) != []


@given(st.integers(1, 12), st.data())
def test_any_entry_removed_but_the_last_is_found(n: int, data: st.DataObject) -> None:
    linked = chain(RELEASE, entries(n + 1))
    i = data.draw(st.integers(0, n - 1))
    del linked[i]
    assert verify_chain(RELEASE, linked) != []


def test_a_long_trail_with_every_entry_altered_is_checked_in_one_pass() -> None:
    linked = [
        dataclasses.replace(r, entry=r.entry.model_copy(update={"detail": "x"}))
        for r in chain(RELEASE, entries(1500))
    ]

    problems = verify_chain(RELEASE, linked)

    assert len(problems) == 1500
    assert problems[0] == "Entry 1 was altered: its stored hash does not match its content."
