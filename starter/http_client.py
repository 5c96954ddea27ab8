"""A small client for the front door's HTTP API (ACCESS.md), as the CLI uses it.

One request per process, so plain synchronous httpx. Answers map onto the CLI's contract
(CLI.md): 2xx is the result; 403, 404 and 409 are refusals (exit 1, the front door's sentence);
401 names `sec-release login`; 400 and 422 are usage errors (exit 2); a front door that does not
answer names `make run` / `sec-release up` / SEC_RELEASE_URL. Nothing here imports Temporal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

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
        try:
            response = httpx.request(
                method,
                self.url.rstrip("/") + path,
                params=query,
                json=body,
                headers=headers,
                timeout=TIMEOUT_SECONDS,
            )
        except httpx.TimeoutException:
            raise Unavailable(
                f"The front door at {self.url} did not answer within {TIMEOUT_SECONDS:.0f} s; "
                "try again, or check that its worker is running."
            ) from None
        except httpx.TransportError as exc:
            raise Unavailable(
                f"No front door answers at {self.url} ({type(exc).__name__}); start one with "
                "`make run` (or `sec-release up`), or point SEC_RELEASE_URL (or --url) at the "
                "one you use."
            ) from None
        return _answer(response)

    def get(self, path: str, **params: Any) -> Answer:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any, **params: Any) -> Answer:
        return self.request("POST", path, params=params, body=body)


def _param(value: Any) -> str:
    if value is True:
        return "true"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _sentence(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    text = response.text.strip()[:300]
    return f"The front door answered {response.status_code}" + (f": {text}" if text else ".")


def _answer(response: httpx.Response) -> Answer:
    code = response.status_code
    if 200 <= code < 300:
        kind = response.headers.get("content-type", "")
        if kind.startswith("application/json"):
            return Answer(code, response.json(), response.text)
        return Answer(code, None, response.text)
    sentence = _sentence(response)
    if code == 401:
        raise Unauthorized(sentence)
    if code in (400, 422):
        raise UsageError(sentence)
    raise Refused(sentence)
