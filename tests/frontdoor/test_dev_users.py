"""Dev mode: `up`'s local users, one per role, with tokens in a private dev-tokens.json."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

from activities.store import open_engine, session_factory
from frontdoor.directory import Directory
from schemas.base import Actor
from schemas.principal import AccessRole
from settings import Settings
from starter.devusers import (
    dev_login,
    dev_tokens_path,
    ensure_dev_actor,
    ensure_dev_users,
    read_dev_tokens,
)


async def _check(settings: Settings) -> None:
    tokens = await ensure_dev_users(settings)
    assert set(tokens) == {role.value for role in AccessRole}
    path = dev_tokens_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == tokens
    assert await ensure_dev_users(settings) == tokens  # again: nothing new
    engine = open_engine(settings.database_url)
    try:
        directory = Directory(session_factory(engine))
        for role in AccessRole:
            principal = await directory.principal_for_token(tokens[role.value])
            assert principal is not None and principal.login == dev_login(role)
            assert principal.role is role
        party = await directory.get("dev-party")
        assert party.principal.org == "Dev Party"
        assert (await directory.get("dev-panel-chair")).principal.role is AccessRole.PANEL_CHAIR
    finally:
        await engine.dispose()


def test_dev_users_and_tokens(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, dev_mode=True)
    asyncio.run(_check(settings))
    assert read_dev_tokens(settings)
    assert read_dev_tokens(Settings(data_dir=tmp_path)) == {}  # not dev mode: never read


async def _principal(settings: Settings, token: str) -> tuple[str, str, str]:
    engine = open_engine(settings.database_url)
    try:
        principal = await Directory(session_factory(engine)).principal_for_token(token)
    finally:
        await engine.dispose()
    assert principal is not None
    return principal.login, principal.role.value, principal.name


def test_as_role_and_name_makes_a_dev_user_of_that_name(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    asyncio.run(ensure_dev_users(settings.model_copy(update={"dev_mode": True})))
    chair = ensure_dev_actor(settings, Actor.parse("PANEL:Chair"))
    assert asyncio.run(_principal(settings, chair)) == ("dev-panel.chair", "PANEL", "Chair")
    assert ensure_dev_actor(settings, Actor.parse("PANEL:Chair")) == chair  # kept
    path = dev_tokens_path(settings)
    assert json.loads(path.read_text())["PANEL:Chair"] == chair
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Another name with the same login spelling gets a login of its own.
    other = ensure_dev_actor(settings, Actor.parse("PANEL:chair"))
    login, role, name = asyncio.run(_principal(settings, other))
    assert login.startswith("dev-panel.chair-") and (role, name) == ("PANEL", "chair")
    # No name: `up`'s user for the role; renewing mints another token for the same user.
    assert asyncio.run(_principal(settings, ensure_dev_actor(settings, Actor.parse("DCC"))))[
        0
    ] == dev_login(AccessRole.DCC)
    renewed = ensure_dev_actor(settings, Actor.parse("PANEL:Chair"), renew=True)
    assert renewed != chair
    assert asyncio.run(_principal(settings, renewed))[0] == "dev-panel.chair"
