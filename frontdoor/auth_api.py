"""Who is calling: the `Authenticator` the front door asks, and the `principal` dependency.

The front door does not know how credentials are checked (API tokens, session cookies, OIDC
JWTs live in `frontdoor.directory` and `frontdoor.oidc`): it is given an `Authenticator` and
asks it for the principal of each request. No principal means 401, whatever the route.
"""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from schemas.principal import Principal


class Authenticator(Protocol):
    """Finds the principal a request's credentials name (bearer token, session cookie)."""

    async def authenticate(self, request: Request) -> Principal | None:
        """The authenticated principal, or None for missing, unknown, expired or revoked
        credentials (the front door answers 401 without saying which)."""
        ...


class NoCredentialsAccepted:
    """An authenticator that accepts nobody: the front door fails closed until one is wired."""

    async def authenticate(self, request: Request) -> Principal | None:
        return None


class Unauthenticated(Exception):
    """No valid credentials: answered 401 with `WWW-Authenticate: Bearer`."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


async def current_principal(request: Request) -> Principal:
    """The caller, as the app's authenticator established it; 401 otherwise."""
    authenticator: Authenticator = request.app.state.authenticator
    principal = await authenticator.authenticate(request)
    if principal is None:
        raise Unauthenticated(
            "Sign in first: send `Authorization: Bearer TOKEN` with a token from "
            "`sec-release tokens new LOGIN` (or `sec-release login`), or use a session."
        )
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
