"""The register trails a release by a moment while commands arrive (issue 16).

A command is answered before its audit entry is written to the register; the entries of a burst
are written together about a second later. What the front door reads from the register is
still written before the answer: the portfolio's facts when a command moves them, and every
entry once the release has ended. Every entry reaches the register exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from temporalio.testing import WorkflowEnvironment

from activities.records import MemoryRegister
from schemas import commands as c
from schemas.workflow_io import RecordReceipt, RecordRequest
from starter.rehearsal import Rehearsal
from tests.june2020 import CREATED, PANEL, RELEASE, SECAS


class GatedRegister(MemoryRegister):
    """A register whose writes wait while its gate is shut (a slow or busy store)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.gate.set()

    async def record(self, request: RecordRequest) -> RecordReceipt:
        await self.gate.wait()
        return await super().record(request)

    def seqs(self) -> list[int]:
        return sorted(seq for release, seq in self.audit if release == RELEASE)


async def eventually(check: Callable[[], bool], what: str, seconds: float = 30) -> None:
    for _ in range(int(seconds * 10)):
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"still waiting after {seconds} s: {what}")


@asynccontextmanager
async def created_with_a_gated_register(
    env: WorkflowEnvironment,
) -> AsyncIterator[tuple[Rehearsal, GatedRegister]]:
    """A rehearsal whose register writes can be held back, with the June 2020 release created."""
    r = Rehearsal(env, CREATED)
    r.register = register = GatedRegister()
    async with r:
        await r.deployment.create_release(
            RELEASE, actor=SECAS, go_live=None, release_type=None, ad_hoc=False
        )
        r.release_ids.append(RELEASE)
        yield r, register


def criterion(i: int) -> c.Command:
    return c.CriterionDefine(key=f"panel-{i}", text=f"Panel criterion {i} is evidenced.")


async def test_a_command_is_answered_before_its_entry_is_written_and_the_entry_lands_once(
    env: WorkflowEnvironment,
) -> None:
    async with created_with_a_gated_register(env) as (r, register):
        register.gate.clear()
        # Before this change the answer waited for the register: it would hang here.
        await asyncio.wait_for(r.deployment.act(RELEASE, SECAS, criterion(1)), 30)
        status = await r.deployment.status(RELEASE)
        assert status.audit[-1].command.startswith("criterion define")
        assert status.audit[-1].seq not in register.seqs()
        register.gate.set()
        await eventually(
            lambda: register.seqs() == [a.seq for a in status.audit], "the entry recorded"
        )
        # A burst: answered one after the other, every entry recorded once.
        for i in range(2, 6):
            await r.deployment.act(RELEASE, SECAS, criterion(i))
        status = await r.deployment.status(RELEASE)
        await eventually(
            lambda: register.seqs() == [a.seq for a in status.audit], "the burst recorded"
        )


async def test_a_command_that_moves_the_portfolio_is_written_before_its_answer(
    env: WorkflowEnvironment,
) -> None:
    async with created_with_a_gated_register(env) as (r, register):
        register.gate.clear()
        draft = asyncio.create_task(
            r.deployment.act(RELEASE, SECAS, c.RidDraft(note="First draft issued."))
        )
        await asyncio.sleep(2)
        assert not draft.done()  # the portfolio shows the RID version from the register
        register.gate.set()
        result = await asyncio.wait_for(draft, 30)
        row = register.rows[RELEASE]
        assert row.portfolio is not None
        assert row.portfolio.rid_version == result.rid_version == "0.1"
        status = await r.deployment.status(RELEASE)
        assert register.seqs() == [a.seq for a in status.audit]


async def test_a_release_ended_after_a_burst_has_every_entry_written_before_the_answer(
    env: WorkflowEnvironment,
) -> None:
    async with created_with_a_gated_register(env) as (r, register):
        for i in range(1, 4):
            await r.deployment.act(RELEASE, SECAS, criterion(i))
        await r.deployment.act(
            RELEASE, PANEL, c.ReleaseEnd(kind="release_cancel", reason="Scope moved on.")
        )
        at_the_answer = register.seqs()
        result = await r.deployment.handle(RELEASE).result()
    final = result.status
    cancelled = next(a.seq for a in final.audit if a.command.startswith("release cancel"))
    assert [s for s in at_the_answer if s <= cancelled] == list(range(1, cancelled + 1))
    assert register.seqs() == [a.seq for a in final.audit]
    row = register.rows[RELEASE]
    assert row.final is not None
    assert [a.seq for a in row.final.audit] == [a.seq for a in final.audit]
