"""Running a server command: settings, connection, actor, then the command's `Op`."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from rules.errors import Refused
from starter.errors import UsageError
from starter.output import Output

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from schemas.base import Actor
    from schemas.state import Policy
    from settings import Settings
    from starter.client import Connection, ReleaseClient
    from starter.ops import Op, Result


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with the command line's overrides."""
    from settings import Settings

    overrides = {}
    if getattr(args, "data_dir", None):
        overrides["SEC_RELEASE_DATA_DIR"] = args.data_dir
    return Settings(**overrides)


def policy_from(settings: Settings) -> Policy:
    """The escalation policy a release created with these settings keeps for its whole life.

    The send hour and the early-life period are not settings: they keep `Policy`'s defaults.
    """
    from schemas.state import Policy

    return Policy(
        reminder_working_days=settings.reminder_working_days,
        step_working_days=settings.escalation_step_working_days,
        escalation_top=settings.escalation_top,
    )


def connection_from(args: argparse.Namespace, settings: Settings) -> Connection:
    from starter.client import Connection

    def pick(flag: str, value: str | None) -> str | None:
        given = getattr(args, flag, None)
        return given if given is not None else value

    def path(value: object) -> str | None:
        return str(value) if value else None

    return Connection(
        address=pick("address", settings.temporal_address) or "localhost:7233",
        namespace=pick("namespace", settings.temporal_namespace) or "default",
        tls=settings.temporal_tls,
        tls_cert=pick("tls_cert", path(settings.temporal_tls_cert)),
        tls_key=pick("tls_key", path(settings.temporal_tls_key)),
        tls_ca=pick("tls_ca", path(settings.temporal_tls_ca)),
        api_key=pick("api_key", settings.temporal_api_key),
    )


def actor_from(args: argparse.Namespace) -> Actor | None:
    """The actor from --as or SEC_RELEASE_ACTOR; a malformed one is a usage error."""
    text = getattr(args, "actor", None) or os.environ.get("SEC_RELEASE_ACTOR")
    if not text:
        return None
    from schemas.base import Actor  # here: a reading with a token needs no pydantic model

    try:
        return Actor.parse(text)
    except Refused as exc:
        raise UsageError(exc.sentence) from None


async def deployment_for(args: argparse.Namespace) -> ReleaseClient:
    settings = settings_from(args)
    return await deployment_with(settings, connection_from(args, settings))


async def deployment_with(
    settings: Settings, connection: Connection, store: AsyncEngine | None = None
) -> ReleaseClient:
    """The releases these settings run, reached through `connection` (the CLI, the front door).

    `store`: an engine on the register that the caller keeps open (the front door); without
    one, each read of the register opens and closes its own."""
    from starter.client import Clock, ReleaseClient, connect
    from starter.keys import Signer, signing_key

    client = await connect(connection)

    async def id_in_register(release_id: str) -> str | None:
        from activities.register import taken_in_register

        return await taken_in_register(settings, release_id, store)

    return ReleaseClient(
        client=client,
        task_queue=settings.task_queue,
        clock=Clock(),
        max_history_events=settings.max_history_events,
        policy=policy_from(settings),
        id_in_register=id_in_register,
        settings=settings,
        store=store,
        # Dev mode: on the machine that holds the front door's key, the CLI is its own front
        # door and signs for `--as ROLE:NAME` (ACCESS.md).
        signer=Signer(signing_key(settings)),
    )


async def _run(args: argparse.Namespace, op: Op, actor: Actor | None) -> Result:
    deployment = await deployment_for(args)
    return await op.run(deployment, actor)


def run_server_op(args: argparse.Namespace, out: Output) -> int:
    """The handler of every command that talks to the server: through the front door over
    HTTP when the command line gives a request (`make_request`), else to Temporal directly."""
    if getattr(args, "make_request", None) is not None and not getattr(args, "direct", False):
        from starter.remote import run_call

        return run_call(args, out)
    import asyncio  # here, not at the top: the offline commands never need it

    actor = actor_from(args)
    op: Op = args.make_op(args)
    result = asyncio.run(_run(args, op, actor))
    out.emit(result.data, result.text)
    return 0
