"""The register of releases and the audit trail: idempotent records that outlive retention."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.register import SqlRegister, registered_releases, registered_status
from rules.clock import london
from rules.queries import phase
from rules.status import build_status, has_lapsed
from schemas.state import ReleaseState
from schemas.status import PortfolioFacts
from schemas.workflow_io import RecordRequest
from settings import Settings

Sessions = async_sessionmaker[AsyncSession]
CLOSED_AT = london(date(2020, 9, 30), 10)


def record_of(state: ReleaseState, upto: int, *, final: bool = False) -> RecordRequest:
    """What `record_release` receives: the register row and audit entries up to seq `upto`."""
    return RecordRequest(
        release_id=state.id,
        name=state.name,
        type=state.type,
        phase=phase(state, CLOSED_AT.date()).value,
        go_live=state.go_live,
        lapsed=has_lapsed(state),
        audit=[a for a in state.audit if a.seq <= upto],
        final=build_status(state, CLOSED_AT) if final else None,
        closed_on=state.closed_on,
    )


async def test_a_retried_or_replayed_record_writes_each_audit_line_once(
    sessions: Sessions, june_2020: ReleaseState
) -> None:
    register = SqlRegister(sessions)

    await register.record(record_of(june_2020, 10))
    await register.record(record_of(june_2020, 10))  # the activity retried
    await register.record(record_of(june_2020, 25))  # a replay re-sends 1..10 with 11..25

    trail = await register.audit_trail(june_2020.id)
    assert [a.seq for a in trail] == list(range(1, 26))
    assert trail == [a for a in june_2020.audit if a.seq <= 25]


async def test_a_closed_release_answers_status_from_the_register(
    sessions: Sessions, june_2020: ReleaseState
) -> None:
    register = SqlRegister(sessions)
    last = june_2020.audit[-1].seq
    final = record_of(june_2020, last, final=True)

    await register.record(final)
    await register.record(record_of(june_2020, last))  # an earlier attempt, retried late

    status = await register.final_status(june_2020.id)
    assert status == final.final
    assert status is not None
    assert status.phase == "CLOSED"
    assert [a.command for a in status.audit] == [a.command for a in june_2020.audit]
    [row] = await register.releases()
    assert (row.id, row.name, row.phase, row.ended) == (
        "2020-06",
        "June 2020 SEC Release",
        "CLOSED",
        True,
    )
    assert row.closed_on == date(2020, 9, 10)
    assert await register.final_status("2021-06") is None


async def test_the_cli_reads_the_register_with_no_server(
    store_url: str, sessions: Sessions, june_2020: ReleaseState, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, database_url_setting=store_url)
    await SqlRegister(sessions).record(record_of(june_2020, 3, final=True))

    [row] = await registered_releases(settings)
    status = await registered_status(settings, "2020-06")

    assert row.id == "2020-06"
    assert status is not None
    assert status.name == "June 2020 SEC Release"
    assert await registered_status(settings, "2021-06") is None


async def test_an_empty_data_dir_has_an_empty_register(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert await registered_releases(settings) == []
    assert await registered_status(settings, "2020-06") is None


async def test_the_portfolio_reads_each_releases_facts_from_its_last_record(
    sessions: Sessions, june_2020: ReleaseState
) -> None:
    """What the portfolio shows comes from the register in one read: the facts of each record
    that carried them (the latest wins), or the final status's once the release has ended; a
    release whose run never recorded them is absent (the portfolio reads its status)."""
    register = SqlRegister(sessions)
    older = june_2020.model_copy(update={"id": "2020-02", "name": "February 2020 SEC Release"})
    await register.record(record_of(older, 3))  # a run from before the facts were recorded
    early = build_status(june_2020, london(date(2020, 1, 6), 10))
    await register.record(
        record_of(june_2020, 5).model_copy(update={"portfolio": PortfolioFacts.of(early)})
    )
    assert await register.portfolio() == {"2020-06": PortfolioFacts.of(early)}

    later = build_status(june_2020, london(date(2020, 5, 4), 10))
    await register.record(
        record_of(june_2020, 9).model_copy(update={"portfolio": PortfolioFacts.of(later)})
    )
    assert (await register.portfolio())["2020-06"] == PortfolioFacts.of(later)

    last = june_2020.audit[-1].seq
    await register.record(record_of(june_2020, last, final=True))
    final = build_status(june_2020, CLOSED_AT)
    assert await register.portfolio() == {"2020-06": PortfolioFacts.of(final)}
