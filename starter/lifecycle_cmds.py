"""The lifecycle commands of CLI.md on the command line.

Every command sent to one release is generated from its declaration (`schemas.commands`, by
`starter.command_line`); only `release create` and `freeze add` (with `freeze list`, which
reads what it records), which are not sent to one release, are written here. The parser only shapes the request; the rules (in the release's
workflow) decide whether it stands.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from schemas.vocabulary import ReleaseType
from starter.args import iso_date

if TYPE_CHECKING:
    from starter.ops import Op
    from starter.remote import Call

Sub = Any  # argparse's _SubParsersAction is private


def _create(args: argparse.Namespace) -> Op:
    from starter.ops import CreateOp

    kind = ReleaseType(args.type) if args.type else None
    return CreateOp(args.release, args.go_live, kind, args.ad_hoc)


def _freeze(args: argparse.Namespace) -> Op:
    from starter.ops import FreezeOp

    return FreezeOp(args.start, args.end, args.reason)


def _create_call(args: argparse.Namespace) -> Call:
    from starter.remote import Call, created_answer

    body = {"id": args.release, "type": args.type, "ad_hoc": args.ad_hoc}
    if args.go_live is not None:
        body["go_live"] = args.go_live.isoformat()
    return Call("POST", "/api/releases", body=body, needs_actor=True, render=created_answer)


def _freeze_call(args: argparse.Namespace) -> Call:
    from starter.remote import Call, summary_answer

    body = {"start": args.start.isoformat(), "end": args.end.isoformat(), "reason": args.reason}
    return Call("POST", "/api/freezes", body=body, needs_actor=True, render=summary_answer)


def _freeze_list(args: argparse.Namespace) -> Op:
    from starter.ops import FreezeListOp

    return FreezeListOp()


def register(sub: Sub, common: argparse.ArgumentParser) -> None:
    from schemas.commands import FREEZE_ADD, RELEASE_CREATE
    from starter.command_line import add_group, add_leaf
    from starter.command_line import register as register_declared

    groups = register_declared(sub, common)
    p = add_leaf(
        groups["release"], "create", common, f"{RELEASE_CREATE.what} (SECAS)", release=False
    )
    p.add_argument("release", metavar="ID", help="YYYY-MM (scheduled) or YYYY-MM-DD (ad hoc)")
    p.add_argument(
        "--go-live",
        type=iso_date,
        metavar="DATE",
        help="default: the calendar date of a scheduled id",
    )
    p.add_argument(
        "--type", choices=[t.value for t in ReleaseType], help="default: the calendar's type"
    )
    p.add_argument(
        "--ad-hoc", action="store_true", help="an ad hoc release (its id carries the day)"
    )
    p.set_defaults(make_op=_create, make_request=_create_call)

    group = add_group(sub, "freeze")
    p = add_leaf(group, "add", common, f"{FREEZE_ADD.what} (PANEL)", release=False)
    p.add_argument("--from", dest="start", type=iso_date, required=True, metavar="DATE")
    p.add_argument("--to", dest="end", type=iso_date, required=True, metavar="DATE")
    p.add_argument("--reason", required=True)
    p.set_defaults(make_op=_freeze, make_request=_freeze_call)
    p = add_leaf(group, "list", common, "show the Panel's change freezes", release=False)
    p.set_defaults(make_op=_freeze_list)
