"""A small but real OpenID Connect provider for the tests, on 127.0.0.1 in a thread.

It serves discovery, a JWKS of generated RSA keys (which a test can rotate), an authorization
endpoint that signs in one fixed user (`Issuer.user`: subject, email) at once, or refuses
with `Issuer.deny`, and sends the browser back with a code, and a token
endpoint that checks the client's secret and the PKCE verifier before it issues a signed ID token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLIENT_ID = "sec-release-web"
CLIENT_SECRET = "s3cret-of-the-front-door"
API_AUDIENCE = "sec-release-api"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Issuer:
    """The provider's state: its keys, pending codes, and the user it signs in."""

    url: str = ""
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    user: dict[str, Any] = field(
        default_factory=lambda: {
            "sub": "idp-user-0001",
            "email": "alice@panel.example",
            "email_verified": True,
            "name": "Alice",
        }
    )
    jwks_fetches: int = 0
    deny: str | None = None  # an OAuth error (e.g. access_denied) to answer instead of a code

    def add_key(self) -> str:
        kid = f"key-{len(self.keys) + 1}"
        self.keys[kid] = new_rsa_key()
        return kid

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
            keys.append(jwk | {"kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    def token(
        self,
        *,
        kid: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        **claims: Any,
    ) -> str:
        """A JWT as this issuer would sign it; keyword claims override (None removes one)."""
        kid = kid or next(iter(self.keys))
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.url,
            "aud": API_AUDIENCE,
            "sub": self.user["sub"],
            "iat": now,
            "exp": now + 300,
        }
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        return jwt.encode(payload, key or self.keys[kid], algorithm="RS256", headers={"kid": kid})


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests say what matters."""

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/.well-known/openid-configuration":
                self._json(
                    200,
                    {
                        "issuer": issuer.url,
                        "authorization_endpoint": f"{issuer.url}/authorize",
                        "token_endpoint": f"{issuer.url}/token",
                        "jwks_uri": f"{issuer.url}/jwks",
                        "response_types_supported": ["code"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "code_challenge_methods_supported": ["S256"],
                        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                    },
                )
            elif parts.path == "/jwks":
                issuer.jwks_fetches += 1
                self._json(200, issuer.jwks())
            elif parts.path == "/authorize":
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if (
                    query.get("response_type") != "code"
                    or query.get("client_id") != CLIENT_ID
                    or query.get("code_challenge_method") != "S256"
                ):
                    self._json(400, {"error": "invalid_request"})
                    return
                if issuer.deny:
                    back = urlencode({"error": issuer.deny, "state": query["state"]})
                else:
                    code = secrets.token_urlsafe(16)
                    issuer.codes[code] = query
                    back = urlencode({"code": code, "state": query["state"]})
                self.send_response(302)
                self.send_header("Location", f"{query['redirect_uri']}?{back}")
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self) -> None:
            if urlsplit(self.path).path != "/token":
                self._json(404, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                self._json(401, {"error": "invalid_client"})
                return
            pending = issuer.codes.pop(form.get("code", ""), None)
            if (
                pending is None
                or form.get("grant_type") != "authorization_code"
                or form.get("redirect_uri") != pending["redirect_uri"]
                or _challenge(form.get("code_verifier", "")) != pending["code_challenge"]
            ):
                self._json(400, {"error": "invalid_grant"})
                return
            id_token = issuer.token(aud=CLIENT_ID, nonce=pending["nonce"], **issuer.user)
            self._json(
                200, {"id_token": id_token, "access_token": "opaque", "token_type": "Bearer"}
            )

    return Handler


@contextmanager
def running_issuer() -> Iterator[Issuer]:
    """The provider, listening on a free port of 127.0.0.1 until the block ends."""
    issuer = Issuer()
    issuer.add_key()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(issuer))
    issuer.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
