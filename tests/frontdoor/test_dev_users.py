"""Dev mode: `up`'s local users, one per role, with tokens in a private dev-tokens.json."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

from activities.store import open_engine, session_factory
from frontdoor.directory import Directory
from schemas.principal import AccessRole
from settings import Settings
from starter.devusers import dev_login, dev_tokens_path, ensure_dev_users, read_dev_tokens


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
