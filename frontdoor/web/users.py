"""SECAS's user management in the web app (ACCESS.md: "SECAS may also manage users in the web
app"): the directory's users and service accounts, adding one, disabling and enabling one, and
issuing and revoking a login's API tokens (a new token shown once).

Every change goes through `frontdoor.directory` as `sec-release users` and `tokens` do (the same
checks, the same sentences), every post carries the session's CSRF token, any role but SECAS
gets 403 (a form posted by hand included), and every change leaves an audit line naming who made
it (`frontdoor.directory_admin.record_change`).
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontdoor.directory import NewToken
from frontdoor.directory_admin import enable, last_sign_ins, record_change
from frontdoor.web.pages import WebSession, _forbidden, _not_found, _posted, render, web_session
from schemas.errors import Refused
from schemas.principal import AccessRole
from starter.directory_cmds import DEFAULT_TOKEN_DAYS

router = APIRouter(include_in_schema=False)

ADD_FIELDS = ("login", "role", "kind", "name", "org", "email")
ONLY_SECAS = "Only SECAS may manage the users of the directory; your role may read the releases."


def _may_manage(session: WebSession) -> bool:
    return session.principal.role is AccessRole.SECAS


def _by(session: WebSession) -> str:
    return f"{session.principal.login} ({session.principal.role.value}, web app)"


async def _users_page(
    session: WebSession,
    *,
    status_code: int = 200,
    problem: str = "",
    values: dict[str, str] | None = None,
    added: str = "",
) -> HTMLResponse:
    entries = await session.directory.list_principals()
    signed_in = await last_sign_ins(session.directory)
    return render(
        "users.html.j2",
        session,
        status_code=status_code,
        title="Users",
        entries=entries,
        signed_in=signed_in,
        roles=[r.value for r in AccessRole],
        problem=problem,
        values=values or {},
        added=added,
    )


async def _user_page(
    session: WebSession,
    login: str,
    *,
    status_code: int = 200,
    problem: str = "",
    new_token: NewToken | None = None,
    done: str = "",
) -> HTMLResponse:
    from activities.store import utc_now

    try:
        entry = await session.directory.get(login)
    except Refused as exc:
        return _not_found(session, exc.sentence)
    tokens = await session.directory.tokens_of(login)
    now = utc_now()
    return render(
        "user.html.j2",
        session,
        status_code=status_code,
        title=f"User {login}",
        entry=entry,
        signed_in=(await last_sign_ins(session.directory)).get(login),
        tokens=[(t, t.state(now)) for t in reversed(tokens)],
        new_token=new_token,
        problem=problem,
        done=done,
        default_days=DEFAULT_TOKEN_DAYS,
        own=login == session.principal.login,
    )


async def _secas(request: Request) -> WebSession | HTMLResponse:
    """The SECAS session of the request (a post's CSRF token checked first), or the 403 page."""
    session = await web_session(request)
    if not _may_manage(session):
        return _forbidden(session, ONLY_SECAS)
    return session


@router.get("/users")
async def users(request: Request) -> HTMLResponse:
    session = await _secas(request)
    if isinstance(session, HTMLResponse):
        return session
    return await _users_page(session, added=request.query_params.get("added", "")[:40])


@router.post("/users")
async def add_user(request: Request) -> Response:
    session = await _secas(request)
    if isinstance(session, HTMLResponse):
        return session
    posted = await _posted(request)
    values = {k: posted.get(k, "").strip() for k in ADD_FIELDS}
    password = posted.get("password", "")
    kind = values["kind"] or "user"
    if kind not in ("user", "service"):
        return await _users_page(
            session,
            status_code=422,
            problem=f"{kind[:20]!r} is not a kind of principal; choose a user or a service account.",
            values=values,
        )
    if not values["role"]:
        return await _users_page(
            session, status_code=422, problem="Choose the role of the new login.", values=values
        )
    try:
        entry = await session.directory.add_user(
            values["login"].lower(),
            values["role"],
            name=values["name"],
            org=values["org"],
            email=values["email"],
            password=password or None,
            kind="service" if kind == "service" else "user",
        )
    except Refused as exc:
        return await _users_page(session, status_code=422, problem=exc.sentence, values=values)
    how = "a password for web sign-in" if entry.has_password else "no password"
    record_change(_by(session), f"added {entry.principal.kind} {entry.principal} with {how}")
    return RedirectResponse(f"/users?added={quote(entry.login)}", status_code=303)


@router.get("/users/{login}")
async def user(request: Request, login: str) -> HTMLResponse:
    session = await _secas(request)
    if isinstance(session, HTMLResponse):
        return session
    return await _user_page(session, login, done=request.query_params.get("done", "")[:20])


@router.post("/users/{login}/disable")
async def disable_user(request: Request, login: str) -> Response:
    return await _switch(request, login, enabled=False)


@router.post("/users/{login}/enable")
async def enable_user(request: Request, login: str) -> Response:
    return await _switch(request, login, enabled=True)


async def _switch(request: Request, login: str, *, enabled: bool) -> Response:
    """Enable or disable a login; SECAS cannot disable its own here."""
    session = await _secas(request)
    if isinstance(session, HTMLResponse):
        return session
    if not enabled and login == session.principal.login:
        return await _user_page(
            session,
            login,
            status_code=409,
            problem="You cannot disable your own login here (you would be signed out for good); "
            "another SECAS user, or `sec-release users disable` where the store is, can.",
        )
    done = "enabled" if enabled else "disabled"
    try:
        entry = await (
            enable(session.directory, login) if enabled else session.directory.disable(login)
        )
    except Refused as exc:
        return _not_found(session, exc.sentence)
    record_change(_by(session), f"{done} {entry.principal}")
    return RedirectResponse(f"/users/{quote(login)}?done={done}", status_code=303)


@router.post("/users/{login}/tokens")
async def issue_token(request: Request, login: str) -> HTMLResponse:
    session = await _secas(request)
    if isinstance(session, HTMLResponse):
        return session
    raw = (await _posted(request)).get("expires_days", "").strip()
    if raw and not raw.isdigit():
        return await _user_page(
            session,
            login,
            status_code=422,
            problem=f"Expires after: {raw[:20]!r} is not a whole number of days; give 1 to 3650.",
        )
    try:
        await session.directory.get(login)
    except Refused as exc:
        return _not_found(session, exc.sentence)
    try:
        token = await session.directory.new_token(login, int(raw) if raw else DEFAULT_TOKEN_DAYS)
    except Refused as exc:
        return await _user_page(session, login, status_code=409, problem=exc.sentence)
    until = token.expires.strftime("%Y-%m-%d") if token.expires else "never"
    record_change(_by(session), f"issued token {token.id} for {login} (expires {until})")
    return await _user_page(session, login, status_code=201, new_token=token)


@router.post("/users/{login}/tokens/{token_id}/revoke")
async def revoke_user_token(request: Request, login: str, token_id: str) -> Response:
    session = await _secas(request)
    if isinstance(session, HTMLResponse):
        return session
    try:
        held = {t.id for t in await session.directory.tokens_of(login)}
    except Refused as exc:
        return _not_found(session, exc.sentence)
    if token_id not in held:
        return _not_found(
            session,
            f"{login} has no token {token_id[:30]!r}; their tokens are listed on their page.",
        )
    await session.directory.revoke_token(token_id)
    record_change(_by(session), f"revoked token {token_id} of {login}")
    return RedirectResponse(f"/users/{quote(login)}?done=revoked", status_code=303)
