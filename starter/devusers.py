"""Dev mode (`sec-release up` only): one local user per role, each with a non-expiring token.

The tokens are written to `<data_dir>/dev-tokens.json` (mode 0600, `{role: token}`) so a
developer (or a test) can call the front door as any role; the CLI's `--as ROLE:NAME` adds a
dev user per name, its token under `ROLE:NAME` (`ensure_dev_actor`). Production `serve` never creates
them, and a front door whose settings are not in dev mode never reads the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from activities.store import open_engine, session_factory, upgrade_store
from frontdoor.directory import Directory
from schemas.base import Actor
from schemas.errors import Refused
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


def dev_key(actor: Actor | None) -> str:
    """How `dev-tokens.json` keys an actor's token: `ROLE:NAME`, or `ROLE` for no name."""
    if actor is None:
        return AccessRole.SECAS.value
    return f"{actor.role.value}:{actor.name}" if actor.name else actor.role.value


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:18] or "x"


async def _login_for(directory: Directory, role: AccessRole, name: str) -> str:
    """`dev-panel.chair` for PANEL:Chair; a short hash is added when that login is another's."""
    if not name:
        return dev_login(role)
    base = f"dev-{role.value.lower().replace('_', '-')}.{_slug(name)}"
    with contextlib.suppress(Refused):
        entry = await directory.get(base)
        if entry.principal.name != name or entry.principal.role is not role:
            return f"{base}-{hashlib.sha256(name.encode()).hexdigest()[:6]}"
    return base


async def _ensure_actor(settings: Settings, actor: Actor | None, renew: bool) -> str:
    role = AccessRole.SECAS if actor is None else AccessRole(actor.role.value)
    name = "" if actor is None else actor.name
    key = dev_key(actor)
    tokens = read_dev_tokens(settings)
    engine = open_engine(settings.database_url)
    try:
        await upgrade_store(engine)
        directory = Directory(session_factory(engine))
        token = tokens.get(key)
        if not renew and token and await directory.principal_for_token(token) is not None:
            return token
        login = await _login_for(directory, role, name)
        try:
            entry = await directory.get(login)
        except Refused:
            entry = await directory.add_user(
                login,
                role,
                name=name or f"Dev {role.value.replace('_', ' ').title()}",
                org=DEV_PARTY_ORG if role is AccessRole.PARTY else "",
            )
        if entry.disabled:
            raise Refused(f"The dev user {login!r} is disabled; enable it or act as another name.")
        token = (await directory.new_token(login)).token
    finally:
        await engine.dispose()
    tokens[key] = token
    _write_private(dev_tokens_path(settings), tokens)
    return token


def ensure_dev_actor(settings: Settings, actor: Actor | None, *, renew: bool = False) -> str:
    """The API token of the local dev user who acts as `actor` (`--as ROLE[:NAME]`, dev mode).

    The user (login `dev-panel.chair`, display name `Chair`, for `PANEL:Chair`) is made in the
    store of `settings`' data dir the first time, and its token kept in `dev-tokens.json` under
    `ROLE:NAME`, so the audit trail shows the actor as given. `actor` None is a dev user who only
    reads. A token is used as it is unless `renew` (after the front door refused it).
    """
    settings = settings.model_copy(update={"dev_mode": True})
    key = dev_key(actor)
    if not renew:
        known = read_dev_tokens(settings).get(key)
        if known:
            return known
    if not settings.data_dir.is_dir():
        raise Refused(
            f"No dev data dir at {settings.data_dir}: `--as` acts as a local dev user of the "
            "`sec-release up` running on this machine; give its --data-dir (or "
            "SEC_RELEASE_DATA_DIR), or sign in with `sec-release login`."
        )
    with _locked(settings.data_dir / (DEV_TOKENS_FILE + ".lock")):
        if not renew:
            known = read_dev_tokens(settings).get(key)
            if known:
                return known
        return asyncio.run(_ensure_actor(settings, actor, renew))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (CLI processes run side by side)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform != "win32":
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
