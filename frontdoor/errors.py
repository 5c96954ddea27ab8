"""Every refusal becomes one HTTP answer `{"error": sentence}`, in one place; never a traceback.

- 400 `BadRequest`: the request names an actor or a role, or a field the command does not have.
- 401 `Unauthenticated`: no valid credentials (with `WWW-Authenticate: Bearer`).
- 403 `Forbidden`: the role table's own sentence (`rules.permissions.check_usage`).
- 404: an unknown release (the client's "There is no release ..." refusal).
- 409 `Refused`: a rule's sentence, as the release gave it.
- 413: a body over `schemas.text.MAX_PAYLOAD_BYTES` (answered by `frontdoor.app`'s middleware).
- 422: a malformed body or query, as a sentence plus pydantic's list in `detail`.
- 503 `Unavailable`: Temporal (or the store) is not answering.
- 500: anything else, logged here, answered with a sentence.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from frontdoor.auth_api import Unauthenticated
from schemas.errors import Refused
from schemas.text import sentence_of, sentence_of_errors
from starter.errors import Unavailable, UsageError

log = logging.getLogger("frontdoor")

# How the client says a release does not exist (`starter.client._missing`).
_NO_SUCH_RELEASE = "There is no release "


class BadRequest(Exception):
    """A request the front door will not forward as it stands (400)."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


class Forbidden(Exception):
    """The caller's role may not do this (403); the sentence is the role table's."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


class UnknownRelease(Exception):
    """No release has this id (404)."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


def is_missing(refusal: Refused) -> bool:
    """Whether the client refused because there is no such release."""
    return refusal.sentence.startswith(_NO_SUCH_RELEASE)


def error(status: int, sentence: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": sentence, **extra}, status_code=status)


def install(app: FastAPI) -> None:
    """Register the one handler per kind of refusal."""

    async def bad_request(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, BadRequest | UsageError)
        return error(400, exc.sentence if isinstance(exc, BadRequest) else str(exc))

    async def unauthenticated(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Unauthenticated)
        response = error(401, exc.sentence)
        response.headers["WWW-Authenticate"] = "Bearer"
        return response

    async def forbidden(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Forbidden)
        return error(403, exc.sentence)

    async def unknown(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, UnknownRelease)
        return error(404, exc.sentence)

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Refused)
        return error(404 if is_missing(exc) else 409, exc.sentence)

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        return error(503, str(exc))

    async def malformed(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = list(exc.errors())
        sentence = sentence_of_errors(
            [{**e, "loc": tuple(e.get("loc", ()))[1:]} for e in errors], _what(errors)
        )
        detail = jsonable_encoder(
            [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in errors]
        )
        return error(422, sentence, detail=detail)

    async def invalid_model(request: Request, exc: Exception) -> JSONResponse:
        # A command's own validators, run as the body becomes the command.
        assert isinstance(exc, ValidationError)
        detail = jsonable_encoder(exc.errors(include_url=False, include_input=False))
        return error(422, sentence_of(exc), detail=detail)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        response = error(exc.status_code, str(exc.detail))
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error(
            500,
            f"Something went wrong on the server ({type(exc).__name__}); it has been logged. "
            "Please try again, and report it if it persists.",
        )

    app.add_exception_handler(BadRequest, bad_request)
    app.add_exception_handler(UsageError, bad_request)
    app.add_exception_handler(Unauthenticated, unauthenticated)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(UnknownRelease, unknown)
    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(Unavailable, unavailable)
    app.add_exception_handler(RequestValidationError, malformed)
    app.add_exception_handler(ValidationError, invalid_model)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


def _what(errors: list[Any]) -> str:
    """What was malformed: the body ("request body") or the query ("query")."""
    where = {str(next(iter(e.get("loc", ("body",))))) for e in errors}
    return "request body" if where <= {"body"} else "request"
