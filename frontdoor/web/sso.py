"""Signing in with your organisation (OIDC authorization code with PKCE) from the web app.

`GET /login/oidc` starts a sign-in: a fresh `state`, `nonce` and PKCE code verifier are sealed
into a short-lived cookie (`PENDING_COOKIE`, HttpOnly, SameSite=Lax, Path=/login/oidc, ten
minutes) and the browser is sent to the provider. The seal is Fernet (AES-128-CBC with an
HMAC-SHA256 and a timestamp) under a key derived from the OIDC client secret, so the browser can
neither read the verifier nor forge or prolong a pending sign-in, and every front door of one
deployment can open what another sealed (no server-side state). `GET /login/oidc/callback` opens
it (once: the cookie is cleared on every answer), compares the `state`, exchanges the code with
the verifier, checks the ID token's nonce, matches the principal (`frontdoor.oidc.match_principal`)
and opens the web session exactly as the password sign-in does.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from fastapi import Request

from frontdoor.auth import DirectoryAuthenticator
from frontdoor.oidc import OidcClient

PENDING_COOKIE = "sec_release_oidc"
PENDING_PATH = "/login/oidc"
PENDING_SECONDS = 600


@dataclass(frozen=True)
class PendingSignIn:
    """What the browser's sign-in started with: checked when it comes back."""

    state: str
    nonce: str
    verifier: str
    next: str


def sso_client(request: Request) -> OidcClient | None:
    """The provider people may sign in through, or None when single sign-on is not set up."""
    authenticator = request.app.state.authenticator
    if not isinstance(authenticator, DirectoryAuthenticator):
        return None
    oidc = authenticator.oidc
    return oidc if oidc is not None and oidc.sign_in_configured else None


def _fernet(oidc: OidcClient) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(oidc.sealing_key()))


def seal(oidc: OidcClient, pending: PendingSignIn) -> str:
    body = {"s": pending.state, "n": pending.nonce, "v": pending.verifier, "x": pending.next}
    return _fernet(oidc).encrypt(json.dumps(body).encode()).decode("ascii")


def unseal(oidc: OidcClient, sealed: str) -> PendingSignIn | None:
    """The pending sign-in, or None when the cookie is missing, altered or older than ten
    minutes."""
    if not sealed or len(sealed) > 4096:
        return None
    try:
        raw = _fernet(oidc).decrypt(sealed.encode("ascii"), ttl=PENDING_SECONDS)
        body = json.loads(raw)
        return PendingSignIn(str(body["s"]), str(body["n"]), str(body["v"]), str(body["x"]))
    except (InvalidToken, ValueError, KeyError, TypeError, UnicodeEncodeError):
        return None
