"""The directory's authenticator: API tokens, OIDC bearer JWTs and web sessions (ACCESS.md).

`DirectoryAuthenticator` implements `frontdoor.auth_api.Authenticator`:

- `Authorization: Bearer sr_...`: an API token, checked by the directory;
- `Authorization: Bearer <JWT>` (three dot-separated parts): verified against the configured
  OpenID Connect issuer (signature, issuer, audience, expiry), then matched to a directory entry;
- otherwise the `sec_release_session` cookie, a web session. A state-changing request
  authenticated by session cookie must carry the session's CSRF token (`X-CSRF-Token` header or
  `csrf_token` form field), else 403. Bearer requests need no CSRF token.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable

from fastapi import Request

from frontdoor.directory import TOKEN_PREFIX, Directory
from frontdoor.errors import Forbidden
from frontdoor.oidc import OidcClient, OidcError, match_principal
from schemas.principal import Principal

SESSION_COOKIE = "sec_release_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_BEARER = 8192


def _looks_like_jwt(token: str) -> bool:
    parts = token.split(".")
    return len(parts) == 3 and all(parts)


class DirectoryAuthenticator:
    """Who a request's credentials name, as the directory (and the OIDC issuer) say.

    Args:
        directory: the principals, tokens and sessions.
        oidc: the configured single sign-on provider, or None (then a JWT is refused).
        prepare: awaited once before the first request is checked (e.g. migrating the store).
    """

    def __init__(
        self,
        directory: Directory,
        oidc: OidcClient | None,
        *,
        prepare: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.directory = directory
        self.oidc = oidc
        self._prepare = prepare
        self._prepared = False
        self._lock = asyncio.Lock()

    async def ready(self) -> Directory:
        """The directory, once the store is prepared."""
        if not self._prepared:
            async with self._lock:
                if not self._prepared and self._prepare is not None:
                    await self._prepare()
                self._prepared = True
        return self.directory

    async def authenticate(self, request: Request) -> Principal | None:
        directory = await self.ready()
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme:
            if scheme.lower() != "bearer":
                return None
            token = credentials.strip()
            if not token or len(token) > MAX_BEARER:
                return None
            if token.startswith(TOKEN_PREFIX):
                return await directory.principal_for_token(token)
            if _looks_like_jwt(token):
                return await self._jwt_principal(token)
            return None
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        found = await directory.session_principal(cookie)
        if found is None:
            return None
        principal, csrf = found
        if request.method not in SAFE_METHODS:
            await check_csrf(request, csrf)
        return principal

    async def _jwt_principal(self, token: str) -> Principal | None:
        if self.oidc is None:
            return None
        try:
            claims = await self.oidc.verify_bearer_jwt(token)
        except OidcError:  # includes OidcUnavailable: no keys, no trust
            return None
        return await match_principal(self.directory, claims)


async def check_csrf(request: Request, expected: str) -> None:
    """Refuse (403) a state-changing request that does not carry the session's CSRF token."""
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            field = form.get(CSRF_FIELD)
            given = field if isinstance(field, str) else None
    if not given or not secrets.compare_digest(given.encode(), expected.encode()):
        raise Forbidden(
            "This request needs the session's CSRF token; send it in the X-CSRF-Token header "
            "(or the csrf_token form field), as returned by POST /login."
        )
