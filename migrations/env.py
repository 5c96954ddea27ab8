"""Alembic's environment for the sec-release store, with the async engine.

`activities.store.upgrade_store` hands over an open connection in `config.attributes`; run from
the `alembic` command instead, this opens its own async engine on `sqlalchemy.url` (or
`DATABASE_URL`, else the default store in the data dir).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import frontdoor.tables  # noqa: F401  (the directory's tables belong to the same metadata)
from activities.store import Base, open_engine

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    configured = config.get_main_option("sqlalchemy.url")
    if configured:
        return configured
    from settings import Settings

    return Settings().database_url


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _migrate_with_own_engine() -> None:
    engine = open_engine(_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_migrate)
            await connection.commit()
    finally:
        await engine.dispose()


def run_offline() -> None:
    """`alembic upgrade --sql`: print the SQL instead of running it."""
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
    else:
        asyncio.run(_migrate_with_own_engine())


if context.is_offline_mode():
    run_offline()
else:
    run_online()
