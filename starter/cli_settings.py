"""The one setting the CLI's HTTP path reads, without importing pydantic-settings.

A reading over the front door (`sec-release status ID`) needs no setting at all when it is given
the front door's URL (`--url`, SEC_RELEASE_URL) and a token; without a URL it needs only the
port a local `sec-release up` serves it on. Importing `settings.Settings` (pydantic-settings and
pydantic) would cost that command more than all its other imports (bench/README.md,
`cli_latency`), so that one value is read here as `Settings` reads it. This is not a second
configuration: `Settings` declares the field, its environment variable and its default, and
tests/unit/test_cli_settings.py proves the names and defaults below are the ones it declares and
that both read the same value; anything this module does not read exactly as `Settings` would
(not a plain port number) is handed to `Settings` itself, which accepts it or says what is wrong.
"""

from __future__ import annotations

import os

# The `Settings` field, the environment variable it is read from, and its default.
HTTP_PORT = "http_port"
HTTP_PORT_ENV = "SEC_RELEASE_HTTP_PORT"
HTTP_PORT_DEFAULT = 8000


def _environ(name: str) -> str | None:
    """An environment variable as pydantic-settings finds it (case-insensitively)."""
    wanted = name.lower()
    found = None
    for key, value in os.environ.items():
        if key.lower() == wanted:
            found = value
    return found


def http_port() -> int:
    """The local front door's port: `Settings().http_port`, read without pydantic."""
    raw = _environ(HTTP_PORT_ENV)
    if raw is None:
        return HTTP_PORT_DEFAULT
    if raw.isascii() and raw.isdigit() and not raw.startswith("0") and int(raw) <= 65535:
        return int(raw)
    from settings import Settings  # anything else: Settings reads it, or refuses it

    return Settings().http_port
