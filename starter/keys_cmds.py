"""The key commands: `keys list` (the public keys workers trust) and `keys rotate`.

They read and write the data dir's key files (`starter.keys`) and need no Temporal server; after
a rotation, a server that answers is told (`keys_changed` to every running release and to the
Panel), so running workflows read the trusted keys again at once (ACCESS.md).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from rules.errors import Refused
from starter.errors import EXIT_OK, EXIT_REFUSED
from starter.output import Output, table
from starter.session import connection_from, settings_from

if TYPE_CHECKING:
    from schemas.seal import TrustedKey
    from starter.client import Connection

RUNNING_RELEASES = "WorkflowType = 'ReleaseWorkflow' AND ExecutionStatus = 'Running'"


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from starter.cli import Parser

    keys = sub.add_parser("keys", help="the front door's signing key and the keys workers trust")
    inner = keys.add_subparsers(dest="keys_command", metavar="ACTION", parser_class=Parser)
    inner.required = True
    p = inner.add_parser("list", parents=[common], help="the public keys workers trust")
    p.set_defaults(handler=list_cmd)
    p = inner.add_parser(
        "rotate",
        parents=[common],
        help="a new signing key, trusted; the old ones retired (they still verify the audit)",
    )
    p.set_defaults(handler=rotate_cmd)


def _rows(keys: list[TrustedKey]) -> list[dict[str, Any]]:
    return [k.model_dump(mode="json") for k in keys]


def _table(keys: list[TrustedKey]) -> str:
    lines = [
        [k.id, "retired" if k.retired else "current", "yes" if k.rehearsal else "", k.public]
        for k in keys
    ]
    return table(lines, ["id", "state", "rehearsal", "public key"])


def list_cmd(args: argparse.Namespace, out: Output) -> int:
    from starter.keys import trusted_keys

    try:
        keys = trusted_keys(settings_from(args))
    except Refused as exc:
        out.refuse(exc.sentence)
        return EXIT_REFUSED
    out.emit(_rows(keys), _table(keys) if keys else "No keys are trusted.")
    return EXIT_OK


async def tell_running(
    connection: Connection, panel_id: str | None = None
) -> tuple[list[str], str | None]:
    """Signal `keys_changed` to every running release and the Panel: the workflow ids told, or
    why no server could be told."""
    from temporalio.service import RPCError

    from starter.client import connect
    from starter.errors import Unavailable

    try:
        client = await connect(connection)
    except Unavailable as exc:
        return [], str(exc)
    from schemas.workflow_io import PANEL_WORKFLOW_ID

    told: list[str] = []
    try:
        ids = [wf.id async for wf in client.list_workflows(RUNNING_RELEASES)]
        for workflow_id in [*ids, panel_id or PANEL_WORKFLOW_ID]:
            try:
                await client.get_workflow_handle(workflow_id).signal("keys_changed")
            except RPCError:
                continue  # ended meanwhile, or no Panel yet: it reads the keys when it starts
            told.append(workflow_id)
    except RPCError as exc:
        return told, f"the Temporal server refused the request ({exc})"
    return told, None


def rotate_cmd(args: argparse.Namespace, out: Output) -> int:
    import asyncio

    from starter.keys import rotate

    settings = settings_from(args)
    try:
        key, keys = rotate(settings)
    except Refused as exc:
        out.refuse(exc.sentence)
        return EXIT_REFUSED
    told, unreachable = asyncio.run(tell_running(connection_from(args, settings)))
    retired = [k.id for k in keys if k.retired]
    data = {
        "signing_key": key.key_id,
        "public": key.public,
        "retired": retired,
        "told": told,
        "not_told": unreachable,
        "keys": _rows(keys),
    }
    lines = [
        f"The front door now signs with key {key.key_id} (trusted by workers reading "
        f"{settings.keys_dir / 'trusted.json'}).",
        f"Retired for new commands (still verifying the audit): {', '.join(retired) or 'none'}.",
    ]
    if unreachable:
        lines.append(
            f"No running workflow was told ({unreachable}); each reads the keys again at its "
            "next continue-as-new, or send `keys_changed` when the server is back."
        )
    else:
        lines.append(
            f"Told {len(told)} running workflow{'s' if len(told) != 1 else ''} to read the keys "
            f"again (keys_changed): {', '.join(told) or 'none'}."
        )
    out.emit(data, "\n".join(lines))
    return EXIT_OK
