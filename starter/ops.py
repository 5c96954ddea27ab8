"""What a server command line asks for, independent of where it runs.

An `Op` runs against a `ReleaseClient` (a real server for the CLI, a time-skipping server for
`rehearse`) as an actor, and returns a JSON-able result plus the sentence a person reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from schemas.base import Actor
from schemas.commands import Command
from schemas.principal import Principal
from schemas.vocabulary import ReleaseType
from starter.client import ReleaseClient
from starter.render import act_text, created_text


@dataclass(frozen=True)
class Result:
    data: Any
    text: str


class Op(Protocol):
    async def run(self, deployment: ReleaseClient, actor: Actor | None) -> Result: ...


def need_actor(actor: Actor | Principal | None) -> Actor | Principal:
    """Who acts: an authenticated principal (the front door), or the actor `--as` names."""
    from starter.errors import UsageError

    if actor is None:
        raise UsageError(
            "this command needs an actor: give --as ROLE[:NAME] or set SEC_RELEASE_ACTOR"
        )
    return actor


@dataclass(frozen=True)
class ActOp:
    """A lifecycle command sent to one release as an Update (or a signal)."""

    release_id: str
    command: Command
    as_signal: bool = False
    request_id: str | None = None  # signed under this id (the front door's X-Request-Id)

    async def run(self, deployment: ReleaseClient, actor: Actor | Principal | None) -> Result:
        who = need_actor(actor)
        if self.as_signal:
            await deployment.signal(self.release_id, who, self.command)
            data = {"release": self.release_id, "command": self.command.kind, "signalled": True}
            return Result(data, act_text(data))
        if self.request_id is None:
            result = await deployment.act(self.release_id, who, self.command)
        else:
            result = await deployment.act(
                self.release_id, who, self.command, request_id=self.request_id
            )
        data = {
            "release": self.release_id,
            "command": self.command.kind,
            "summary": result.summary,
            "phase": result.phase,
            "rid_version": result.rid_version,
        }
        return Result(data, act_text(data))


@dataclass(frozen=True)
class CreateOp:
    release_id: str
    go_live: date | None
    release_type: ReleaseType | None
    ad_hoc: bool

    async def run(self, deployment: ReleaseClient, actor: Actor | Principal | None) -> Result:
        status = await deployment.create_release(
            self.release_id,
            actor=need_actor(actor),
            go_live=self.go_live,
            release_type=self.release_type,
            ad_hoc=self.ad_hoc,
        )
        return Result(status.model_dump(mode="json"), created_text(status, self.release_id))


@dataclass(frozen=True)
class FreezeListOp:
    """`freeze list`: the Panel's change freezes, from the Panel workflow's own list."""

    async def run(self, deployment: ReleaseClient, actor: Actor | None) -> Result:
        from rules.release_calendar import long_date
        from starter.output import table

        view = await deployment.panel_view()
        data = {"freezes": [f.model_dump(mode="json") for f in view.freezes]}
        if not view.freezes:
            return Result(data, "No change freezes are recorded.")
        rows = [[long_date(f.start), long_date(f.end), f.reason] for f in view.freezes]
        return Result(data, table(rows, ["from", "to", "reason"]))


@dataclass(frozen=True)
class FreezeOp:
    start: date
    end: date
    reason: str

    async def run(self, deployment: ReleaseClient, actor: Actor | Principal | None) -> Result:
        text = await deployment.add_freeze(need_actor(actor), self.start, self.end, self.reason)
        data = {
            "freeze": {
                "start": self.start.isoformat(),
                "end": self.end.isoformat(),
                "reason": self.reason,
            },
            "summary": text,
        }
        return Result(data, text)
