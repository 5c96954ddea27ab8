"""The readings (open to every authenticated principal), release create and freeze add.

Each reading calls the op the CLI runs (`starter.read_ops`, `starter.doc_cmds`), so
`GET /api/releases/{id}` answers exactly what `sec-release status ID --json` prints.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from frontdoor.commands_api import ERRORS
from frontdoor.deps import Caller, Deployment, ReleaseId, only_fields
from frontdoor.errors import Forbidden
from frontdoor.models import (
    CreateReleaseBody,
    FreezeAnswer,
    FreezeBody,
    Me,
    ReleaseRow,
    TimelineRow,
)
from rules.permissions import check_usage
from schemas.commands import FREEZE_ADD, RELEASE_CREATE
from schemas.declare import Usage
from schemas.errors import Refused
from schemas.principal import Principal
from schemas.status import InboxRow, ReleaseStatus
from starter.read_cmds import PHASES

router = APIRouter(prefix="/api")

Phase = Literal[
    "DRAFTING",
    "BASELINED",
    "TESTING",
    "GO_LIVE_DECISION",
    "APPROVED",
    "LIVE",
    "POST_LIVE_REVIEW",
    "CLOSED",
    "REPLANNING",
    "CANCELLED",
]
assert list(Phase.__args__) == PHASES  # type: ignore[attr-defined]

READ_ERRORS: dict[int | str, dict[str, Any]] = {
    code: ERRORS[code] for code in (400, 401, 404, 422, 503)
}
DOCUMENT = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "ics": "text/calendar; charset=utf-8",
}


def _allowed(usage: Usage, principal: Principal) -> None:
    """403 with the role table's sentence unless the caller's role may issue `usage`."""
    try:
        check_usage(usage, principal.actor().role)
    except Refused as exc:
        raise Forbidden(exc.sentence) from None


@router.get("/me", response_model=Me, responses=READ_ERRORS, summary="Who you are signed in as")
async def me(principal: Caller) -> Me:
    return Me(principal=principal, actor=str(principal.actor()))


@router.get(
    "/releases",
    response_model=list[ReleaseRow],
    responses=READ_ERRORS,
    summary="The releases, filtered as `sec-release list` filters them",
)
async def list_releases(
    principal: Caller,
    deployment: Deployment,
    phase: Phase | None = None,
    type: Literal["system", "documentation"] | None = None,
    lapsed: Annotated[bool, Query(description="only releases with a lapsed deadline")] = False,
    go_live_from: date | None = None,
    go_live_to: date | None = None,
) -> JSONResponse:
    from starter.read_ops import ListOp

    result = await ListOp(phase, type, lapsed, go_live_from, go_live_to).run(
        deployment, principal.actor()
    )
    return JSONResponse(result.data)  # already JSON's types (strings, booleans, None)


@router.get(
    "/releases/{id}",
    response_model=ReleaseStatus,
    responses=READ_ERRORS,
    summary="One release's status (as `sec-release status ID --json`)",
)
async def release_status(release_id: ReleaseId, principal: Caller, deployment: Deployment) -> Any:
    from starter.read_ops import StatusOp

    result = await StatusOp(release_id).run(deployment, principal.actor())
    return JSONResponse(result.data)  # already JSON's types (`model_dump(mode="json")`)


@router.get(
    "/inbox",
    response_model=list[InboxRow],
    responses=READ_ERRORS,
    summary="What your role owes across open releases",
)
async def inbox(principal: Caller, deployment: Deployment) -> JSONResponse:
    from starter.read_ops import InboxOp

    result = await InboxOp().run(deployment, principal.actor())
    return JSONResponse(jsonable_encoder(result.data))


@router.get(
    "/releases/{id}/timeline",
    response_model=list[TimelineRow],
    responses=READ_ERRORS,
    summary="Planned vs minimum vs actual dates",
)
async def release_timeline(
    release_id: ReleaseId, principal: Caller, deployment: Deployment
) -> JSONResponse:
    from starter.read_ops import TimelineOp

    result = await TimelineOp(release_id).run(deployment, principal.actor())
    return JSONResponse(jsonable_encoder(result.data))


async def _document(
    deployment: Deployment,
    principal: Principal,
    release_id: str,
    name: str,
    fmt: str,
    version: str | None,
) -> Response:
    from starter.doc_cmds import DocOp

    result = await DocOp(release_id, name, fmt, version, None).run(deployment, principal.actor())
    return Response(result.data["content"], media_type=DOCUMENT[fmt])


def _document_responses(*formats: str) -> dict[int | str, dict[str, Any]]:
    content = {DOCUMENT[f].split(";")[0]: {"schema": {"type": "string"}} for f in formats}
    return {200: {"content": content, "description": "the document"}, **READ_ERRORS}


Format = Annotated[Literal["md", "html"], Query(description="Markdown or HTML")]


@router.get(
    "/releases/{id}/documents/rid",
    response_class=Response,
    responses=_document_responses("md", "html"),
    summary="The Release Implementation Document",
)
async def rid_document(
    release_id: ReleaseId,
    principal: Caller,
    deployment: Deployment,
    format: Format = "md",
    version: Annotated[
        str | None, Query(max_length=20, description="the RID as it stood at version V")
    ] = None,
) -> Response:
    return await _document(deployment, principal, release_id, "rid", format, version)


@router.get(
    "/releases/{id}/documents/go-live-paper",
    response_class=Response,
    responses=_document_responses("md", "html"),
    summary="The go-live decision paper for the Panel",
)
async def go_live_paper(
    release_id: ReleaseId,
    principal: Caller,
    deployment: Deployment,
    format: Format = "md",
) -> Response:
    return await _document(deployment, principal, release_id, "go-live-paper", format, None)


@router.get(
    "/releases/{id}/calendar.ics",
    response_class=Response,
    responses=_document_responses("ics"),
    summary="Every deadline and planned date as an iCalendar file",
)
async def calendar_ics(
    release_id: ReleaseId, principal: Caller, deployment: Deployment
) -> Response:
    return await _document(deployment, principal, release_id, "ics", "ics", None)


@router.post(
    "/releases",
    status_code=status.HTTP_201_CREATED,
    response_model=ReleaseStatus,
    responses={code: ERRORS[code] for code in (400, 401, 403, 409, 413, 422, 503)},
    summary="Create a release",
    description="May be issued by: SECAS (`sec-release release create`).",
)
async def create_release(
    body: CreateReleaseBody,
    principal: Annotated[
        Principal,
        Depends(only_fields(CreateReleaseBody.model_fields, RELEASE_CREATE.command_line)),
    ],
    deployment: Deployment,
) -> JSONResponse:
    from starter.ops import CreateOp

    _allowed(RELEASE_CREATE, principal)
    op = CreateOp(body.id, body.go_live, body.type, body.ad_hoc)
    result = await op.run(deployment, principal)  # the seal names who signed in
    return JSONResponse(jsonable_encoder(result.data), status_code=status.HTTP_201_CREATED)


@router.post(
    "/freezes",
    response_model=FreezeAnswer,
    responses={code: ERRORS[code] for code in (400, 401, 403, 409, 413, 422, 503)},
    summary="Record a change freeze (not tied to one release)",
    description="May be issued by: PANEL (`sec-release freeze add`).",
)
async def add_freeze(
    body: FreezeBody,
    principal: Annotated[
        Principal, Depends(only_fields(FreezeBody.model_fields, FREEZE_ADD.command_line))
    ],
    deployment: Deployment,
) -> JSONResponse:
    from starter.ops import FreezeOp

    _allowed(FREEZE_ADD, principal)
    result = await FreezeOp(body.start, body.end, body.reason).run(deployment, principal)
    return JSONResponse(jsonable_encoder(result.data))
