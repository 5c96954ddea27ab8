"""The dependencies every API route shares: the caller, the releases, a release id."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Iterable
from typing import Annotated, Any

from fastapi import Depends, Path, Request

from frontdoor.auth_api import CurrentPrincipal
from frontdoor.errors import BadRequest
from schemas.principal import Principal
from starter.client import ReleaseClient

# Keys that would name who acts: never taken from a request (ACCESS.md, Authorization).
ACTOR_KEYS = frozenset({"actor", "as", "role", "by", "acting_as", "on_behalf_of", "principal"})

# As `starter.args.release_id` checks it: YYYY-MM (scheduled) or YYYY-MM-DD (ad hoc).
# A scheduled release (2026-06), an ad hoc one (2026-11-30) or a second one that day (-b, -c, ...).
RELEASE_ID_PATTERN = r"^\d{4}-\d{2}(?:-\d{2}(?:-[b-z])?)?$"


async def caller(principal: CurrentPrincipal, request: Request) -> Principal:
    """The authenticated caller, once the query is known not to name an actor or a role."""
    named = sorted(k for k in request.query_params if k.lower() in ACTOR_KEYS)
    if named:
        raise BadRequest(
            f"The query names `{named[0]}`; the front door decides who acts from your "
            f"credentials (you act as {principal.actor()}), so leave it out."
        )
    return principal


Caller = Annotated[Principal, Depends(caller)]


async def releases(request: Request) -> ReleaseClient:
    """Where the releases run (connected on first use; 503 while Temporal is not answering)."""
    deployment: ReleaseClient = await request.app.state.releases()
    return deployment


Deployment = Annotated[ReleaseClient, Depends(releases)]

ReleaseId = Annotated[
    str,
    Path(
        alias="id",
        pattern=RELEASE_ID_PATTERN,
        description="YYYY-MM (a scheduled release, e.g. 2020-06) or YYYY-MM-DD (ad hoc)",
        examples=["2030-06"],
    ),
]


def only_fields(
    own: Iterable[str], command_line: str
) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency: the caller, once the JSON body is known to name only `own` fields.

    A body naming an actor, a role or `kind`, or a field the command does not have, is refused
    (400) rather than ignored: a request is never quietly read as something other than it said.
    """
    fields = frozenset(own)

    async def only_own_fields(principal: Caller, request: Request) -> Principal:
        try:
            raw = json.loads(await request.body() or b"{}")
        except (ValueError, UnicodeDecodeError):
            return principal  # not JSON: the 422 says so
        if not isinstance(raw, dict):
            return principal
        named = sorted(k for k in raw if str(k).lower() in ACTOR_KEYS or k == "kind")
        if named:
            raise BadRequest(
                f"The body names `{named[0]}`; the front door decides who acts and what the "
                f"command is from your credentials and the path (you act as "
                f"{principal.actor()}), so leave it out."
            )
        foreign = sorted(k for k in raw if k not in fields)
        if foreign:
            known = ", ".join(sorted(fields)) or "none"
            raise BadRequest(
                f"`{foreign[0][:40]}` is not a field of `{command_line}`; its fields are: {known}."
            )
        return principal

    return only_own_fields
