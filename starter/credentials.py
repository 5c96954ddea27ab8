"""The API tokens `sec-release login` saves: one per front door URL, in the user's config dir.

`<user_config_dir("sec-release")>/credentials.json` (mode 0600, its folder 0700):
`{url: {"token", "id", "login", "expires"}}`. `sec-release logout` removes a URL's entry.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

CREDENTIALS_FILE = "credentials.json"


def credentials_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("sec-release", appauthor=False)) / CREDENTIALS_FILE


def _read(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, dict)}


def _write(path: Path, data: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def _key(url: str) -> str:
    return url.rstrip("/")


def saved_token(url: str) -> str | None:
    """The token saved for the front door at `url`, if any."""
    token = _read(credentials_path()).get(_key(url), {}).get("token")
    return token if isinstance(token, str) and token else None


def saved_entry(url: str) -> dict[str, Any] | None:
    """The entry kept for the front door at `url` (its `token`, `id`, ...), if any."""
    return _read(credentials_path()).get(_key(url))


def save(url: str, entry: dict[str, Any]) -> Path:
    """Keep `entry` (its `token` among its fields) for `url`; where it is kept."""
    path = credentials_path()
    data = _read(path)
    data[_key(url)] = entry
    _write(path, data)
    return path


def forget(url: str) -> dict[str, Any] | None:
    """Remove the entry for `url`; the entry removed, or None if there was none."""
    path = credentials_path()
    data = _read(path)
    entry = data.pop(_key(url), None)
    if entry is not None:
        _write(path, data)
    return entry
