"""One POST endpoint per lifecycle command, generated from the command declarations.

Each distinct command line of `schemas.commands` (`rid baseline`, `sit start`, `criterion set`
...) becomes `POST /api/releases/{id}/rid/baseline`: its body is the command's fields (the path
fixes `kind`), its summary the usage's `what`, its description who may issue it. A command
declared tomorrow appears here with no new code, as it does on the command line
(`starter.command_line.leaves` gives both the same list).

A request is checked in this order: credentials (401), the body naming an actor, a role or a
field the command does not have (400), the body's shape (422), the role table for the usage the
body selects (403, nothing sent), then the release's rules (409) or its absence (404).

(No `from __future__ import annotations` here: each generated endpoint's body type is a local
class, which FastAPI must see as a type, not as a name to look up in this module.)
"""

import inspect
import types
import typing
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, get_args, get_origin

from fastapi import APIRouter, Body, Depends, Query, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, create_model

from frontdoor.deps import Deployment, ReleaseId, only_fields
from frontdoor.errors import Forbidden
from frontdoor.models import CommandAnswer, ErrorAnswer, SignalAnswer
from rules.permissions import check_usage
from schemas.base import Actor
from schemas.commands import Command, usage_of
from schemas.declare import Usage
from schemas.errors import Refused
from schemas.principal import Principal
from starter.client import ReleaseClient
from starter.ops import ActOp

Mode = Annotated[
    Literal["update", "signal"],
    Query(
        description="`signal`: fire-and-forget; the answer is 202 with the request id under "
        "which the release's audit records the outcome"
    ),
]

REQUEST_ID_HEADER = "X-Request-Id"

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorAnswer, "description": what}
    for code, what in (
        (400, "the request names an actor, a role or a field the command does not have"),
        (401, "no valid credentials"),
        (403, "the caller's role may not issue this command"),
        (404, "no such release"),
        (409, "a rule of the release refuses the command"),
        (413, "the body is over 64 KB"),
        (422, "the body is malformed"),
        (503, "Temporal is not answering"),
    )
}


@dataclass(frozen=True)
class Leaf:
    """One command line (`criterion set`): its model, the kind its path fixes, its usages."""

    words: str
    model: type[Command]
    kind: str
    usages: tuple[Usage, ...]

    @property
    def path(self) -> str:
        return "/api/releases/{id}/" + "/".join(self.words.split())

    @property
    def name(self) -> str:
        """`RidBaseline`, `ReleaseCancelRequest`: for the body model and the operation id."""
        return "".join(w.capitalize() for w in self.words.replace("-", " ").split())

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(n for n in self.model.model_fields if n != "kind")

    def summary(self) -> str:
        whats = list(dict.fromkeys(u.what for u in self.usages))
        text = "; or ".join(whats)
        return text[0].upper() + text[1:]

    def description(self) -> str:
        who = "; ".join(
            f"{' or '.join(r.value for r in u.roles)} (`{u.command_line}`)" for u in self.usages
        )
        return (
            f"May be issued by: {who}. PANEL_CHAIR may do what PANEL may. The actor is the "
            "authenticated principal; the body may not name one. With `?mode=signal` the command "
            "is forwarded as a signal and answered 202."
        )


def command_leaves() -> list[Leaf]:
    """Every command line sent to one release, in the CLI's order."""
    from starter.command_line import leaves

    found = []
    for words, pairs in leaves().items():
        model = pairs[0][0]
        usages = tuple(u for _, u in pairs)
        kinds = {u.kind or str(model.model_fields["kind"].default) for u in usages}
        assert len(kinds) == 1 and all(m is model for m, _ in pairs), words
        found.append(Leaf(words, model, kinds.pop(), usages))
    return found


def body_model(leaf: Leaf) -> type[BaseModel]:
    """The body of `leaf`'s endpoint: the command's fields (their limits and help), no `kind`."""
    fields: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in leaf.model.model_fields.items()
        if name != "kind"
    }
    body: type[BaseModel] = create_model(
        f"{leaf.name}Body",
        __config__=ConfigDict(extra="forbid"),
        __doc__=f"The fields of `{leaf.usages[0].command_line}`.",
        **fields,
    )
    return body


def bare_type(annotation: Any) -> Any:
    """A field's type without `Annotated` and `| None`."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation


def example_body(leaf: Leaf, usage: Usage, on: date | None = None) -> dict[str, Any]:
    """A small body that `usage` accepts: its required fields and the values selecting it."""
    day = (on or date(2030, 1, 15)).isoformat()
    values: dict[str, Any] = {}
    for name, info in leaf.model.model_fields.items():
        if name == "kind" or not info.is_required():
            continue
        kind = bare_type(info.annotation)
        if kind is bool:
            values[name] = True
        elif kind is date:
            values[name] = day
        elif kind is int:
            low = next((m.ge for m in info.metadata if getattr(m, "ge", None) is not None), 1)
            values[name] = low
        elif kind is Decimal:
            values[name] = "1000"
        elif get_origin(kind) is Literal:
            values[name] = get_args(kind)[0]
        elif get_origin(kind) in (list, dict):
            values[name] = get_origin(kind)()
        else:
            values[name] = "MP001" if name == "mod" else "example"
    values.update(usage.when)
    return values


def allowed_actor(principal: Principal, command: Command) -> Actor:
    """The actor `principal` acts as, once the role table lets it issue `command` (else 403)."""
    actor = principal.actor()
    try:
        check_usage(usage_of(command), actor.role)
    except Refused as exc:
        raise Forbidden(exc.sentence) from None
    return actor


async def issue(
    deployment: ReleaseClient,
    release_id: str,
    principal: Principal,
    command: Command,
    request_id: str | None = None,
) -> Any:
    """Issue `command` on the release as `principal`: the role table (403), then the release's
    rules (`Refused`, 409). The API's endpoints and the web app's forms both come here.
    `request_id`: the id the command is signed under, which its audit entry carries."""
    allowed_actor(principal, command)
    # The principal, not just its actor: the seal and the audit name who signed in.
    result = await ActOp(release_id, command, request_id=request_id).run(deployment, principal)
    return result.data


def _endpoint(leaf: Leaf) -> Callable[..., Coroutine[Any, Any, JSONResponse]]:
    body_type = body_model(leaf)
    examples = {
        (u.flags.strip("-") or "default"): {"summary": u.what, "value": example_body(leaf, u)}
        for u in leaf.usages
    }
    checked = Depends(only_fields(leaf.fields, leaf.usages[0].command_line))

    async def act(
        release_id: ReleaseId,
        body: Annotated[body_type, Body(openapi_examples=examples)],  # type: ignore[valid-type]
        principal: Annotated[Principal, checked],
        deployment: Deployment,
        mode: Mode = "update",
    ) -> JSONResponse:
        values = typing.cast(BaseModel, body).model_dump(exclude_unset=True)
        command = leaf.model.model_validate({**values, "kind": leaf.kind})
        if mode == "signal":
            allowed_actor(principal, command)
            request_id = await _signal(deployment, release_id, principal, command)
            answer = SignalAnswer(release=release_id, command=command.kind, request_id=request_id)
            return JSONResponse(answer.model_dump(mode="json"), status_code=202)
        # Chosen here so the answer can name it: the audit entry of an accepted command carries
        # the same id (`X-Request-Id`), as a signalled one's does (`request_id` in its 202).
        request_id = uuid.uuid4().hex
        data = await issue(deployment, release_id, principal, command, request_id)
        return JSONResponse(jsonable_encoder(data), headers={REQUEST_ID_HEADER: request_id})

    act.__name__ = f"act_{leaf.name}"
    return act


async def _signal(deployment: Any, release_id: str, actor: Any, command: Command) -> str:
    """Forward as a signal; the request id the command was signed under (the audit's key).

    A client that signs returns the id its seal carries; one that takes an id is given ours.
    """
    request_id = uuid.uuid4().hex
    takes_id = "request_id" in inspect.signature(deployment.signal).parameters
    if takes_id:
        sent = await deployment.signal(release_id, actor, command, request_id=request_id)
    else:
        sent = await deployment.signal(release_id, actor, command)
    return sent if isinstance(sent, str) and sent else request_id


def command_router() -> APIRouter:
    """The generated endpoints, one per command line."""
    router = APIRouter()
    for leaf in command_leaves():
        router.add_api_route(
            leaf.path,
            _endpoint(leaf),
            methods=["POST"],
            summary=leaf.summary(),
            description=leaf.description(),
            operation_id=leaf.name[0].lower() + leaf.name[1:],
            tags=[leaf.words.split()[0]],
            response_model=None,
            responses={
                200: {
                    "model": CommandAnswer,
                    "description": "the command was accepted",
                    "headers": {
                        REQUEST_ID_HEADER: {
                            "description": "the request id the command was signed under; its "
                            "entry in the release's audit carries the same id",
                            "schema": {"type": "string"},
                        }
                    },
                },
                202: {"model": SignalAnswer, "description": "forwarded as a signal"},
                **ERRORS,
            },
            status_code=status.HTTP_200_OK,
        )
    return router
