"""The SQL store: the notices outbox, the audit trail and the register of releases.

SQLAlchemy 2 typed ORM over an async engine: a SQLite file in the data dir by default
(`sqlite+aiosqlite:///...`), PostgreSQL when `DATABASE_URL` says so (`postgresql+asyncpg://...`).
The schema is owned by the Alembic migrations in `migrations/`; `prepare_store` applies them
and refuses a database that a newer sec-release has already upgraded.

Every timestamp is stored in UTC and read back timezone-aware, on both databases.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    make_url,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from starter.errors import Unavailable

# Stable constraint names, so later migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored in UTC (SQLite keeps no offset, so it is normalised here)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"the store keeps aware datetimes only, not {value!r}")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON(none_as_null=True),
    }


class OutboxStatus(StrEnum):
    """Where a message stands: recorded, delivered, waiting for the mail server, or never to be
    sent (it cannot be built, or the server refused it permanently; `last_error` says why)."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED_RETRYING = "failed-retrying"
    FAILED = "failed"
    # A reminder or escalation kept for the morning digest (SEC_RELEASE_NOTICE_DELIVERY=digest):
    # it becomes `sent` when every recipient's digest carrying it was sent.
    DIGEST = "digest"


class OutboxRow(Base):
    """One message a release asked to send, recorded before it is sent (one row per key)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_release_id", "release_id"),
        Index("ix_outbox_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Notice.key: release / deadline or notice / cycle / level (or decision number).
    key: Mapped[str] = mapped_column(String(400), unique=True)
    release_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    deadline: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[int | None] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(Text)
    roles: Mapped[list[str]] = mapped_column(JSON)  # the audience, as role names
    recipients: Mapped[list[str]] = mapped_column(JSON)  # the addresses those resolved to
    defaulted: Mapped[list[str]] = mapped_column(JSON)  # roles with no contact: default address
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]  # the business time the release asked for it
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # A reminder's or escalation's line in a morning digest (`rules.digest.DigestLine` as JSON).
    item: Mapped[dict[str, Any] | None]


class DigestItemRow(Base):
    """One item carried to one recipient by one digest: never two digests per (item, person)."""

    __tablename__ = "digest_items"
    __table_args__ = (
        UniqueConstraint("item_key", "recipient"),
        Index("ix_digest_items_digest_key", "digest_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest_key: Mapped[str] = mapped_column(String(400))  # the digest's outbox key
    item_key: Mapped[str] = mapped_column(String(400))  # the reminder's or escalation's key
    recipient: Mapped[str] = mapped_column(String(320))


class AuditColumns:
    """The columns of one audit entry (a mixin of the two audit tables)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    release_id: Mapped[str] = mapped_column(String(100))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    command: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(Text, default="")
    # A command the front door signed: who, which request, and the signature with its message.
    principal: Mapped[str] = mapped_column(Text, default="")
    request_id: Mapped[str] = mapped_column(Text, default="")
    key_id: Mapped[str] = mapped_column(Text, default="")
    signature: Mapped[str] = mapped_column(Text, default="")
    signed: Mapped[str] = mapped_column(Text, default="")


class AuditRow(AuditColumns, Base):
    """One line of a release's audit trail; (release, seq) is written once, whatever retries.

    Append-only: the database refuses UPDATE and DELETE (triggers, migration r0004), and each
    row holds the hash of the release's previous row and its own (`rules.audit_chain`).
    """

    __tablename__ = "audit"
    __table_args__ = (UniqueConstraint("release_id", "seq"),)

    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")


class AuditDivergenceRow(AuditColumns, Base):
    """An audit entry that arrived under a (release, seq) the store held with other content."""

    __tablename__ = "audit_divergence"
    __table_args__ = (Index("ix_audit_divergence_release_id", "release_id"),)

    found_at: Mapped[datetime]


class ReleaseRow(Base):
    """The register: one row per release, and its full final status once it has ended."""

    __tablename__ = "releases"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    phase: Mapped[str] = mapped_column(String(40))
    go_live: Mapped[date] = mapped_column(Date)
    lapsed: Mapped[bool] = mapped_column(Boolean)
    closed_on: Mapped[date | None] = mapped_column(Date)
    final: Mapped[dict[str, Any] | None]  # ReleaseStatus as JSON, once CLOSED or CANCELLED
    updated_at: Mapped[datetime]
    # How an operator ended it outside the rules (terminated, reset), found by reconciliation.
    ended_by: Mapped[str | None] = mapped_column(Text)
    # What the portfolio shows (schemas.status.PortfolioFacts as JSON), as of its last record.
    portfolio: Mapped[dict[str, Any] | None]


# -- engines and sessions ----------------------------------------------------------------------


def open_engine(url: str) -> AsyncEngine:
    """An async engine for `url`; a SQLite file's directory is created, WAL mode on.

    WAL lets the CLI (`sec-release mail`) read while the worker writes; the busy timeout makes
    a writer wait for another instead of failing at once.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit (the adapters return them)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for another database or an in-memory one)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database).expanduser()


def describe(url: str) -> str:
    """The database for a sentence, without any password."""
    return make_url(url).render_as_string(hide_password=True)


# -- migrations ----------------------------------------------------------------------------------


class StoreNewerThanCode(Unavailable):
    """The database was upgraded by a newer sec-release; this code must not write to it."""


class StoreNotReady(Unavailable):
    """The database is behind the code's schema; `sec-release up` or `worker` upgrades it."""


class SchemaState(StrEnum):
    EMPTY = "empty"  # no sec-release tables yet
    BEHIND = "behind"  # an older revision: an upgrade applies
    CURRENT = "current"


@dataclass(frozen=True)
class SchemaCheck:
    state: SchemaState
    revision: str | None
    head: str


def _alembic_config() -> Any:
    from alembic.config import Config

    import migrations

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    return cfg


def head_revision() -> str:
    """The newest schema revision this code knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _check(sync_conn: Connection, where: str) -> SchemaCheck:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    head = script.get_current_head()
    assert head is not None
    known = {s.revision for s in script.walk_revisions()}
    current = MigrationContext.configure(sync_conn).get_current_heads()
    unknown = [r for r in current if r not in known]
    if unknown:
        raise StoreNewerThanCode(
            f"The store {where} is at schema revision {unknown[0]!r}, newer than this "
            f"sec-release knows (its newest is {head!r}): a newer version upgraded it. Run that "
            "version, or set DATABASE_URL to another database."
        )
    if not current:
        return SchemaCheck(SchemaState.EMPTY, None, head)
    revision = current[0]
    state = SchemaState.CURRENT if revision == head else SchemaState.BEHIND
    return SchemaCheck(state, revision, head)


async def check_schema(engine: AsyncEngine) -> SchemaCheck:
    """Where the database's schema stands, without changing it (refuses a newer one)."""
    where = describe(str(engine.url))
    async with _connect(engine) as conn:
        check: SchemaCheck = await conn.run_sync(_check, where)
    return check


@asynccontextmanager
async def _connect(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection, or one sentence when the database does not answer."""
    try:
        conn = await engine.connect()
    except (OSError, DBAPIError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        raise Unavailable(
            f"The store {describe(str(engine.url))} does not answer ({reason}); start the "
            "database, or set DATABASE_URL to one that runs."
        ) from None
    try:
        yield conn
    finally:
        await conn.close()


def _upgrade(sync_conn: Connection, revision: str, where: str) -> None:
    from alembic import command

    _check(sync_conn, where)  # refuse a newer database before touching it
    cfg = _alembic_config()
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, revision)


async def upgrade_store(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply the migrations up to `revision` (an empty database gets the whole schema)."""
    where = describe(str(engine.url))
    async with _connect(engine) as conn:
        await conn.run_sync(_upgrade, revision, where)
        await conn.commit()


async def prepare_store(url: str) -> None:
    """Bring the store at `url` to this code's schema (what `up` and `worker` run first).

    Raises:
        StoreNewerThanCode: the database is at a revision this code does not know.
        Unavailable: the database does not answer.
    """
    engine = open_engine(url)
    try:
        await upgrade_store(engine)
    finally:
        await engine.dispose()


async def ready_engine(url: str) -> AsyncEngine | None:
    """An engine on an existing, current store for reading (None if nothing was stored yet).

    Never creates a SQLite file or changes a schema: the CLI's read commands use this.
    """
    path = sqlite_file(url)
    if path is not None and not await asyncio.to_thread(path.exists):
        return None
    engine = open_engine(url)
    try:
        check = await check_schema(engine)
    except BaseException:
        await engine.dispose()
        raise
    if check.state is SchemaState.EMPTY:
        await engine.dispose()
        return None
    if check.state is SchemaState.BEHIND:
        await engine.dispose()
        raise StoreNotReady(
            f"The store {describe(url)} is at schema revision {check.revision!r}, older than this "
            f"sec-release's {check.head!r}; `sec-release up` (or `worker`) upgrades it."
        )
    return engine


def utc_now() -> datetime:
    return datetime.now(UTC)


Clock = Callable[[], datetime]
