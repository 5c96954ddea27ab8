"""Password sign-in for the browser: `POST /login` opens a web session, `POST /logout` ends it.

The session cookie is HttpOnly, SameSite=Lax, Path=/, and Secure unless the front door is
reached as localhost; `/login` answers the session's CSRF token, which every state-changing
request made with the cookie must carry (`frontdoor.auth`). Failed sign-ins are rate-limited per
login and per address by the directory (429 with Retry-After).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from frontdoor.auth import SESSION_COOKIE, DirectoryAuthenticator, check_csrf
from frontdoor.auth_api import CurrentPrincipal, Unauthenticated
from frontdoor.directory import TOKEN_PREFIX, Directory, TooManyFailures
from frontdoor.directory_admin import record_change, revoke_presented_token
from frontdoor.errors import BadRequest, error
from frontdoor.models import Answer, ErrorAnswer
from schemas.principal import Principal


class SignedIn(Answer):
    """The session's CSRF token: send it as `X-CSRF-Token` with every form post."""

    csrf_token: str


class SignedOut(Answer):
    signed_out: str


class RevokedToken(Answer):
    """The API token the request presented, now revoked: it no longer works."""

    revoked: str
    login: str


class NewApiToken(Answer):
    """An API token for the signed-in principal: shown once, sent as `Authorization: Bearer`."""

    id: str
    token: str
    login: str
    expires: datetime | None


DEFAULT_TOKEN_DAYS = 90


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorAnswer} for code in codes}


SESSION_TTL = timedelta(hours=12)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

router = APIRouter(tags=["session"])


async def _directory(request: Request) -> Directory | None:
    authenticator = request.app.state.authenticator
    if isinstance(authenticator, DirectoryAuthenticator):
        return await authenticator.ready()
    return None


async def _fields(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    fields: dict[str, Any]
    if content_type.startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise BadRequest(
                'The body is not JSON; send {"login": ..., "password": ...}.'
            ) from None
        fields = body if isinstance(body, dict) else {}
    else:
        fields = dict(await request.form())
    return fields


async def _credentials(request: Request) -> tuple[str, str]:
    fields = await _fields(request)
    login, password = fields.get("login"), fields.get("password")
    if not isinstance(login, str) or not isinstance(password, str) or not login or not password:
        raise BadRequest("Send a login and a password (form fields or JSON).")
    return login.strip().lower(), password


async def _signed_in(request: Request, directory: Directory) -> Principal | JSONResponse:
    """The principal a login and password in the request name, or the answer refusing them
    (401 wrong, 429 with Retry-After after too many failures for the login or the address)."""
    name, password = await _credentials(request)
    address = request.client.host if request.client else None
    try:
        principal = await directory.password_sign_in(name, password, address)
    except TooManyFailures as exc:
        response = error(429, str(exc))
        response.headers["Retry-After"] = str(exc.seconds)
        return response
    if principal is None:
        return error(401, "The login or the password is wrong.")
    return principal


@router.post(
    "/login",
    summary="Sign in with a password; sets the session cookie",
    response_model=SignedIn,
    responses=_errors(400, 401, 404, 422, 429),
)
async def login(request: Request) -> JSONResponse:
    directory = await _directory(request)
    if directory is None:
        return error(404, "Password sign-in is not available on this front door.")
    principal = await _signed_in(request, directory)
    if isinstance(principal, JSONResponse):
        return principal
    session = await directory.new_session(principal.login, SESSION_TTL)
    response = JSONResponse({"csrf_token": session.csrf_token})
    response.set_cookie(
        SESSION_COOKIE,
        session.cookie,
        max_age=int(SESSION_TTL.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=(request.url.hostname or "") not in LOCAL_HOSTS,
    )
    return response


@router.post(
    "/logout",
    summary="End the web session (needs its CSRF token)",
    response_model=SignedOut,
    responses=_errors(401, 403),
)
async def logout(request: Request, principal: CurrentPrincipal) -> JSONResponse:
    directory = await _directory(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if directory is not None and cookie:
        await directory.end_session(cookie)
    response = JSONResponse({"signed_out": principal.login})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post(
    "/api/tokens",
    summary="Mint an API token for yourself (what `sec-release login` does)",
    description=(
        'Send `{"login", "password"}` (rate-limited as `/login` is), or call it from a web '
        "session with its CSRF token. A bearer token cannot mint another. `expires_days` "
        f"(1 to 365, default {DEFAULT_TOKEN_DAYS}) sets the expiry."
    ),
    status_code=201,
    response_model=NewApiToken,
    responses=_errors(400, 401, 403, 404, 429),
)
async def new_api_token(request: Request) -> JSONResponse:
    fields = await _fields(request)
    by_password = "login" in fields or "password" in fields
    cookie = request.cookies.get(SESSION_COOKIE)
    if not by_password and not cookie:
        raise Unauthenticated(
            'Sign in first: send {"login", "password"}, or call this from a web session '
            "(POST /login) with its CSRF token; a bearer token cannot mint another."
        )
    directory = await _directory(request)
    if directory is None:
        return error(404, "API tokens cannot be issued by this front door.")
    days = fields.get("expires_days", DEFAULT_TOKEN_DAYS)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
        raise BadRequest("expires_days is a whole number of days from 1 to 365.")
    if by_password:
        signed_in = await _signed_in(request, directory)
        if isinstance(signed_in, JSONResponse):
            return signed_in
        principal = signed_in
    else:
        found = await directory.session_principal(cookie) if cookie else None
        if found is None:
            raise Unauthenticated(
                "Sign in first: the session has ended; sign in again (POST /login)."
            )
        principal, csrf = found
        await check_csrf(request, csrf)
    minted = await directory.new_token(principal.login, days)
    answer = NewApiToken(
        id=minted.id, token=minted.token, login=principal.login, expires=minted.expires
    )
    return JSONResponse(answer.model_dump(mode="json"), status_code=201)


@router.delete(
    "/api/tokens/current",
    summary="Revoke the API token this request presents (what `sec-release logout` does)",
    description=(
        "Send the token as `Authorization: Bearer sr_...`; it stops working at once. A web "
        "session signs out with `POST /logout`; an OIDC bearer token expires on its own."
    ),
    response_model=RevokedToken,
    responses=_errors(400, 401, 404),
)
async def revoke_current_token(request: Request, principal: CurrentPrincipal) -> JSONResponse:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    token = credentials.strip()
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX):
        raise BadRequest(
            "This revokes the API token the request presents as `Authorization: Bearer "
            "sr_...`; a web session signs out with POST /logout, and an OIDC token expires on "
            "its own."
        )
    directory = await _directory(request)
    revoked = await revoke_presented_token(directory, token) if directory is not None else None
    if revoked is None:
        return error(404, "This front door did not issue the token presented.")
    record_change(
        f"{principal.login} ({principal.role.value}, API)", f"revoked their own token {revoked.id}"
    )
    answer = RevokedToken(revoked=revoked.id, login=principal.login)
    return JSONResponse(answer.model_dump(mode="json"))
