"""The stored audit trail is append-only and hash-chained, on SQLite and PostgreSQL.

The database refuses to UPDATE or DELETE an audit row; someone who can switch that off (the
tables' owner, a DBA) can change a row, and `verify_chain` / `sec-release audit verify` then say
which entry and how.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.register import SqlRegister
from activities.store import open_engine, session_factory, upgrade_store
from rules.audit_chain import GENESIS, chain, entry_hash, verify_chain
from schemas.principal import AccessRole, Principal
from schemas.state import AuditEntry, ReleaseState
from starter import audit_cmds
from starter.cli import main
from tests.activities.test_register import record_of
from tests.activities.test_store_migrations import june_2020_row, record_at_old_revision

RELEASE = "2020-06"
KEMP = Principal(login="kemp", role=AccessRole.SECAS, name="David Kemp", org="SECAS Ltd")


@pytest.fixture
async def engine(store_url: str) -> AsyncIterator[AsyncEngine]:
    """A store at the newest revision."""
    engine = open_engine(store_url)
    await upgrade_store(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


def signed(entries: list[AuditEntry]) -> list[AuditEntry]:
    """The entries, every third one as the front door would sign it (its time to the microsecond:
    the hash covers it, and both databases keep it)."""
    return [
        e.model_copy(
            update={
                "at": e.at + timedelta(microseconds=123457),
                "principal": str(KEMP),
                "actor": str(KEMP.actor()),
                "request_id": f"req-{e.seq}",
                "key_id": "front-door-1",
                "signature": "c2lnbmF0dXJl",
                "signed": json.dumps(
                    {
                        "target": f"release/{RELEASE}",
                        "principal": KEMP.model_dump(mode="json"),
                        "request_id": f"req-{e.seq}",
                        "key_id": "front-door-1",
                    }
                ),
            }
        )
        if e.seq % 3 == 0
        else e
        for e in entries
    ]


async def recorded(engine: AsyncEngine, state: ReleaseState, upto: int) -> list[AuditEntry]:
    """Record the June 2020 trail up to `upto` in three records; the entries recorded."""
    trail = signed(state.audit)
    register = SqlRegister(session_factory(engine))
    for last in sorted({min(3, upto), min(10, upto), upto}):
        request = record_of(state, last)
        await register.record(request.model_copy(update={"audit": trail[:last]}))
    return trail[:upto]


async def stored_chain(engine: AsyncEngine) -> list[str]:
    return verify_chain(RELEASE, await SqlRegister(session_factory(engine)).chain(RELEASE))


async def as_dba(engine: AsyncEngine, *statements: str) -> None:
    """Run `statements` as someone who may switch off the append-only triggers first."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("ALTER TABLE audit DISABLE TRIGGER audit_append_only"))
        else:
            await conn.execute(text("DROP TRIGGER audit_no_update"))
            await conn.execute(text("DROP TRIGGER audit_no_delete"))
        for statement in statements:
            await conn.execute(text(statement))


# -- recording ---------------------------------------------------------------------------------


async def test_recorded_entries_form_an_intact_chain_with_their_signatures(
    engine: AsyncEngine, june_2020: ReleaseState
) -> None:
    entries = await recorded(engine, june_2020, 25)

    stored = await SqlRegister(session_factory(engine)).chain(RELEASE)

    assert verify_chain(RELEASE, stored) == []
    assert stored == chain(RELEASE, entries)  # the same chain the pure function builds
    assert stored[0].prev_hash == GENESIS
    assert stored[2].entry.signature == "c2lnbmF0dXJl"
    assert stored[2].entry.principal == "kemp (SECAS, SECAS Ltd)"


async def test_a_resent_identical_record_changes_nothing(
    engine: AsyncEngine, june_2020: ReleaseState
) -> None:
    entries = await recorded(engine, june_2020, 12)
    register = SqlRegister(session_factory(engine))
    before = await register.chain(RELEASE)

    request = record_of(june_2020, 12).model_copy(update={"audit": entries})
    receipt = await register.record(request)  # a retried activity, or a replayed workflow

    assert receipt.diverged == []
    assert await register.chain(RELEASE) == before
    assert await register.divergences(RELEASE) == []


async def test_an_entry_that_differs_from_the_stored_one_is_kept_aside_and_the_chain_goes_on(
    engine: AsyncEngine, june_2020: ReleaseState
) -> None:
    entries = await recorded(engine, june_2020, 5)
    register = SqlRegister(session_factory(engine))
    other = entries[4].model_copy(update={"detail": "after a reset", "request_id": "req-x"})
    nxt = june_2020.audit[5]

    receipt = await register.record(
        record_of(june_2020, 6).model_copy(update={"audit": [other, nxt]})
    )

    assert receipt.diverged == [5]
    [kept] = await register.divergences(RELEASE)
    assert (kept.detail, kept.request_id) == ("after a reset", "req-x")
    stored = await register.chain(RELEASE)
    assert verify_chain(RELEASE, stored) == []
    assert [r.entry for r in stored] == [*entries, nxt]  # the stored entry 5 stands


async def test_two_records_of_the_same_entries_at_once_store_one_chain(
    engine: AsyncEngine, june_2020: ReleaseState
) -> None:
    register = SqlRegister(session_factory(engine))
    trail = signed(june_2020.audit)
    first = record_of(june_2020, 20).model_copy(update={"audit": trail[:20]})
    again = record_of(june_2020, 30).model_copy(update={"audit": trail[:30]})

    receipts = await asyncio.gather(register.record(first), register.record(again))

    assert [r.diverged for r in receipts] == [[], []]
    assert await register.chain(RELEASE) == chain(RELEASE, trail[:30])


# -- the database refuses to change the trail ------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit SET detail = 'nothing happened' WHERE seq = 7",
        "DELETE FROM audit WHERE seq = 5",
        "DELETE FROM audit",
        "UPDATE audit_divergence SET detail = 'x'",
        "DELETE FROM audit_divergence",
    ],
)
async def test_the_database_refuses_to_update_or_delete_audit_rows(
    engine: AsyncEngine, june_2020: ReleaseState, statement: str
) -> None:
    entries = await recorded(engine, june_2020, 9)
    register = SqlRegister(session_factory(engine))
    changed = entries[6].model_copy(update={"detail": "diverged"})
    await register.record(record_of(june_2020, 7).model_copy(update={"audit": [changed]}))

    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text(statement))

    assert await stored_chain(engine) == []
    assert len(await register.chain(RELEASE)) == 9
    assert len(await register.divergences(RELEASE)) == 1


async def test_postgresql_refuses_to_truncate_the_trail(
    engine: AsyncEngine, june_2020: ReleaseState
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite has only DELETE")
    await recorded(engine, june_2020, 4)
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(text("TRUNCATE audit"))


# -- a DBA who switches the triggers off: every change shows ---------------------------------


async def test_an_altered_detail_is_found(engine: AsyncEngine, june_2020: ReleaseState) -> None:
    await recorded(engine, june_2020, 12)

    await as_dba(engine, "UPDATE audit SET detail = 'nothing happened' WHERE seq = 7")

    assert await stored_chain(engine) == [
        "Entry 7 was altered: its stored hash does not match its content."
    ]


async def test_a_deleted_entry_is_found(engine: AsyncEngine, june_2020: ReleaseState) -> None:
    await recorded(engine, june_2020, 12)

    await as_dba(engine, "DELETE FROM audit WHERE seq = 5")

    assert await stored_chain(engine) == ["Entry 5 is missing: the chain jumps from 4 to 6."]


async def test_reordered_entries_are_found(engine: AsyncEngine, june_2020: ReleaseState) -> None:
    await recorded(engine, june_2020, 12)

    await as_dba(
        engine,
        "UPDATE audit SET seq = -1 WHERE seq = 8",
        "UPDATE audit SET seq = 8 WHERE seq = 9",
        "UPDATE audit SET seq = 9 WHERE seq = -1",
    )

    assert await stored_chain(engine) == [
        "Entry 8 is out of place: its content was recorded as entry 9.",
        "Entry 9 is out of place: its content was recorded as entry 8.",
    ]


async def test_an_entry_altered_and_rehashed_breaks_the_next_link(
    engine: AsyncEngine, june_2020: ReleaseState
) -> None:
    entries = await recorded(engine, june_2020, 12)
    stored = await SqlRegister(session_factory(engine)).chain(RELEASE)
    forged = entries[6].model_copy(update={"detail": "nothing happened"})
    digest = entry_hash(RELEASE, forged, stored[6].prev_hash)

    await as_dba(
        engine,
        f"UPDATE audit SET detail = 'nothing happened', hash = '{digest}' WHERE seq = 7",
    )

    assert await stored_chain(engine) == ["Entry 8 does not follow entry 7: its prev_hash differs."]


# -- the migration chains a store's existing trail ---------------------------------------------------


async def test_upgrading_a_store_chains_its_existing_trail_and_locks_it(
    store_url: str, june_2020: ReleaseState
) -> None:
    other = record_of(june_2020, 4).model_copy(update={"release_id": "2021-06"})
    engine = open_engine(store_url)
    try:
        await upgrade_store(engine, "r0004")
        await record_at_old_revision(engine, record_of(june_2020, 15))
        await record_at_old_revision(engine, other)

        await upgrade_store(engine)

        register = SqlRegister(session_factory(engine))
        stored = await register.chain(RELEASE)
        assert stored == chain(RELEASE, june_2020.audit[:15])
        assert await register.chain("2021-06") == chain("2021-06", june_2020.audit[:4])
        await register.record(record_of(june_2020, 20))  # the new code goes on from there
        assert await register.chain(RELEASE) == chain(RELEASE, june_2020.audit[:20])
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(text("UPDATE audit SET actor = 'PANEL' WHERE seq = 1"))
    finally:
        await engine.dispose()


async def test_an_empty_store_upgrades_and_downgrades(store_url: str) -> None:
    engine = open_engine(store_url)
    try:
        await upgrade_store(engine)
        async with engine.connect() as conn:

            def downgrade(sync_conn: object) -> None:
                from alembic import command

                from activities.store import _alembic_config

                cfg = _alembic_config()
                cfg.attributes["connection"] = sync_conn
                command.downgrade(cfg, "r0004")

            await conn.run_sync(downgrade)
            await conn.commit()
        await record_at_old_revision(engine, june_2020_row())
        async with engine.begin() as conn:  # r0004 allowed this; so does the downgraded store
            await conn.execute(text("DELETE FROM audit"))
    finally:
        await engine.dispose()


# -- sec-release audit verify / show ---------------------------------------------------------


@pytest.fixture
def cli_store(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("DATABASE_URL", store_url)
    monkeypatch.delenv("SEC_RELEASE_DATA_DIR", raising=False)
    return ["--data-dir", str(tmp_path)]


async def sec_release(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


class FakeSeal:
    """Verifies like rules.seal would: a signature is good unless it is 'forged'."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str, object]] = []

    def __call__(self, signed: str, key_id: str, signature: str, keys: object) -> str | None:
        self.asked.append((signed, key_id, signature, keys))
        if signature == "forged":
            return f"its signature by key {key_id!r} does not match the recorded message"
        return None


async def test_audit_verify_says_the_trail_is_intact(
    engine: AsyncEngine,
    june_2020: ReleaseState,
    cli_store: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await recorded(engine, june_2020, 12)
    seal = FakeSeal()
    monkeypatch.setattr(
        audit_cmds,
        "signature_checker",
        lambda settings: audit_cmds.SignatureChecker(verify=seal, keys={"front-door-1": "pk"}),
    )
    stored = await SqlRegister(session_factory(engine)).chain(RELEASE)

    assert await sec_release("audit", "verify", RELEASE, *cli_store) == 0
    said = capsys.readouterr().out
    assert await sec_release("audit", "verify", RELEASE, "--json", *cli_store) == 0
    data = json.loads(capsys.readouterr().out)

    assert said.strip() == (
        f"The audit trail of release {RELEASE} is intact: 12 entries, chain from "
        f"{stored[0].hash[:12]} (entry 1) to {stored[-1].hash[:12]} (entry 12); "
        "4 signatures checked."
    )
    assert (data["release"], data["entries"], data["intact"], data["problems"]) == (
        RELEASE,
        12,
        True,
        [],
    )
    assert data["signatures_checked"] == 4
    assert seal.asked[0][1:] == ("front-door-1", "c2lnbmF0dXJl", {"front-door-1": "pk"})


async def test_audit_verify_names_each_break_and_exits_1(
    engine: AsyncEngine,
    june_2020: ReleaseState,
    cli_store: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await recorded(engine, june_2020, 12)
    monkeypatch.setattr(
        audit_cmds,
        "signature_checker",
        lambda settings: audit_cmds.SignatureChecker(verify=FakeSeal()),
    )
    await as_dba(
        engine,
        "DELETE FROM audit WHERE seq = 4",
        "UPDATE audit SET detail = 'x' WHERE seq = 10",
        "UPDATE audit SET signature = 'forged' WHERE seq = 6",
    )

    assert await sec_release("audit", "verify", RELEASE, "--json", *cli_store) == 1
    data = json.loads(capsys.readouterr().out)
    assert await sec_release("audit", "verify", RELEASE, *cli_store) == 1
    said = capsys.readouterr().out

    assert data["intact"] is False
    assert data["entries"] == 11
    assert data["problems"] == [
        "Entry 4 is missing: the chain jumps from 3 to 5.",
        "Entry 6 was altered: its stored hash does not match its content.",
        "Entry 6 fails its signature check: its signature by key 'front-door-1' does not match "
        "the recorded message.",
        "Entry 10 was altered: its stored hash does not match its content.",
    ]
    assert said.startswith(f"The audit trail of release {RELEASE} is broken (4 problems")
    assert all(problem in said for problem in data["problems"])


async def test_audit_verify_says_when_it_could_not_check_signatures(
    engine: AsyncEngine,
    june_2020: ReleaseState,
    cli_store: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "rules.seal", None)  # a build without signature checking
    await recorded(engine, june_2020, 6)

    assert await sec_release("audit", "verify", RELEASE, *cli_store) == 0
    said = capsys.readouterr().out
    assert await sec_release("audit", "verify", RELEASE, "--json", *cli_store) == 0
    data = json.loads(capsys.readouterr().out)

    assert "0 signatures checked (2 signed entries not checked: this sec-release cannot " in said
    assert (data["signed_entries"], data["signatures_checked"]) == (2, 0)
    assert data["signatures_not_checked"].startswith("this sec-release cannot verify signatures")


async def test_audit_show_lists_each_entry_with_its_hashes(
    engine: AsyncEngine,
    june_2020: ReleaseState,
    cli_store: list[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    entries = await recorded(engine, june_2020, 3)

    assert await sec_release("audit", "show", RELEASE, "--json", *cli_store) == 0
    shown = json.loads(capsys.readouterr().out)
    assert await sec_release("audit", "show", RELEASE, *cli_store) == 0
    text_shown = capsys.readouterr().out

    linked = chain(RELEASE, entries)
    assert [(e["seq"], e["prev_hash"], e["hash"]) for e in shown] == [
        (r.entry.seq, r.prev_hash, r.hash) for r in linked
    ]
    assert shown[2]["request_id"] == "req-3"
    assert linked[2].hash[:12] in text_shown
    assert "signed" in text_shown


async def test_audit_verify_of_a_release_not_stored_is_one_sentence(
    engine: AsyncEngine, cli_store: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert await sec_release("audit", "verify", "2031-06", *cli_store) == 1
    assert "No audit trail of release 2031-06 is stored" in capsys.readouterr().err
