"""The web app's pages: sign-in, the portfolio, a release, the inbox, the account, and acting.

Server-rendered HTML (Jinja2, `templates/web/`) that works without JavaScript. A page is read
with the web session (the cookie `/signin` sets; no session: a redirect to the sign-in page),
and every form post carries the session's CSRF token. Readings call the ops the CLI and the API
call (`starter.read_ops`); a command form goes `frontdoor.commands_api.issue`'s way, so the page
refuses what the API refuses, with the same sentence, and changes nothing when it does.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import ValidationError
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError

from frontdoor.auth import SESSION_COOKIE, DirectoryAuthenticator, check_csrf
from frontdoor.commands_api import issue
from frontdoor.directory import Directory, TooManyFailures
from frontdoor.errors import Forbidden, is_missing
from frontdoor.models import CreateReleaseBody
from frontdoor.oidc import (
    OidcError,
    OidcUnavailable,
    match_principal,
    new_code_verifier,
    new_state,
)
from frontdoor.session_routes import LOCAL_HOSTS, SESSION_TTL
from frontdoor.web import views
from frontdoor.web.assets import LIVE_SCRIPT
from frontdoor.web.forms import (
    CONFIRM_FIELD,
    FormProblem,
    FormSpec,
    form_at,
    forms_for,
    read_command,
)
from frontdoor.web.portfolio import (
    PANEL_READ_SECONDS,
    open_releases,
    portfolio_rows,
    unimplemented,
)
from frontdoor.web.sso import (
    PENDING_COOKIE,
    PENDING_PATH,
    PENDING_SECONDS,
    PendingSignIn,
    seal,
    sso_client,
    unseal,
)
from rules.permissions import check_usage
from schemas.commands import RELEASE_CREATE
from schemas.errors import Refused
from schemas.principal import Principal
from schemas.status import ReleaseStatus
from schemas.text import sentence_of
from schemas.vocabulary import PARTY_CATEGORIES
from starter.client import ReleaseClient
from starter.read_cmds import PHASES

SIGNIN_COOKIE = "sec_release_signin"
STYLESHEET = "/assets/web.css"
# The pages load nothing from elsewhere and run no script: the policy says so to the browser.
PAGE_HEADERS = {
    # ... but the site's own live refresh (`frontdoor.web.assets`), which reads this site only.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

router = APIRouter(include_in_schema=False)


class SignInNeeded(Exception):
    """A page asked for without a live web session: answered with a redirect to /signin."""


@dataclass(frozen=True)
class WebSession:
    """The signed-in person, their session's CSRF token and the directory."""

    principal: Principal
    csrf: str
    directory: Directory


@cache
def _environment() -> Environment:
    folder = Path(str(resources.files("templates"))) / "web"
    env = Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["stylesheet"] = STYLESHEET
    env.globals["live_script"] = LIVE_SCRIPT
    return env


def render(
    template: str, session: WebSession | None, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page from `templates/web/<template>`, with who is signed in and the CSRF token."""
    html = (
        _environment()
        .get_template(template)
        .render(
            me=session.principal if session else None,
            csrf=session.csrf if session else "",
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


async def _directory(request: Request) -> Directory | None:
    authenticator = request.app.state.authenticator
    if isinstance(authenticator, DirectoryAuthenticator):
        return await authenticator.ready()
    return None


async def web_session(request: Request) -> WebSession:
    """The web session of the request; a post must carry its CSRF token (else 403)."""
    directory = await _directory(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if directory is None or not cookie:
        raise SignInNeeded
    found = await directory.session_principal(cookie)
    if found is None:
        raise SignInNeeded
    principal, csrf = found
    if request.method == "POST":
        await check_csrf(request, csrf)
    return WebSession(principal, csrf, directory)


async def _releases(request: Request) -> ReleaseClient:
    deployment: ReleaseClient = await request.app.state.releases()
    return deployment


async def _posted(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _forbidden(session: WebSession, sentence: str) -> HTMLResponse:
    return render("error.html.j2", session, status_code=403, title="Not allowed", sentence=sentence)


def _not_found(session: WebSession, sentence: str) -> HTMLResponse:
    return render("error.html.j2", session, status_code=404, title="Not found", sentence=sentence)


# -- signing in and out ---------------------------------------------------------------------------


def _signin_page(
    request: Request,
    target: str,
    sentence: str = "",
    login: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    # A token of the sign-in form itself (double-submitted: cookie and field), so another site
    # cannot sign a browser in to an account of its choosing.
    token = secrets.token_urlsafe(24)
    response = render(
        "signin.html.j2",
        None,
        status_code=status_code,
        title="Sign in",
        next=target,
        sentence=sentence,
        login=login,
        signin_token=token,
        sso=sso_client(request) is not None,
    )
    response.set_cookie(
        SIGNIN_COOKIE, token, max_age=3600, path="/signin", httponly=True, samesite="strict"
    )
    return response


def _signed_in(request: Request, cookie: str, target: str) -> RedirectResponse:
    """The answer that opens a web session (the same for a password and for single sign-on)."""
    signed_in = RedirectResponse(target, status_code=303)
    signed_in.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(SESSION_TTL.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    signed_in.delete_cookie(SIGNIN_COOKIE, path="/signin")
    return signed_in


def _secure(request: Request) -> bool:
    return (request.url.hostname or "") not in LOCAL_HOSTS


@router.get("/signin")
async def signin_form(request: Request, next: str | None = None) -> HTMLResponse:
    return _signin_page(request, _safe_next(next))


@router.post("/signin")
async def signin(request: Request) -> Response:
    posted = await _posted(request)
    target = _safe_next(posted.get("next"))
    login = posted.get("login", "").strip().lower()
    password = posted.get("password", "")
    expected = request.cookies.get(SIGNIN_COOKIE, "")
    given = posted.get("signin_token", "")
    if not expected or not secrets.compare_digest(expected.encode(), given.encode()):
        return _signin_page(
            request, target, "The sign-in form had expired; please sign in again.", login, 400
        )
    if not login or not password:
        return _signin_page(request, target, "Enter your login and your password.", login, 400)
    directory = await _directory(request)
    if directory is None:
        return _signin_page(request, target, "Password sign-in is not available here.", login, 404)
    address = request.client.host if request.client else None
    try:
        principal = await directory.password_sign_in(login, password, address)
    except TooManyFailures as exc:
        response = _signin_page(request, target, exc.sentence, login, 429)
        response.headers["Retry-After"] = str(exc.seconds)
        return response
    if principal is None:
        return _signin_page(request, target, "The login or the password is wrong.", login, 401)
    session = await directory.new_session(principal.login, SESSION_TTL)
    return _signed_in(request, session.cookie, target)


# -- signing in with your organisation (OIDC) -----------------------------------------------------


def _sso_refused(request: Request, target: str, sentence: str, status_code: int) -> HTMLResponse:
    """The sign-in page with the sentence; the pending sign-in is spent either way."""
    response = _signin_page(request, target, sentence, "", status_code)
    response.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
    return response


@router.get("/login/oidc")
async def sso_start(request: Request, next: str | None = None) -> Response:
    target = _safe_next(next)
    oidc = sso_client(request)
    if oidc is None:
        return _signin_page(
            request, target, "Signing in with your organisation is not set up here.", "", 404
        )
    pending = PendingSignIn(new_state(), new_state(), new_code_verifier(), target)
    try:
        url = await oidc.authorization_url(pending.state, pending.nonce, pending.verifier)
    except OidcError as exc:
        return _sso_refused(request, target, str(exc), 502)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        seal(oidc, pending),
        max_age=PENDING_SECONDS,
        path=PENDING_PATH,
        httponly=True,
        samesite="lax",  # it must come back with the provider's top-level redirect
        secure=_secure(request),
    )
    return response


@router.get("/login/oidc/callback")
async def sso_callback(request: Request) -> Response:
    q = request.query_params
    oidc = sso_client(request)
    directory = await _directory(request)
    if oidc is None or directory is None:
        return _signin_page(
            request, "/", "Signing in with your organisation is not set up here.", "", 404
        )
    pending = unseal(oidc, request.cookies.get(PENDING_COOKIE, ""))
    if pending is None:
        return _sso_refused(
            request,
            "/",
            "This sign-in with your organisation had expired or was not started in this "
            "browser; start again.",
            400,
        )
    target = pending.next
    given_state = q.get("state", "")
    if not secrets.compare_digest(given_state.encode(), pending.state.encode()):
        return _sso_refused(
            request,
            target,
            "The answer from your organisation is not for the sign-in this browser started "
            "(state); start again.",
            400,
        )
    if q.get("error"):
        reason = "".join(c for c in q["error"][:40] if c.isalnum() or c in "_-.")
        return _sso_refused(
            request,
            target,
            f"Your organisation did not sign you in (it answered {reason or 'an error'}).",
            401,
        )
    code = q.get("code", "")
    if not code or len(code) > 2048:
        return _sso_refused(
            request, target, "Your organisation's answer carried no sign-in code.", 400
        )
    try:
        claims = await oidc.exchange_code(code, pending.verifier, pending.nonce)
    except OidcUnavailable as exc:
        return _sso_refused(request, target, str(exc), 502)
    except OidcError as exc:
        return _sso_refused(request, target, str(exc), 401)
    principal = await match_principal(directory, claims)
    if principal is None:
        return _sso_refused(
            request,
            target,
            "Your organisation signed you in, but no one in the directory has that account "
            "(or it is disabled); ask SECAS to add you with your email address.",
            403,
        )
    session = await directory.new_session(principal.login, SESSION_TTL)
    signed_in = _signed_in(request, session.cookie, target)
    signed_in.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
    return signed_in


@router.post("/signout")
async def signout(request: Request) -> Response:
    session = await web_session(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await session.directory.end_session(cookie)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- the portfolio --------------------------------------------------------------------------------


def _filters(request: Request) -> tuple[dict[str, Any], str]:
    """The portfolio's filters (as `list`'s), read leniently: a bad one is named, not fatal."""
    q = request.query_params
    problem = ""
    phase = q.get("phase") or None
    if phase is not None and phase not in PHASES:
        problem, phase = f"There is no phase {phase[:30]!r}; showing every phase.", None
    kind = q.get("type") or None
    if kind not in (None, "system", "documentation"):
        problem, kind = "The type is system or documentation; showing both.", None
    days: dict[str, date | None] = {}
    for name in ("go_live_from", "go_live_to"):
        raw = q.get(name) or ""
        try:
            days[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            problem, days[name] = f"{raw[:20]!r} is not a date (YYYY-MM-DD); ignored.", None
    filters = {"phase": phase, "type": kind, "lapsed": q.get("lapsed") == "yes", **days}
    return filters, problem


async def _portfolio(
    request: Request,
    session: WebSession,
    *,
    status_code: int = 200,
    create_problem: str = "",
    create_values: dict[str, str] | None = None,
) -> HTMLResponse:
    filters, problem = _filters(request)
    deployment = await _releases(request)
    rows, today = await portfolio_rows(deployment, session.principal.actor(), filters)
    may_create = session.principal.actor().role in RELEASE_CREATE.roles
    year = _year(request, today.year)
    freezes: list[tuple[date, date, str]] | None = None
    try:
        view = await asyncio.wait_for(deployment.panel_view(), PANEL_READ_SECONDS)
        freezes = [(f.start, f.end, f.reason) for f in view.freezes]
    except (Refused, RPCError, WorkflowQueryFailedError, TimeoutError):
        pass  # the page says the freezes could not be read
    return render(
        "portfolio.html.j2",
        session,
        status_code=status_code,
        title="Portfolio",
        rows=rows,
        filters=filters,
        filter_problem=problem,
        phases=PHASES,
        may_create=may_create,
        create_problem=create_problem,
        create_values=create_values or {},
        year=year,
        months=views.year_calendar(year, freezes or [], {r.id for r in rows}),
        freezes_read=freezes is not None,
    )


def _year(request: Request, default: int) -> int:
    raw = request.query_params.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else default


@router.get("/")
async def portfolio(request: Request) -> HTMLResponse:
    return await _portfolio(request, await web_session(request))


@router.post("/releases")
async def create_release(request: Request) -> Response:
    from starter.ops import CreateOp

    session = await web_session(request)
    try:
        check_usage(RELEASE_CREATE, session.principal.actor().role)
    except Refused as exc:
        return _forbidden(session, exc.sentence)
    posted = await _posted(request)
    values = {
        "id": posted.get("id", "").strip(),
        "type": posted.get("type") or None,
        "go_live": posted.get("go_live") or None,
        "ad_hoc": posted.get("ad_hoc") == "yes",
    }
    try:
        body = CreateReleaseBody.model_validate(values)
    except ValidationError as exc:
        return await _portfolio(
            request,
            session,
            status_code=422,
            create_problem=sentence_of(exc, "release"),
            create_values=posted,
        )
    try:
        await CreateOp(body.id, body.go_live, body.type, body.ad_hoc).run(
            await _releases(request), session.principal.actor()
        )
    except Refused as exc:
        return await _portfolio(
            request, session, status_code=409, create_problem=exc.sentence, create_values=posted
        )
    return RedirectResponse(f"/releases/{quote(body.id)}", status_code=303)


# -- one release, and acting on it ----------------------------------------------------------------


async def _status(request: Request, session: WebSession, release_id: str) -> ReleaseStatus:
    from starter.read_ops import StatusOp

    read = await StatusOp(release_id).run(await _releases(request), session.principal.actor())
    return ReleaseStatus.model_validate(read.data)


async def _release_page(
    request: Request,
    session: WebSession,
    release_id: str,
    *,
    status_code: int = 200,
    problem: tuple[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    try:
        status = await _status(request, session, release_id)
    except Refused as exc:
        if is_missing(exc):
            return _not_found(session, exc.sentence)
        raise
    role = session.principal.actor().role
    cal = views.calendar_for(status.as_of.date())
    owed_by: dict[str, list[Any]] = {}
    for o in status.owed:
        owed_by.setdefault(o.role, []).append(o)
    done = request.query_params.get("done", "")
    forms = forms_for(role)
    return render(
        "release.html.j2",
        session,
        status_code=status_code,
        title=f"{status.name} ({status.id})",
        s=status,
        rag=views.rag(status, cal),
        next=views.next_deadline(status),
        freeze=views.in_freeze(status),
        chart=views.gantt(status),
        categories=PARTY_CATEGORIES,
        owed_by=owed_by,
        forms=forms,
        problem=problem,
        values=values or {},
        done=next((f for f in forms if f.anchor == done), None),
        # The form an inbox link opens (`?open=ANCHOR`): usable without script.
        opened=request.query_params.get("open", ""),
        audit=list(reversed(status.audit))[:100],
    )


@router.get("/releases/{release_id}")
async def release_page(request: Request, release_id: str) -> HTMLResponse:
    return await _release_page(request, await web_session(request), release_id)


@router.post("/releases/{release_id}/do/{words:path}")
async def act(request: Request, release_id: str, words: str) -> Response:
    session = await web_session(request)
    posted = await _posted(request)
    form = form_at(words, posted)
    if form is None:
        return _not_found(session, f"There is no command {words.replace('/', ' ')!r}.")
    role = session.principal.actor().role
    if not any(role in u.roles for u in form.leaf.usages):
        # The role table's own sentence, before anything typed is read (as the API does).
        try:
            check_usage(form.usage, role)
        except Refused as exc:
            return _forbidden(session, exc.sentence)
    refusal = await _try_issue(request, session, release_id, form, posted)
    if refusal is None:
        return RedirectResponse(
            f"/releases/{quote(release_id)}?done={form.anchor}#{form.anchor}", status_code=303
        )
    if isinstance(refusal, Response):
        return refusal
    return await _release_page(
        request,
        session,
        release_id,
        status_code=409 if refusal[1] == "refused" else 422,
        problem=(form.anchor, refusal[0]),
        values=posted,
    )


async def _try_issue(
    request: Request, session: WebSession, release_id: str, form: FormSpec, posted: dict[str, str]
) -> tuple[str, str] | Response | None:
    """Issue the form's command: None when accepted, else the sentence (or a whole answer)."""
    try:
        command = read_command(form, posted)
    except FormProblem as exc:
        return exc.sentence, "malformed"
    if form.confirm and posted.get(CONFIRM_FIELD) != "yes":
        return (
            f"This is a decision: tick “I confirm” to {form.usage.what}, then send it again.",
            "malformed",
        )
    try:
        await issue(await _releases(request), release_id, session.principal, command)
    except Forbidden as exc:
        return _forbidden(session, exc.sentence)
    except Refused as exc:
        if is_missing(exc):
            return _not_found(session, exc.sentence)
        return exc.sentence, "refused"
    return None


# -- the inbox ------------------------------------------------------------------------------------


async def _inbox_rows(deployment: ReleaseClient, session: WebSession) -> list[dict[str, Any]]:
    """What the principal's role owes, as `inbox` reads it; on a server without a visibility
    store (the time-skipping test server of a rehearsal), across the open releases the Panel
    knows (its register list) instead."""
    from starter.read_ops import InboxOp, inbox_rows

    actor = session.principal.actor()
    try:
        read = await InboxOp().run(deployment, actor)
    except RPCError as exc:
        if not unimplemented(exc):
            raise
        rows = await inbox_rows(deployment, actor.role.value, await open_releases(deployment))
        return [r.model_dump(mode="json") for r in rows]
    data: list[dict[str, Any]] = read.data
    return data


def inbox_anchor(forms: list[FormSpec], command: str, action: str) -> str:
    """The form that discharges an owed step: the one its command names (its flags deciding
    between usages of one command line), else the one whose words its action starts with."""
    named = [f for f in forms if command == f.leaf.words or command.startswith(f.leaf.words + " ")]
    flagged = [f for f in named if f.usage.flags and f.usage.flags in command]
    if flagged or named:
        return (flagged or named)[0].anchor
    return next(
        (f.anchor for f in forms if action.lower().startswith(f.usage.what.lower())), "owed"
    )


@router.get("/inbox")
async def inbox(request: Request) -> HTMLResponse:
    session = await web_session(request)
    role = session.principal.actor().role
    data = await _inbox_rows(await _releases(request), session)
    forms = forms_for(role)
    items = [
        {**row, "anchor": inbox_anchor(forms, str(row.get("command") or ""), str(row["action"]))}
        for row in data
    ]
    return render("inbox.html.j2", session, title="My inbox", items=items, role=role.value)


# -- my account: API tokens -----------------------------------------------------------------------


async def _account(
    session: WebSession, *, new_token: Any = None, problem: str = "", status_code: int = 200
) -> HTMLResponse:
    from activities.store import utc_now

    tokens = await session.directory.tokens_of(session.principal.login)
    now = utc_now()
    return render(
        "account.html.j2",
        session,
        status_code=status_code,
        title="My account",
        tokens=[(t, t.state(now)) for t in reversed(tokens)],
        new_token=new_token,
        problem=problem,
    )


@router.get("/account")
async def account(request: Request) -> HTMLResponse:
    return await _account(await web_session(request))


@router.post("/account/tokens")
async def new_token(request: Request) -> HTMLResponse:
    session = await web_session(request)
    posted = await _posted(request)
    raw = posted.get("expires_days", "").strip()
    try:
        days = int(raw) if raw else None
        token = await session.directory.new_token(session.principal.login, days)
    except ValueError:
        return await _account(
            session, problem="Expires after: a whole number of days.", status_code=422
        )
    except Refused as exc:
        return await _account(session, problem=exc.sentence, status_code=409)
    return await _account(session, new_token=token, status_code=201)


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: str) -> Response:
    session = await web_session(request)
    own = {t.id for t in await session.directory.tokens_of(session.principal.login)}
    if token_id not in own:
        return _not_found(session, "You have no token with that id.")
    await session.directory.revoke_token(token_id)
    return RedirectResponse("/account", status_code=303)


# -- the stylesheet -------------------------------------------------------------------------------


@cache
def _stylesheet() -> bytes:
    return (Path(str(resources.files("templates"))) / "web" / "web.css").read_bytes()


@router.get(STYLESHEET)
async def stylesheet() -> Response:
    return Response(
        _stylesheet(),
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
    )


def install(app: FastAPI) -> None:
    """Serve the pages on `app`; a page without a session redirects to the sign-in page."""

    async def sign_in_first(request: Request, exc: Exception) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            target = "/"
        return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)

    from frontdoor.web.assets import router as assets_router
    from frontdoor.web.documents import router as documents_router
    from frontdoor.web.users import router as users_router

    app.add_exception_handler(SignInNeeded, sign_in_first)
    app.include_router(router)
    app.include_router(documents_router)
    app.include_router(users_router)
    app.include_router(assets_router)
