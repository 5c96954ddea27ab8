"""Single sign-on and bearer JWTs through an OpenID Connect provider (ACCESS.md, Authentication).

`OidcClient` is built once by the front door from the `Settings` (issuer, client id and secret,
audience, redirect URL). It

- verifies a bearer JWT (`verify_bearer_jwt`): the signature against the issuer's JWKS (found
  through its discovery document, cached, fetched again once when a token names a key id it has
  not seen: the provider rotated its keys), then the issuer, the audience and the expiry. Only
  asymmetric algorithms are accepted: a token signed with `none` or an HMAC secret is refused
  before any key is looked at, so the public key can never be used as an HMAC secret;
- runs the authorization-code flow with PKCE: `authorization_url(...)` to send the browser to,
  `exchange_code(...)` to turn the code the browser brings back into the verified ID token's
  claims (signature, issuer, audience = client id, expiry, nonce);
- matches claims to a directory principal (`match_principal`): by subject, else by a verified
  email address (the subject is then remembered), else nobody.

Every refusal is an `OidcError` whose message is one sentence, with no token in it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import jwt

from frontdoor.directory import Directory
from schemas.principal import Principal
from settings import Settings

# Asymmetric algorithms only: never `none`, never HS* (whose "secret" would be a public key).
ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
LEEWAY_SECONDS = 60  # clock skew tolerated on exp / iat / nbf
JWKS_TTL_SECONDS = 300.0
REFETCH_COOLDOWN_SECONDS = 10.0  # unknown key ids cannot make us fetch the JWKS on every request
MAX_TOKEN_LENGTH = 16 * 1024
SCOPES = "openid email profile"


class OidcError(Exception):
    """A token or a sign-in that is refused; the message is one sentence for a person."""


class OidcUnavailable(OidcError):
    """The provider did not answer as OpenID Connect says it should."""


class OidcNotConfigured(OidcError):
    """Single sign-on was asked for but the settings do not name a provider."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_code_verifier() -> str:
    """A fresh PKCE code verifier (43 characters of the unreserved alphabet, RFC 7636)."""
    return secrets.token_urlsafe(32)


def code_challenge(code_verifier: str) -> str:
    """The S256 challenge of a PKCE code verifier."""
    return _b64url(hashlib.sha256(code_verifier.encode("ascii")).digest())


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(url)):
        return url
    raise OidcUnavailable(f"The provider's {what} {url!r} is not https; it is refused.")


@dataclass
class _Cached:
    value: dict[str, Any]
    fetched: float


class OidcClient:
    """One OpenID Connect provider, as the settings name it.

    Args:
        settings: `oidc_issuer` and `oidc_client_id` at least; `oidc_audience` (default: the
            client id) for bearer JWTs; `oidc_client_secret` and `oidc_redirect_url` for sign-in.
        http: the HTTP client to reach the provider with (a new one per call when None).
        clock: seconds, monotonic, for the caches.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        http: httpx.AsyncClient | None = None,
        jwks_ttl: float = JWKS_TTL_SECONDS,
        refetch_cooldown: float = REFETCH_COOLDOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not settings.oidc_issuer or not settings.oidc_client_id:
            raise OidcNotConfigured(
                "Single sign-on is not configured; set OIDC_ISSUER and OIDC_CLIENT_ID."
            )
        self.issuer = settings.oidc_issuer.rstrip("/")
        _check_url(self.issuer, "issuer")
        self.client_id = settings.oidc_client_id
        self.audience = settings.oidc_audience or settings.oidc_client_id
        secret = settings.oidc_client_secret
        self._client_secret = secret.get_secret_value() if secret is not None else None
        self.redirect_url = settings.oidc_redirect_url
        self._http = http
        self._jwks_ttl = jwks_ttl
        self._refetch_cooldown = refetch_cooldown
        self._clock = clock
        self._discovery: _Cached | None = None
        self._jwks: _Cached | None = None

    # -- the provider's documents -------------------------------------------------------------

    async def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            if self._http is not None:
                response = await self._http.get(url, timeout=10.0)
            else:
                async with httpx.AsyncClient() as http:
                    response = await http.get(url, timeout=10.0)
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OidcUnavailable(
                f"The sign-in provider's {what} could not be read from {url} "
                f"({type(exc).__name__})."
            ) from None
        if not isinstance(body, dict):
            raise OidcUnavailable(f"The sign-in provider's {what} at {url} is not a JSON object.")
        return body

    async def discovery(self) -> dict[str, Any]:
        """The provider's discovery document (cached); its issuer must be the configured one."""
        now = self._clock()
        if self._discovery is None or now - self._discovery.fetched > self._jwks_ttl:
            url = f"{self.issuer}/.well-known/openid-configuration"
            document = await self._get_json(url, "discovery document")
            if str(document.get("issuer", "")).rstrip("/") != self.issuer:
                raise OidcUnavailable(
                    f"The discovery document at {url} names another issuer; it is refused."
                )
            self._discovery = _Cached(document, now)
        return self._discovery.value

    async def _endpoint(self, name: str) -> str:
        value = (await self.discovery()).get(name)
        if not isinstance(value, str) or not value:
            raise OidcUnavailable(f"The provider's discovery document has no {name}.")
        return _check_url(value, name)

    async def _keys(self, *, refresh: bool = False) -> list[dict[str, Any]]:
        now = self._clock()
        stale = self._jwks is None or now - self._jwks.fetched > self._jwks_ttl
        may_refresh = self._jwks is None or now - self._jwks.fetched >= self._refetch_cooldown
        if stale or (refresh and may_refresh):
            jwks = await self._get_json(await self._endpoint("jwks_uri"), "key set (JWKS)")
            self._jwks = _Cached(jwks, now)
        assert self._jwks is not None
        keys = self._jwks.value.get("keys")
        return [k for k in keys if isinstance(k, dict)] if isinstance(keys, list) else []

    async def _signing_key(self, kid: str | None, alg: str) -> jwt.PyJWK:
        def pick(keys: list[dict[str, Any]]) -> dict[str, Any] | None:
            usable = [k for k in keys if k.get("use", "sig") == "sig"]
            if kid is None:
                return usable[0] if len(usable) == 1 else None
            return next((k for k in usable if k.get("kid") == kid), None)

        found = pick(await self._keys())
        if found is None:  # a key id not seen yet: the provider may have rotated its keys
            found = pick(await self._keys(refresh=True))
        if found is None:
            raise OidcError("The token is signed with a key the issuer does not publish.")
        if found.get("alg", alg) != alg:
            raise OidcError("The token's algorithm does not match its signing key.")
        try:
            return jwt.PyJWK(found, algorithm=alg)
        except jwt.PyJWKError:
            raise OidcError("The token's algorithm does not match its signing key.") from None

    # -- verifying a JWT ----------------------------------------------------------------------

    async def _verify(self, token: str, audience: str, what: str) -> dict[str, Any]:
        if len(token) > MAX_TOKEN_LENGTH:
            raise OidcError(f"The {what} is too long to be a token.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise OidcError(f"The {what} is not a well-formed JWT.") from None
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise OidcError(
                f"The {what}'s algorithm {str(alg)[:20]!r} is not accepted; only asymmetric "
                "signatures (RS256, ES256, EdDSA, ...) are."
            )
        kid = header.get("kid")
        key = await self._signing_key(kid if isinstance(kid, str) else None, alg)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                audience=audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise OidcError(f"The {what} has expired; sign in again.") from None
        except jwt.InvalidAudienceError:
            raise OidcError(f"The {what} is not meant for this service (audience).") from None
        except jwt.InvalidIssuerError:
            raise OidcError(f"The {what} was issued by another issuer.") from None
        except jwt.InvalidSignatureError:
            raise OidcError(f"The {what}'s signature does not verify.") from None
        except jwt.ImmatureSignatureError:
            raise OidcError(f"The {what} is not valid yet.") from None
        except jwt.MissingRequiredClaimError as exc:
            raise OidcError(f"The {what} has no {exc.claim!r} claim.") from None
        except jwt.PyJWTError:
            raise OidcError(f"The {what} is not a valid JWT.") from None
        return claims

    async def verify_bearer_jwt(self, token: str) -> dict[str, Any]:
        """The claims of a bearer JWT from the issuer, for the configured audience.

        Raises:
            OidcError: refused (bad signature, issuer, audience, expiry, algorithm), one sentence.
            OidcUnavailable: the provider's discovery document or keys could not be read.
        """
        return await self._verify(token, self.audience, "token")

    # -- authorization code with PKCE ---------------------------------------------------------

    @property
    def sign_in_configured(self) -> bool:
        """Whether people can sign in through this provider (a client secret and a redirect URL
        are set, as well as the issuer and the client id)."""
        return bool(self._client_secret and self.redirect_url)

    def sealing_key(self) -> bytes:
        """32 bytes for sealing a pending sign-in in the browser: derived from the client
        secret (a server secret every front door of the deployment holds), never the secret."""
        secret, _redirect = self._sign_in_settings()
        return hmac.new(secret.encode(), b"sec-release: pending OIDC sign-in", "sha256").digest()

    def _sign_in_settings(self) -> tuple[str, str]:
        if not self._client_secret or not self.redirect_url:
            raise OidcNotConfigured(
                "Single sign-on is not configured; set OIDC_CLIENT_SECRET and OIDC_REDIRECT_URL."
            )
        return self._client_secret, self.redirect_url

    async def authorization_url(self, state: str, nonce: str, code_verifier: str) -> str:
        """Where to send the browser to sign in (keep `state`, `nonce` and `code_verifier` in
        the browser's pending sign-in; they are checked when it comes back)."""
        _secret, redirect_url = self._sign_in_settings()
        endpoint = await self._endpoint("authorization_endpoint")
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_url,
                "scope": SCOPES,
                "state": state,
                "nonce": nonce,
                "code_challenge": code_challenge(code_verifier),
                "code_challenge_method": "S256",
            }
        )
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    async def exchange_code(self, code: str, code_verifier: str, nonce: str) -> dict[str, Any]:
        """The verified ID token's claims for the code the browser brought back.

        Raises:
            OidcError: the provider refused the code, or the ID token does not verify (signature,
                issuer, audience = client id, expiry) or carries another nonce.
        """
        secret, redirect_url = self._sign_in_settings()
        endpoint = await self._endpoint("token_endpoint")
        methods = (await self.discovery()).get("token_endpoint_auth_methods_supported")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_url,
            "code_verifier": code_verifier,
        }
        auth: httpx.Auth = httpx.BasicAuth(self.client_id, secret)
        if isinstance(methods, list) and "client_secret_basic" not in methods:
            form |= {"client_id": self.client_id, "client_secret": secret}
            auth = httpx.Auth()  # no header: the secret is in the form (client_secret_post)
        try:
            if self._http is not None:
                response = await self._http.post(endpoint, data=form, auth=auth, timeout=10.0)
            else:
                async with httpx.AsyncClient() as http:
                    response = await http.post(endpoint, data=form, auth=auth, timeout=10.0)
        except httpx.HTTPError as exc:
            raise OidcUnavailable(
                f"The sign-in provider's token endpoint did not answer ({type(exc).__name__})."
            ) from None
        if response.status_code != 200:
            raise OidcError(
                f"The sign-in provider refused the sign-in code (HTTP {response.status_code}); "
                "start again."
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        id_token = body.get("id_token") if isinstance(body, dict) else None
        if not isinstance(id_token, str):
            raise OidcError("The sign-in provider answered without an ID token.")
        claims = await self._verify(id_token, self.client_id, "ID token")
        if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
            claims["nonce"], nonce
        ):
            raise OidcError("The ID token is not the answer to this sign-in (nonce).")
        aud = claims.get("aud")
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != self.client_id:
            raise OidcError("The ID token was issued to another client (azp).")
        return claims


async def match_principal(directory: Directory, claims: dict[str, Any]) -> Principal | None:
    """The directory principal these verified claims stand for, or None.

    By the subject first (linked before); else by the email address when the provider says it is
    verified and exactly one principal, not linked to another subject, has it; the subject is
    then linked, so a later change of email at the provider does not move the account. A
    disabled principal is never matched.
    """
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        return None
    entry = await directory.by_oidc_subject(subject)
    if entry is None:
        email = claims.get("email")
        if not isinstance(email, str) or claims.get("email_verified") is not True:
            return None
        candidates = [e for e in await directory.by_email(email) if e.oidc_subject is None]
        if len(candidates) != 1:
            return None
        entry = candidates[0]
        await directory.link_oidc_subject(entry.login, subject)
    return None if entry.disabled else entry.principal


def new_state() -> str:
    """A fresh `state` or `nonce` for one sign-in."""
    return secrets.token_urlsafe(24)


__all__ = [
    "ALGORITHMS",
    "OidcClient",
    "OidcError",
    "OidcNotConfigured",
    "OidcUnavailable",
    "code_challenge",
    "match_principal",
    "new_code_verifier",
    "new_state",
]
