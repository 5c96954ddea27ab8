"""A small client for the front door's HTTP API (ACCESS.md), as the CLI uses it.

One request per process, so the standard library's `http.client`: importing httpx and building
its client (an SSL context loaded with certifi's CA bundle even for plain http) cost more than
100 ms of a `status` that takes a few hundred, and `urllib.request` on top of `http.client` a few
more (bench/README.md). No redirect is followed (as httpx does by default): a 3xx is an answer
like any other that is not 2xx. Answers map onto the CLI's contract
(CLI.md): 2xx is the result; 403, 404 and 409 are refusals (exit 1, the front door's sentence);
401 names `sec-release login`; 400 and 422 are usage errors (exit 2); a front door that does not
answer names `make run` / `sec-release up` / SEC_RELEASE_URL. Nothing here imports Temporal.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Mapping
from email.message import Message
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
        connection = (
            http.client.HTTPSConnection(host, port, timeout=TIMEOUT_SECONDS)
            if target.scheme == "https"
            else http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
        )
        selector = (target.path or "/") + (f"?{target.query}" if target.query else "")
        headers["Connection"] = "close"
        try:
            connection.request(method, selector, body=data, headers=headers)
            with connection.getresponse() as response:
                return _answer(response.status, response.headers, response.read())
        except (OSError, http.client.HTTPException) as exc:
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
        finally:
            connection.close()

    def get(self, path: str, **params: Any) -> Answer:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any, **params: Any) -> Answer:
        return self.request("POST", path, params=params, body=body)


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


def _answer(code: int, headers: Message, content: bytes) -> Answer:
    charset = headers.get_content_charset() or "utf-8"
    text = content.decode(charset, errors="replace")
    if 200 <= code < 300:
        kind = headers.get("content-type", "")
        if kind.startswith("application/json"):
            return Answer(code, json.loads(text), text)
        return Answer(code, None, text)
    sentence = _sentence(code, text)
    if code == 401:
        raise Unauthorized(sentence)
    if code in (400, 422):
        raise UsageError(sentence)
    raise Refused(sentence)
