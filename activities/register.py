"""The register of releases and their audit trail in the SQL store (`ReleaseRegister`).

Temporal drops a closed workflow's history after the namespace's retention period; the register
keeps every release's row, its whole audit trail and, once it is CLOSED or CANCELLED, its full
final status, so `status` and `list` can still answer from here.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from activities.store import (
    AuditColumns,
    AuditDivergenceRow,
    AuditRow,
    Clock,
    ReleaseRow,
    ready_engine,
    session_factory,
    utc_now,
)
from rules.audit_chain import GENESIS, ChainedEntry, entry_hash
from schemas.state import AuditEntry
from schemas.status import PortfolioFacts, ReleaseStatus
from schemas.workflow_io import RecordReceipt, RecordRequest, UnfinishedRelease

if TYPE_CHECKING:
    from settings import Settings


def _insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT that can say ON CONFLICT on either database."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the store supports SQLite and PostgreSQL, not {name}")


@dataclass(frozen=True)
class RegisteredRelease:
    """One row of the register (what `list` shows for releases Temporal no longer holds)."""

    id: str
    name: str
    type: str
    phase: str
    go_live: date
    lapsed: bool
    closed_on: date | None
    ended: bool  # its final status is filed
    updated_at: datetime
    ended_by: str | None = None  # how an operator ended it outside the rules, if one did


class SqlRegister:
    """`ReleaseRegister` over the SQL store, plus the reads the CLI needs.

    `record` is idempotent: the register row is an upsert, and each audit entry is inserted
    with ON CONFLICT (release, seq) DO NOTHING, so a retried activity or a replayed workflow
    never writes a line twice. The trail is append-only and hash-chained (`rules.audit_chain`):
    each new row holds the hash of the release's row before it. An entry the store already holds under that (release, seq) with
    other content is not dropped: it is kept in `audit_divergence` and its seq returned, so the
    release can say so (a reset by an operator). Once a final status is filed, a late record
    without one (e.g. an earlier attempt retried) does not overwrite the register row.
    """

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, clock: Clock = utc_now
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    async def record(self, request: RecordRequest) -> RecordReceipt:
        row: dict[str, Any] = {
            "id": request.release_id,
            "name": request.name,
            "type": request.type.value,
            "phase": request.phase,
            "go_live": request.go_live,
            "lapsed": request.lapsed,
            "closed_on": request.closed_on,
            "updated_at": self._clock(),
        }
        if request.final is not None:
            row["final"] = request.final.model_dump(mode="json")
        if request.portfolio is not None:
            row["portfolio"] = request.portfolio.model_dump(mode="json")
        async with self._sessions.begin() as session:
            upsert = _insert(session, ReleaseRow).values(**row)
            changes = {k: upsert.excluded[k] for k in row if k != "id"}
            await session.execute(
                upsert.on_conflict_do_update(
                    index_elements=[ReleaseRow.id],
                    set_=changes,
                    where=None if request.final is not None else ReleaseRow.final.is_(None),
                )
            )
            if request.audit:
                return RecordReceipt(diverged=await self._append(session, request))
        return RecordReceipt()

    async def _append(self, session: AsyncSession, request: RecordRequest) -> list[int]:
        """Append the entries the store lacks to the release's chain; the seqs that diverged.

        Runs in the transaction that upserted the release's row, which holds that row locked
        (PostgreSQL locks it even when the upsert's WHERE leaves it unchanged; SQLite's first
        write locks the whole database), so one release's chain grows one record at a time.
        Each entry's hash depends only on the release's entries before it, so a retried or
        concurrent record of the same entries computes the same chain; an insert that loses a
        race is compared like any entry already stored.
        """
        release_id = request.release_id
        entries = sorted(request.audit, key=lambda e: e.seq)
        first = entries[0].seq
        stored = {
            row.seq: row
            for row in await session.scalars(
                select(AuditRow).where(
                    AuditRow.release_id == release_id, AuditRow.seq.in_([e.seq for e in entries])
                )
            )
        }
        # The entry before the first given: what the first new entry links to.
        prev = await session.scalar(
            select(AuditRow.hash)
            .where(AuditRow.release_id == release_id, AuditRow.seq < first)
            .order_by(AuditRow.seq.desc())
            .limit(1)
        )
        prev_hash = prev if prev is not None else GENESIS
        diverged: list[int] = []
        for entry in entries:
            row = stored.get(entry.seq)
            if row is None:
                digest = entry_hash(release_id, entry, prev_hash)
                inserted = await session.scalar(
                    _insert(session, AuditRow)
                    .values(
                        release_id=release_id,
                        **_columns(entry),
                        prev_hash=prev_hash,
                        hash=digest,
                    )
                    .on_conflict_do_nothing(index_elements=[AuditRow.release_id, AuditRow.seq])
                    .returning(AuditRow.id)
                )
                if inserted is not None:
                    prev_hash = digest
                    continue
                row = await session.scalar(  # another record stored this seq meanwhile
                    select(AuditRow).where(
                        AuditRow.release_id == release_id, AuditRow.seq == entry.seq
                    )
                )
                assert row is not None
            if _columns(_entry(row)) != _columns(entry):
                await self._keep_divergence(session, release_id, entry)
                diverged.append(entry.seq)
            prev_hash = row.hash
        return diverged

    async def _keep_divergence(
        self, session: AsyncSession, release_id: str, entry: AuditEntry
    ) -> None:
        """Keep an entry that arrived with other content under a stored seq (once)."""
        known = await session.scalar(
            select(AuditDivergenceRow.id).where(
                AuditDivergenceRow.release_id == release_id,
                AuditDivergenceRow.seq == entry.seq,
                AuditDivergenceRow.command == entry.command,
                AuditDivergenceRow.at == entry.at,
            )
        )
        if known is None:
            session.add(
                AuditDivergenceRow(release_id=release_id, **_columns(entry), found_at=self._clock())
            )

    async def divergences(self, release_id: str) -> list[AuditEntry]:
        """Entries that arrived with other content under a seq already stored, in order."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AuditDivergenceRow)
                .where(AuditDivergenceRow.release_id == release_id)
                .order_by(AuditDivergenceRow.seq, AuditDivergenceRow.id)
            )
            return [_entry(r) for r in rows]

    async def unfinished(self) -> list[UnfinishedRelease]:
        """Releases with no final record and no operator finding, by go-live date."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(ReleaseRow)
                .where(ReleaseRow.final.is_(None), ReleaseRow.ended_by.is_(None))
                .order_by(ReleaseRow.go_live)
            )
            return [
                UnfinishedRelease(release_id=r.id, name=r.name, go_live=r.go_live) for r in rows
            ]

    async def mark_ended_by(self, release_id: str, how: str) -> bool:
        """Record that an operator ended a release outside the rules; False if already known."""
        async with self._sessions.begin() as session:
            row = await session.get(ReleaseRow, release_id)
            if row is None or row.final is not None or row.ended_by == how:
                return False
            row.ended_by = how
            row.updated_at = self._clock()
            return True

    async def releases(self) -> list[RegisteredRelease]:
        """Every release in the register, by go-live date."""
        async with self._sessions() as session:
            rows = await session.scalars(select(ReleaseRow).order_by(ReleaseRow.go_live))
            return [
                RegisteredRelease(
                    id=r.id,
                    name=r.name,
                    type=r.type,
                    phase=r.phase,
                    go_live=r.go_live,
                    lapsed=r.lapsed,
                    closed_on=r.closed_on,
                    ended=r.final is not None,
                    updated_at=r.updated_at,
                    ended_by=r.ended_by,
                )
                for r in rows
            ]

    async def portfolio(self) -> dict[str, PortfolioFacts]:
        """What the portfolio shows of each release that recorded it, by release id: from its
        last record, or from its final status once it has ended."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(ReleaseRow.id, ReleaseRow.portfolio, ReleaseRow.final).where(
                    (ReleaseRow.portfolio.is_not(None)) | (ReleaseRow.final.is_not(None))
                )
            )
            found = {}
            for release_id, facts, final in rows:
                if final is not None:
                    found[release_id] = PortfolioFacts.of(ReleaseStatus.model_validate(final))
                else:
                    found[release_id] = PortfolioFacts.model_validate(facts)
            return found

    async def taken(self, release_id: str) -> str | None:
        """Why `release_id` cannot be created again (it is in the register), or None."""
        async with self._sessions() as session:
            row = await session.get(ReleaseRow, release_id)
        if row is None:
            return None
        if row.final is None and row.ended_by is None:
            return None  # still open: Temporal answers for it (it "already exists")
        how = (
            row.ended_by
            or f"{row.phase.lower()} on {row.closed_on.isoformat() if row.closed_on else '?'}"
        )
        return (
            f"Release {release_id} ({row.name}) has ended ({how}); a release id is never reused, "
            f"so its record stays unambiguous (see it with `sec-release status {release_id}`). "
            "An ad hoc release takes its own day as its id (e.g. --ad-hoc with an id like 2028-02-24)."
        )

    async def final_status(self, release_id: str) -> ReleaseStatus | None:
        """The full status filed when the release was closed or cancelled (else None)."""
        async with self._sessions() as session:
            final = await session.scalar(
                select(ReleaseRow.final).where(ReleaseRow.id == release_id)
            )
        return None if final is None else ReleaseStatus.model_validate(final)

    async def audit_trail(self, release_id: str) -> list[AuditEntry]:
        """The release's audit trail as stored, in order."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AuditRow).where(AuditRow.release_id == release_id).order_by(AuditRow.seq)
            )
            return [_entry(r) for r in rows]

    async def chain(self, release_id: str) -> list[ChainedEntry]:
        """The release's audit trail with each row's stored hashes, in seq order."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(AuditRow).where(AuditRow.release_id == release_id).order_by(AuditRow.seq)
            )
            return [_chained(r) for r in rows]


def _chained(row: AuditRow) -> ChainedEntry:
    return ChainedEntry(entry=_entry(row), prev_hash=row.prev_hash, hash=row.hash)


def _entry(row: AuditColumns) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        command=row.command,
        outcome=row.outcome,
        detail=row.detail,
        principal=row.principal,
        request_id=row.request_id,
        key_id=row.key_id,
        signature=row.signature,
        signed=row.signed,
    )


def _columns(entry: AuditEntry) -> dict[str, Any]:
    """An entry's values for either audit table."""
    return entry.model_dump(
        include={
            "seq",
            "at",
            "actor",
            "command",
            "outcome",
            "detail",
            "principal",
            "request_id",
            "key_id",
            "signature",
            "signed",
        }
    )


# -- for the CLI and the front door: a short-lived engine per read, or one kept open ---------------


@contextlib.asynccontextmanager
async def _reading(
    settings: Settings, engine: AsyncEngine | None
) -> AsyncIterator[SqlRegister | None]:
    """The register to read: on `engine` when a long-lived process (the front door) keeps one
    open on a store it has migrated, else on a short-lived engine (None when nothing was stored
    yet), disposed of afterwards."""
    if engine is not None:
        yield SqlRegister(session_factory(engine))
        return
    opened = await ready_engine(settings.database_url)
    if opened is None:
        yield None
        return
    try:
        yield SqlRegister(session_factory(opened))
    finally:
        await opened.dispose()


async def registered_releases(
    settings: Settings, engine: AsyncEngine | None = None
) -> list[RegisteredRelease]:
    """The register as the store holds it ([] when nothing was stored yet)."""
    async with _reading(settings, engine) as register:
        return [] if register is None else await register.releases()


async def registered_portfolio(
    settings: Settings, engine: AsyncEngine | None = None
) -> dict[str, PortfolioFacts]:
    """What the portfolio shows of each release that recorded it ({} when nothing was stored)."""
    async with _reading(settings, engine) as register:
        return {} if register is None else await register.portfolio()


async def taken_in_register(
    settings: Settings, release_id: str, engine: AsyncEngine | None = None
) -> str | None:
    """Why the register says `release_id` may not be created again (None when it may)."""
    async with _reading(settings, engine) as register:
        return None if register is None else await register.taken(release_id)


async def registered_status(
    settings: Settings, release_id: str, engine: AsyncEngine | None = None
) -> ReleaseStatus | None:
    """A CLOSED or CANCELLED release's full final status from the register (None if not filed)."""
    async with _reading(settings, engine) as register:
        return None if register is None else await register.final_status(release_id)


async def stored_chain(settings: Settings, release_id: str) -> list[ChainedEntry] | None:
    """A release's stored audit chain (None when nothing was stored yet; [] for no entries)."""
    async with _reading(settings, None) as register:
        return None if register is None else await register.chain(release_id)
