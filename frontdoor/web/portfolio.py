"""The portfolio's rows: `list`'s search attributes beside what the register keeps of each release.

`list` (Temporal's visibility store) gives every release's phase, type, go-live and whether a
deadline has lapsed, as the release keeps them up to date. The rest of a row (name, RID version,
the freeze its go-live falls in, its open deadlines: the RAG and the next deadline with who owes
it) is what the release recorded in the register with its last record
(`schemas.status.PortfolioFacts`, written by `record_release` with every audit entry). So the
portfolio costs one list and one read of the register, whatever the number of releases; a
release's full status is read only on its own page, or here for a release the register holds no
facts of (a run started before releases recorded them, a deployment with no register).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

from temporalio.service import RPCError, RPCStatusCode

from frontdoor.web import views
from schemas.base import Actor
from schemas.errors import Refused
from schemas.state import DeadlineStatus
from schemas.status import DeadlineRow, ListRow, PortfolioFacts
from starter.client import ReleaseClient

# At most this many releases are read at once when their status must be read (a query each).
PORTFOLIO_READS = 8
# The Panel's view (its freezes, its open releases) is read for at most this long.
PANEL_READ_SECONDS = 10.0


@dataclass(frozen=True)
class PortfolioRow:
    id: str
    name: str
    phase: str
    type: str
    go_live: date | None
    rid_version: str | None  # None: the release could not be read
    rag: views.Rag | None
    next: DeadlineRow | None
    freeze: str | None
    workflow: str | None


def unimplemented(exc: RPCError) -> bool:
    """The server has no visibility store (the time-skipping test server of a rehearsal)."""
    return exc.status is RPCStatusCode.UNIMPLEMENTED


async def open_releases(deployment: ReleaseClient) -> list[str]:
    """The open releases the Panel knows (its register list), for a server without visibility."""
    view = await asyncio.wait_for(deployment.panel_view(), PANEL_READ_SECONDS)
    return sorted(view.releases)


async def listed(
    deployment: ReleaseClient, actor: Actor, filters: dict[str, Any]
) -> list[dict[str, Any]]:
    """The releases `list` finds with the filters; without a visibility store, the open
    releases the Panel knows, each read and filtered as `list` filters."""
    from starter.read_ops import ListOp

    op = ListOp(
        filters["phase"],
        filters["type"],
        filters["lapsed"],
        filters["go_live_from"],
        filters["go_live_to"],
    )
    try:
        data: list[dict[str, Any]] = (await op.run(deployment, actor)).data
        return data
    except RPCError as exc:
        if not unimplemented(exc):
            raise
    items: list[dict[str, Any]] = []
    for release_id in await open_releases(deployment):
        status = await deployment.status(release_id)
        row = ListRow(
            id=release_id,
            type=status.type.value,
            phase=status.phase,
            go_live=status.go_live,
            lapsed=any(d.status == DeadlineStatus.LAPSED for d in status.deadlines),
        )
        if op.matches(row):
            items.append(
                {
                    "id": row.id,
                    "phase": row.phase,
                    "type": row.type,
                    "go_live": row.go_live.isoformat() if row.go_live else None,
                    "lapsed": row.lapsed,
                    "workflow": None,
                }
            )
    items.sort(key=lambda i: (i["go_live"] or "9999", i["id"]))
    return items


async def registered_facts(deployment: ReleaseClient) -> dict[str, PortfolioFacts]:
    """What the register holds of each release for the portfolio ({} with no register)."""
    from activities.register import registered_portfolio

    if deployment.settings is None or not deployment.register_fallback:
        return {}
    return await registered_portfolio(deployment.settings, deployment.store)


async def _read_facts(
    deployment: ReleaseClient, actor: Actor, release_ids: list[str]
) -> dict[str, PortfolioFacts]:
    """The facts of releases the register has none of, from their status (a query each)."""
    from starter.read_ops import StatusOp

    gate = asyncio.Semaphore(PORTFOLIO_READS)

    async def one(release_id: str) -> tuple[str, PortfolioFacts | None]:
        from schemas.status import ReleaseStatus

        async with gate:
            try:
                read = await StatusOp(release_id).run(deployment, actor)
            except Refused:
                return release_id, None
        return release_id, PortfolioFacts.of(ReleaseStatus.model_validate(read.data))

    found = await asyncio.gather(*(one(r) for r in release_ids))
    return {r: facts for r, facts in found if facts is not None}


async def portfolio_rows(
    deployment: ReleaseClient, actor: Actor, filters: dict[str, Any]
) -> tuple[list[PortfolioRow], date]:
    """The portfolio's rows with the filters, and the day their RAG is judged on (today, on
    the releases' business clock)."""
    items, facts = await asyncio.gather(
        listed(deployment, actor, filters), registered_facts(deployment)
    )
    missing = [i["id"] for i in items if i["id"] not in facts]
    if missing:
        facts = {**facts, **await _read_facts(deployment, actor, missing)}
    today = (await deployment.clock.now()).date()
    cal = views.calendar_for(today)
    rows = []
    for item in items:
        go_live = date.fromisoformat(item["go_live"]) if item["go_live"] else None
        known = facts.get(item["id"])
        if known is None:
            rows.append(
                PortfolioRow(
                    item["id"], item["id"], item["phase"], item["type"], go_live,
                    None, None, None, None, item.get("workflow"),
                )
            )  # fmt: skip
            continue
        # Visibility's lapsed flag is the release's own, kept up to date at every wake; the
        # register's deadlines are as of the release's last record.
        rag: views.Rag = "red" if item["lapsed"] else views.rag(known, cal, today)
        rows.append(
            PortfolioRow(
                item["id"],
                known.name,
                item["phase"],
                item["type"],
                go_live,
                known.rid_version,
                rag,
                views.next_deadline(known),
                known.freeze,
                item.get("workflow"),
            )
        )
    return rows, today
