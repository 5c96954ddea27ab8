"""Dev mode (`sec-release up` only): one local user per role, each with a non-expiring token.

The tokens are written to `<data_dir>/dev-tokens.json` (mode 0600, `{role: token}`) so a
developer (or a test) can call the front door as any role. Production `serve` never creates
them, and a front door whose settings are not in dev mode never reads the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from activities.store import open_engine, session_factory, upgrade_store
from frontdoor.directory import Directory
from schemas.principal import AccessRole
from settings import Settings

DEV_TOKENS_FILE = "dev-tokens.json"
DEV_PARTY_ORG = "Dev Party"


def dev_login(role: AccessRole) -> str:
    """`dev-secas`, `dev-panel-chair`, ..."""
    return "dev-" + role.value.lower().replace("_", "-")


def dev_tokens_path(settings: Settings) -> Path:
    return settings.data_dir / DEV_TOKENS_FILE


def read_dev_tokens(settings: Settings) -> dict[str, str]:
    """The dev tokens by role; empty unless in dev mode and the file is there."""
    path = dev_tokens_path(settings)
    if not settings.dev_mode or not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_private(path: Path, data: dict[str, str]) -> None:
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


async def ensure_dev_users(settings: Settings) -> dict[str, str]:
    """Create any missing dev user, and a token for any role the file lacks; the tokens."""
    path = dev_tokens_path(settings)
    tokens = read_dev_tokens(settings.model_copy(update={"dev_mode": True}))
    engine = open_engine(settings.database_url)
    try:
        await upgrade_store(engine)
        directory = Directory(session_factory(engine))
        known = {entry.login: entry for entry in await directory.list_principals()}
        changed = False
        for role in AccessRole:
            login = dev_login(role)
            entry = known.get(login)
            if entry is None:
                await directory.add_user(
                    login,
                    role,
                    name=f"Dev {role.value.replace('_', ' ').title()}",
                    org=DEV_PARTY_ORG if role is AccessRole.PARTY else "",
                )
            elif entry.disabled:
                continue
            token = tokens.get(role.value)
            if token is None or await directory.principal_for_token(token) is None:
                tokens[role.value] = (await directory.new_token(login)).token
                changed = True
    finally:
        await engine.dispose()
    if changed or not path.is_file():
        _write_private(path, tokens)
    return tokens
