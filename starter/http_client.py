"""A small client for the front door's HTTP API (ACCESS.md), as the CLI uses it.

One request per process, so the standard library's `urllib.request`: importing httpx and
building its client (an SSL context loaded with certifi's CA bundle even for plain http) cost
more than 100 ms of a `status` that takes a few hundred (bench/README.md). Answers map onto the CLI's contract
(CLI.md): 2xx is the result; 403, 404 and 409 are refusals (exit 1, the front door's sentence);
401 names `sec-release login`; 400 and 422 are usage errors (exit 2); a front door that does not
answer names `make run` / `sec-release up` / SEC_RELEASE_URL. Nothing here imports Temporal.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any

from rules.errors import Refused
from starter.errors import Unavailable, UsageError

TIMEOUT_SECONDS = 60.0  # a lifecycle command waits for the workflow's Update


@dataclass(frozen=True)
class Answer:
    """A successful answer: its status, and its JSON (or text, for a document)."""

    status: int
    data: Any
    text: str


class Unauthorized(Refused):
    """The front door did not accept the credentials (401): refused, exit 1."""


@dataclass(frozen=True)
class FrontDoor:
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
        params: dict[str, Any] | None = None,
        body: Any = None,
    ) -> Answer:
        """Send one request; the answer, or the refusal as the CLI's exceptions.

        Raises:
            Refused: 403, 404, 409, 413, 429 or 5xx, with the front door's sentence.
            UsageError: 400 or 422 (the request itself was wrong).
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
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
                return _answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as exc:  # an answer that is not 2xx (or a redirect)
            with exc:
                return _answer(exc.code, exc.headers, exc.read())
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            if isinstance(reason, TimeoutError):
                raise Unavailable(
                    f"The front door at {self.url} did not answer within "
                    f"{TIMEOUT_SECONDS:.0f} s; try again, or check that its worker is running."
                ) from None
            raise Unavailable(
                f"No front door answers at {self.url} ({type(reason).__name__}); start one with "
                "`make run` (or `sec-release up`), or point SEC_RELEASE_URL (or --url) at the "
                "one you use."
            ) from None

    def get(self, path: str, **params: Any) -> Answer:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any, **params: Any) -> Answer:
        return self.request("POST", path, params=params, body=body)


def _param(value: Any) -> str:
    if value is True:
        return "true"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other that is not 2xx (as httpx does by default)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


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
