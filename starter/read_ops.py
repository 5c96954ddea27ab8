"""What the reading commands do: `status`, `list`, `inbox`, `timeline`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from rules.errors import Refused
from schemas.base import Actor
from schemas.status import InboxRow, ListRow, ReleaseStatus
from starter.client import ReleaseClient
from starter.ops import Result, need_actor
from starter.output import table
from starter.render import day_text, status_text, timeline_rows

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine
    from temporalio.client import WorkflowExecution

    from settings import Settings


def register_of(deployment: ReleaseClient) -> Settings | None:
    """The settings whose data dir holds the register to read, or None to read none.

    The register outlives Temporal's retention: it still holds an ended release's final record.
    It is the command's own (`--data-dir`, SEC_RELEASE_DATA_DIR); a deployment with no settings
    or no register fallback (a rehearsal) reads none, never the user's.
    """
    return deployment.settings if deployment.register_fallback else None


async def _from_register(
    settings: Settings, release_id: str, engine: AsyncEngine | None
) -> ReleaseStatus | None:
    """A CLOSED or CANCELLED release's final record, once Temporal's retention dropped it."""
    from activities.register import registered_status

    return await registered_status(settings, release_id, engine)


@dataclass(frozen=True)
class StatusOp:
    release_id: str

    async def run(self, deployment: ReleaseClient, actor: Actor | None) -> Result:
        try:
            status = await deployment.status(self.release_id)
        except Refused:
            settings = register_of(deployment)
            if settings is None:
                raise
            filed = await _from_register(settings, self.release_id, deployment.store)
            if filed is None:
                raise
            note = f"(from the register: Temporal no longer holds this {filed.phase} release's history)"
            return Result(filed.model_dump(mode="json"), f"{status_text(filed)}\n{note}")
        return Result(status.model_dump(mode="json"), status_text(status))


def _q(value: str) -> str:
    return "'" + value.replace("'", "") + "'"


# Every run of a release that has continued as new stays in Temporal's visibility with the
# search attributes it had then; the latest run is the one that did not continue.
RELEASE_RUNS = (
    "WorkflowType = 'ReleaseWorkflow' AND ExecutionStatus != 'ContinuedAsNew' "
    "AND SecPhase != 'REFUSED'"  # a start no front door signed (workflows.release.REFUSED_PHASE)
)


async def latest_runs(
    deployment: ReleaseClient, query: str = RELEASE_RUNS
) -> list[WorkflowExecution]:
    """One execution per release: its latest run (by start time) among those `query` finds.

    Excluding continued-as-new runs leaves one run per release, except after a `temporal
    workflow reset` (the old run is terminated, the new one runs) or an id used twice: the
    latest start wins.
    """
    latest: dict[str, WorkflowExecution] = {}
    async for wf in deployment.client.list_workflows(query):
        seen = latest.get(wf.id)
        if seen is None or wf.start_time > seen.start_time:
            latest[wf.id] = wf
    return list(latest.values())


def _ended_abnormally(wf: WorkflowExecution) -> str | None:
    """How a release's workflow ended other than by its own rules (e.g. terminated), or None.

    Its search attributes are then as they were when it stopped, so `list` says so.
    """
    from temporalio.client import WorkflowExecutionStatus

    status = wf.status
    if status in (None, WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED):
        return None
    return status.name.lower().replace("_", " ")


@dataclass(frozen=True)
class ListOp:
    phase: str | None
    release_type: str | None
    lapsed: bool
    go_live_from: date | None
    go_live_to: date | None

    def query(self) -> str:
        """Every release's runs but the continued-as-new ones, whatever the filters.

        The filters are applied to each release's latest run, after the query: filtering in
        the query would find an older run (e.g. one that a reset left behind) whose search
        attributes match when the latest run's do not.
        """
        return RELEASE_RUNS

    async def _filed_only(self, deployment: ReleaseClient, known: set[str]) -> list[ListRow]:
        """Ended releases the register holds but Temporal no longer does (after retention)."""
        from activities.register import registered_releases

        settings = register_of(deployment)
        if settings is None:
            return []
        rows = []
        for r in await registered_releases(settings, deployment.store):
            if r.id in known or not r.ended:
                continue
            row = ListRow(
                id=r.id, name=r.name, type=r.type, phase=r.phase, go_live=r.go_live, lapsed=r.lapsed
            )
            if self.matches(row):
                rows.append(row)
        return rows

    def matches(self, row: ListRow) -> bool:
        """Whether `row` passes the filters."""
        return (
            (self.phase is None or row.phase == self.phase)
            and (self.release_type is None or row.type == self.release_type)
            and (not self.lapsed or row.lapsed)
            and (
                self.go_live_from is None
                or (row.go_live is not None and row.go_live >= self.go_live_from)
            )
            and (
                self.go_live_to is None
                or (row.go_live is not None and row.go_live <= self.go_live_to)
            )
        )

    async def run(self, deployment: ReleaseClient, actor: Actor | None) -> Result:
        from workflows import search

        rows: list[ListRow] = []
        ended_by: dict[str, str] = {}
        for wf in await latest_runs(deployment, self.query()):
            attrs = wf.typed_search_attributes
            go_live = attrs.get(search.GO_LIVE)
            row = ListRow(
                id=wf.id.removeprefix("release/"),
                phase=attrs.get(search.PHASE) or "",
                type=attrs.get(search.RELEASE_TYPE) or "",
                go_live=go_live.date() if go_live else None,
                lapsed=bool(attrs.get(search.LAPSED)),
            )
            if not self.matches(row):
                continue
            rows.append(row)
            how = _ended_abnormally(wf)
            if how is not None:
                ended_by[row.id] = how
        rows += await self._filed_only(deployment, {r.id for r in rows})
        rows.sort(key=lambda r: (r.go_live or date.max, r.id))
        data = [
            {
                "id": r.id,
                "phase": r.phase,
                "go_live": day_text(r.go_live) if r.go_live else None,
                "lapsed": r.lapsed,
                "type": r.type,
                "workflow": ended_by.get(r.id),
            }
            for r in rows
        ]
        text = (
            table(
                [
                    [
                        r.id,
                        r.type,
                        r.phase + (f" (workflow {ended_by[r.id]})" if r.id in ended_by else ""),
                        day_text(r.go_live),
                        "yes" if r.lapsed else "",
                    ]
                    for r in rows
                ],
                ["id", "type", "phase", "go-live", "lapsed"],
            )
            if rows
            else "No releases match."
        )
        return Result(data, text)


@dataclass(frozen=True)
class InboxOp:
    async def run(self, deployment: ReleaseClient, actor: Actor | None) -> Result:
        role = need_actor(actor).role.value
        query = f"WorkflowType = 'ReleaseWorkflow' AND ExecutionStatus = 'Running' AND SecOwes = {_q(role)}"
        releases = [wf.id.removeprefix("release/") for wf in await latest_runs(deployment, query)]
        rows = await inbox_rows(deployment, role, releases)
        data = [r.model_dump(mode="json") for r in rows]
        text = (
            table(
                [
                    [r.release, r.action, day_text(r.due), "OVERDUE" if r.overdue else ""]
                    for r in rows
                ],
                ["release", "action", "due", ""],
            )
            if rows
            else f"Nothing is owed by {role}."
        )
        return Result(data, text)


async def inbox_rows(deployment: ReleaseClient, role: str, releases: list[str]) -> list[InboxRow]:
    """What `role` owes in each of `releases` (those whose SecOwes names it), soonest first."""
    rows: list[InboxRow] = []
    for release_id in releases:
        status = await deployment.status(release_id)
        rows += [
            InboxRow(
                release=release_id,
                action=o.action,
                due=o.due,
                overdue=o.overdue,
                command=o.command,
                detail=o.detail,
            )
            for o in status.owed
            if o.role == role
        ]
    rows.sort(key=lambda r: (r.due or date.max, r.release, r.action))
    return rows


@dataclass(frozen=True)
class TimelineOp:
    release_id: str

    async def run(self, deployment: ReleaseClient, actor: Actor | None) -> Result:
        status = await deployment.status(self.release_id)
        rows = timeline_rows(status)
        data = [
            {
                "event": r.key,
                "label": r.label,
                "planned": r.planned,
                "minimum": r.minimum,
                "actual": r.actual,
                "late": r.late,
            }
            for r in rows
        ]
        text = table(
            [
                [
                    r.label[:60],
                    day_text(r.planned),
                    day_text(r.minimum),
                    day_text(r.actual),
                    "LATE" if r.late else ("planned late" if r.planned_after_minimum else ""),
                ]
                for r in rows
            ],
            ["event", "planned", "minimum", "actual", ""],
        )
        return Result(data, f"{status.name}: planned vs minimum vs actual\n{text}")
