"""The store's schema: Alembic migrations on SQLite and PostgreSQL, and the newer-than-code refusal."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import column, inspect, table, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from activities.register import SqlRegister
from activities.store import (
    SchemaState,
    StoreNewerThanCode,
    StoreNotReady,
    UtcDateTime,
    check_schema,
    head_revision,
    open_engine,
    prepare_store,
    ready_engine,
    session_factory,
    upgrade_store,
)
from schemas.state import AuditEntry
from schemas.vocabulary import ReleaseType
from schemas.workflow_io import RecordRequest
from starter.errors import Unavailable

PREVIOUS = "r0002"
OLD_COLUMNS = {"seq", "at", "actor", "command", "outcome", "detail"}


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


def june_2020_row() -> RecordRequest:
    return RecordRequest(
        release_id="2020-06",
        name="June 2020 SEC Release",
        type=ReleaseType.SYSTEM,
        phase="DRAFTING",
        go_live=date(2020, 6, 25),
        lapsed=False,
        audit=[
            AuditEntry(
                seq=1,
                at=datetime(2019, 5, 9, 9, tzinfo=UTC),
                actor="SECAS:David Kemp",
                command="release create 2020-06",
            )
        ],
    )


async def record_at_old_revision(engine: AsyncEngine, request: RecordRequest) -> None:
    """What the code of an older revision (r0001 to r0003) recorded: the row and its audit."""
    releases = table(
        "releases",
        *(column(c) for c in ("id", "name", "type", "phase", "go_live", "lapsed")),
        column("updated_at", UtcDateTime()),
    )
    audit = table(
        "audit",
        *(column(c) for c in ("release_id", "seq", "actor", "command", "outcome", "detail")),
        column("at", UtcDateTime()),
    )
    async with engine.begin() as conn:
        await conn.execute(
            releases.insert().values(
                id=request.release_id,
                name=request.name,
                type=request.type.value,
                phase=request.phase,
                go_live=request.go_live,
                lapsed=request.lapsed,
                updated_at=datetime.now(UTC),
            )
        )
        if request.audit:
            await conn.execute(
                audit.insert(),
                [
                    {"release_id": request.release_id, **e.model_dump(include=OLD_COLUMNS)}
                    for e in request.audit
                ],
            )


async def test_migrations_build_the_whole_store_on_an_empty_database(store_url: str) -> None:
    await prepare_store(store_url)
    await prepare_store(store_url)  # `up` after `up`: nothing to do, nothing changes

    engine = open_engine(store_url)
    try:
        check = await check_schema(engine)
        async with engine.connect() as conn:
            tables = await conn.run_sync(_tables)
    finally:
        await engine.dispose()
    assert (check.state, check.revision) == (SchemaState.CURRENT, head_revision())
    assert {"outbox", "audit", "releases", "alembic_version"} <= tables


async def test_a_store_at_the_previous_revision_upgrades_and_keeps_its_register(
    store_url: str,
) -> None:
    engine = open_engine(store_url)
    try:
        await upgrade_store(engine, PREVIOUS)
        await record_at_old_revision(engine, june_2020_row())
        assert (await check_schema(engine)).state is SchemaState.BEHIND
    finally:
        await engine.dispose()
    with pytest.raises(StoreNotReady, match="`sec-release up` \\(or `worker`\\) upgrades it"):
        await ready_engine(store_url)

    await prepare_store(store_url)

    engine = open_engine(store_url)
    try:
        assert (await check_schema(engine)).state is SchemaState.CURRENT
        register = SqlRegister(session_factory(engine))
        [release] = await register.releases()
        trail = await register.audit_trail("2020-06")
        async with engine.connect() as conn:
            tables = await conn.run_sync(_tables)
    finally:
        await engine.dispose()
    assert (release.id, release.name) == ("2020-06", "June 2020 SEC Release")
    assert [a.command for a in trail] == ["release create 2020-06"]
    assert "outbox" in tables


async def test_a_store_upgraded_by_a_newer_sec_release_is_refused(store_url: str) -> None:
    await prepare_store(store_url)
    engine = open_engine(store_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = 'r9001'"))
    finally:
        await engine.dispose()

    with pytest.raises(StoreNewerThanCode) as refused:
        await prepare_store(store_url)
    with pytest.raises(StoreNewerThanCode):
        await ready_engine(store_url)

    assert isinstance(refused.value, Unavailable)  # the CLI prints it as one sentence, exit 1
    assert "at schema revision 'r9001', newer than this sec-release knows" in str(refused.value)
    assert f"its newest is '{head_revision()}'" in str(refused.value)


async def test_the_revisions_form_one_line_from_the_register_to_the_outbox() -> None:
    from alembic.script import ScriptDirectory

    from activities.store import _alembic_config

    script = ScriptDirectory.from_config(_alembic_config())
    chain = [(s.revision, s.down_revision) for s in script.walk_revisions()]
    assert chain == [
        ("r0007", "r0006"),
        ("r0006", "r0005"),
        ("r0005", "r0004"),
        ("r0004", "r0003"),
        ("r0003", "r0002"),
        ("r0002", "r0001"),
        ("r0001", None),
    ]
    assert head_revision() == "r0007"


async def test_a_database_that_does_not_answer_is_one_sentence() -> None:
    with pytest.raises(Unavailable, match="does not answer") as refused:
        await prepare_store("postgresql+asyncpg://sec:secret@127.0.0.1:9/none")
    assert "secret" not in str(refused.value)


async def test_reading_a_store_that_was_never_prepared_creates_nothing(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    path = tmp_path_factory.mktemp("empty") / "sec-release.db"
    assert await ready_engine(f"sqlite+aiosqlite:///{path}") is None
    assert not path.exists()
