"""`record_release`: the register of releases and their audit trail, kept beyond retention."""

from __future__ import annotations

from typing import Protocol

from temporalio import activity

from schemas.workflow_io import RecordRequest


class ReleaseRegister(Protocol):
    """Stores the register row and audit entries; idempotent by (release, audit seq)."""

    async def record(self, request: RecordRequest) -> None: ...


class RecordActivities:
    """The `record_release` activity over a `ReleaseRegister` (the SQL store in production)."""

    def __init__(self, register: ReleaseRegister) -> None:
        self._register = register

    @activity.defn(name="record_release")
    async def record_release(self, request: RecordRequest) -> None:
        await self._register.record(request)


class MemoryRegister:
    """An in-memory register (rehearsals; tests): the latest row and each audit entry once."""

    def __init__(self) -> None:
        self.rows: dict[str, RecordRequest] = {}
        self.audit: dict[tuple[str, int], str] = {}

    async def record(self, request: RecordRequest) -> None:
        previous = self.rows.get(request.release_id)
        self.rows[request.release_id] = (
            request if request.final or previous is None or previous.final is None else previous
        )
        for entry in request.audit:
            self.audit.setdefault((request.release_id, entry.seq), entry.command)
