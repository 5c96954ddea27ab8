"""A small client for the front door's HTTP API (ACCESS.md), as the CLI uses it.

One request per process, and importing a client costs more than sending the request: httpx
(with its SSL context loaded from certifi's CA bundle even for plain http) cost more than 100 ms
of a `status` that took a few hundred, and even the standard library's `http.client` loads
`ssl` and the `email` package (which compiles dozens of regular expressions as it loads), about
as much as every other import of `status` together (bench/README.md, `cli_latency`). So a plain
`http://` front door (the local one, or one on the same network) is asked in HTTP/1.0 over a
socket, which needs none of that: one request, `Connection: close`, the answer read to the end
of the connection (so it needs no chunked decoding: a server answers HTTP/1.0 without it).
`https://` goes through `http.client` and `ssl`, the default context verifying the
certificate. No redirect is followed (as httpx does by default): a 3xx is an answer like any
other that is not 2xx. Answers map onto the CLI's contract
(CLI.md): 2xx is the result; 403, 404 and 409 are refusals (exit 1, the front door's sentence);
401 names `sec-release login`; 400 and 422 are usage errors (exit 2); a front door that does not
answer names `make run` / `sec-release up` / SEC_RELEASE_URL. Nothing here imports Temporal.
"""

from __future__ import annotations

import json
import socket
import urllib.parse
from collections.abc import Mapping
from typing import Any, NamedTuple

from rules.errors import Refused
from starter.errors import Unavailable, UsageError

TIMEOUT_SECONDS = 60.0  # a lifecycle command waits for the workflow's Update


# Named tuples rather than dataclasses: `dataclasses` (with `inspect`) would be the biggest
# import left on the path of `status` (bench/README.md, `cli_latency`).
class Answer(NamedTuple):
    """A successful answer: its status, and its JSON (or text, for a document)."""

    status: int
    data: Any
    text: str


class Unauthorized(Refused):
    """The front door did not accept the credentials (401): refused, exit 1."""


class FrontDoor(NamedTuple):
    """The front door at `url`, called with `token` (an API token), if any."""

    url: str
    token: str | None = None

    def with_token(self, token: str | None) -> FrontDoor:
        return FrontDoor(self.url, token)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Answer:
        """Send one request; the answer, or the refusal as the CLI's exceptions.

        Raises:
            Refused: 403, 404, 409, 413, 429 or 5xx, with the front door's sentence.
            UsageError: 400 or 422 (the request itself was wrong), or `url` is not http(s).
            Unauthorized: 401.
            Unavailable: no front door answers at `url`.
        """
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        query = {k: _param(v) for k, v in (params or {}).items() if v not in (None, False)}
        url = self.url.rstrip("/") + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        target = urllib.parse.urlsplit(url)
        try:
            host, port = target.hostname, target.port
        except ValueError:  # a port that is not a number
            host, port = None, None
        if target.scheme not in ("http", "https") or not host:
            raise UsageError(
                f"{self.url!r} is not the URL of a front door; give one such as "
                "http://127.0.0.1:8000 (--url or SEC_RELEASE_URL)"
            )
        # Spaces and control characters are escaped, so nothing typed (a release id, say) can
        # end the request line or add a header of its own; a token cannot either.
        path_part = urllib.parse.quote(target.path or "/", safe="/%:@!$&'()*+,;=~-._")
        query_part = urllib.parse.quote(target.query, safe="/%:@!$&'()*+,;=~-._?")
        selector = path_part + (f"?{query_part}" if query_part else "")
        if any(ch in value for value in headers.values() for ch in "\r\n\0"):
            raise UsageError(
                "The token holds a line break or a NUL, which no token does; "
                "log in again (`sec-release login`) or set SEC_RELEASE_TOKEN to the token as issued"
            )
        headers["Connection"] = "close"
        try:
            if target.scheme == "https":
                code, kind, content = _https(host, port, method, selector, headers, data)
            else:
                code, kind, content = _http(host, port, method, selector, headers, data)
        except OSError as exc:  # refused, reset, timed out, or not an HTTP answer
            if target.scheme == "https" and _tls_refused(exc):
                raise Unavailable(
                    f"The front door at {self.url} answered, but its certificate could not be "
                    f"verified ({_tls_reason(exc)}). If it uses a private certificate "
                    "authority, point SSL_CERT_FILE at that authority's certificate (PEM); "
                    "check the host name in the URL too."
                ) from None
            if isinstance(exc, TimeoutError):
                raise Unavailable(
                    f"The front door at {self.url} did not answer within "
                    f"{TIMEOUT_SECONDS:.0f} s; try again, or check that its worker is running."
                ) from None
            raise Unavailable(
                f"No front door answers at {self.url} ({type(exc).__name__}); start one with "
                "`make run` (or `sec-release up`), or point SEC_RELEASE_URL (or --url) at the "
                "one you use."
            ) from None
        return _answer(code, kind, content)

    def get(self, path: str, **params: Any) -> Answer:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any, **params: Any) -> Answer:
        return self.request("POST", path, params=params, body=body)


class NotHttp(OSError):
    """What came back was not an HTTP answer."""


def _http(
    host: str,
    port: int | None,
    method: str,
    selector: str,
    headers: dict[str, str],
    data: bytes | None,
) -> tuple[int, str, bytes]:
    """One HTTP/1.0 exchange over a socket: the status, the Content-Type and the body."""
    lines = [f"{method} {selector} HTTP/1.0", f"Host: {_host_header(host, port, 80)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if data is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(data or b'')}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (data or b"")
    with socket.create_connection((host, port or 80), timeout=TIMEOUT_SECONDS) as connection:
        connection.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received and (chunk := connection.recv(65536)):
            received += chunk
        head, separator, body = received.partition(b"\r\n\r\n")
        status, *fields = head.decode("latin-1").split("\r\n")
        version, _, rest = status.partition(" ")
        code = rest[:3]
        if not separator or not version.startswith("HTTP/") or not code.isdigit():
            raise NotHttp(f"not an HTTP answer: {status[:80]!r}")
        found: dict[str, str] = {}
        for field in fields:
            name, _, value = field.partition(":")
            found[name.strip().lower()] = value.strip()
        # The body ends after Content-Length bytes, else where the server closes the connection.
        length = found.get("content-length", "")
        wanted = int(length) if length.isdigit() else None
        parts, size = [body], len(body)
        while wanted is None or size < wanted:
            chunk = connection.recv(65536)
            if not chunk:
                break
            parts.append(chunk)
            size += len(chunk)
    body = b"".join(parts)
    if wanted is not None and size < wanted:
        raise NotHttp(f"the answer ended after {size} of its {wanted} bytes")
    return int(code), found.get("content-type", ""), body if wanted is None else body[:wanted]


def _https(
    host: str,
    port: int | None,
    method: str,
    selector: str,
    headers: dict[str, str],
    data: bytes | None,
) -> tuple[int, str, bytes]:
    """One exchange over TLS, with `http.client` (and `ssl`'s default, verifying, context)."""
    import http.client

    connection = http.client.HTTPSConnection(host, port, timeout=TIMEOUT_SECONDS)
    try:
        connection.request(method, selector, body=data, headers=headers)
        with connection.getresponse() as response:
            return response.status, response.headers.get("content-type", ""), response.read()
    except http.client.HTTPException as exc:
        raise NotHttp(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()


def _tls_refused(exc: OSError) -> bool:
    """Whether the TLS handshake failed (`ssl` is loaded by then: only https reaches it)."""
    import ssl

    return isinstance(exc, ssl.SSLCertVerificationError)


def _tls_reason(exc: OSError) -> str:
    reason = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or exc
    return str(reason)[:200]


def _host_header(host: str, port: int | None, default: int) -> str:
    shown = f"[{host}]" if ":" in host else host  # an IPv6 address
    return shown if port in (None, default) else f"{shown}:{port}"


def _charset(kind: str) -> str | None:
    """The charset a Content-Type names (lower case, as `email.message` reads it), if any."""
    for parameter in kind.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower() or None
    return None


def _param(value: Any) -> str:
    if value is True:
        return "true"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _sentence(code: int, text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    shown = text.strip()[:300]
    return f"The front door answered {code}" + (f": {shown}" if shown else ".")


def _answer(code: int, kind: str, content: bytes) -> Answer:
    charset = _charset(kind) or "utf-8"
    text = content.decode(charset, errors="replace")
    if 200 <= code < 300:
        if kind.startswith("application/json"):
            return Answer(code, json.loads(text), text)
        return Answer(code, None, text)
    sentence = _sentence(code, text)
    if code == 401:
        raise Unauthorized(sentence)
    if code in (400, 422):
        raise UsageError(sentence)
    raise Refused(sentence)
