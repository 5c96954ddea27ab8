"""`record_release`: the register of releases and their audit trail, kept beyond retention."""

from __future__ import annotations

from typing import Protocol

from temporalio import activity

from schemas.workflow_io import RecordReceipt, RecordRequest, UnfinishedRelease


class ReleaseRegister(Protocol):
    """Stores the register row and audit entries; idempotent by (release, audit seq).

    An entry whose (release, seq) the store already holds with other content is never
    overwritten nor dropped in silence: it is kept beside the stored one and its seq returned
    in the receipt (the release's workflow was reset, or its id reused).
    """

    async def record(self, request: RecordRequest) -> RecordReceipt: ...

    async def unfinished(self) -> list[UnfinishedRelease]:
        """Releases with no final record and no operator finding."""
        ...

    async def mark_ended_by(self, release_id: str, how: str) -> bool:
        """Record how an operator ended a release; False when already recorded."""
        ...


class RecordActivities:
    """The `record_release` activity over a `ReleaseRegister` (the SQL store in production)."""

    def __init__(self, register: ReleaseRegister) -> None:
        self._register = register

    @activity.defn(name="record_release")
    async def record_release(self, request: RecordRequest) -> RecordReceipt:
        return await self._register.record(request)


class MemoryRegister:
    """An in-memory register (rehearsals; tests): the latest row and each audit entry once."""

    def __init__(self) -> None:
        self.rows: dict[str, RecordRequest] = {}
        self.audit: dict[tuple[str, int], str] = {}
        self.diverged: dict[tuple[str, int], str] = {}
        self.ended_by: dict[str, str] = {}

    async def record(self, request: RecordRequest) -> RecordReceipt:
        previous = self.rows.get(request.release_id)
        self.rows[request.release_id] = (
            request if request.final or previous is None or previous.final is None else previous
        )
        diverged: list[int] = []
        for entry in request.audit:
            key = (request.release_id, entry.seq)
            stored = self.audit.setdefault(key, entry.command)
            if stored != entry.command:
                self.diverged[key] = entry.command
                diverged.append(entry.seq)
        return RecordReceipt(diverged=diverged)

    async def unfinished(self) -> list[UnfinishedRelease]:
        return [
            UnfinishedRelease(release_id=r.release_id, name=r.name, go_live=r.go_live)
            for r in self.rows.values()
            if r.final is None and r.release_id not in self.ended_by
        ]

    async def mark_ended_by(self, release_id: str, how: str) -> bool:
        if release_id not in self.rows or self.ended_by.get(release_id) == how:
            return False
        self.ended_by[release_id] = how
        return True
