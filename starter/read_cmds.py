"""Reading releases: `status`, `list`, `inbox`, `timeline` (anyone may read).

The parsers only; what each command does is in `starter.read_ops`, imported when it runs.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from starter.args import iso_date, release_id
from starter.session import run_server_op

if TYPE_CHECKING:
    from starter.ops import Op
    from starter.remote import Call

COMMANDS = ("status", "list", "inbox", "timeline")

PHASES = [
    "DRAFTING",
    "BASELINED",
    "TESTING",
    "GO_LIVE_DECISION",
    "APPROVED",
    "LIVE",
    "POST_LIVE_REVIEW",
    "CLOSED",
    "REPLANNING",
    "CANCELLED",
]


def _status(a: argparse.Namespace) -> Op:
    from starter.read_ops import StatusOp

    return StatusOp(a.release)


def _list(a: argparse.Namespace) -> Op:
    from starter.read_ops import ListOp

    return ListOp(a.phase, a.type, a.lapsed, a.go_live_from, a.go_live_to)


def _inbox(a: argparse.Namespace) -> Op:
    from starter.read_ops import InboxOp

    return InboxOp()


def _timeline(a: argparse.Namespace) -> Op:
    from starter.doc_cmds import ics_op
    from starter.read_ops import TimelineOp

    return ics_op(a) if a.ics else TimelineOp(a.release)


def _status_call(a: argparse.Namespace) -> Call:
    from starter.remote import Call, status_answer

    return Call("GET", f"/api/releases/{a.release}", render=status_answer)


def _list_call(a: argparse.Namespace) -> Call:
    from starter.remote import Call, list_answer

    params = {
        "phase": a.phase,
        "type": a.type,
        "lapsed": a.lapsed,
        "go_live_from": a.go_live_from,
        "go_live_to": a.go_live_to,
    }
    return Call("GET", "/api/releases", params=params, render=list_answer)


def _inbox_call(a: argparse.Namespace) -> Call:
    from starter.remote import Call, inbox_answer

    return Call("GET", "/api/inbox", needs_actor=True, render=inbox_answer)


def _timeline_call(a: argparse.Namespace) -> Call:
    from starter.doc_cmds import ics_call
    from starter.remote import Call, timeline_of

    if a.ics:
        return ics_call(a)
    return Call("GET", f"/api/releases/{a.release}/timeline", render=timeline_of(a.release))


def register(sub: Any, common: argparse.ArgumentParser, only: str | None = None) -> None:
    """The readings' parsers; with `only`, that command's alone (the command line names it)."""
    if only in (None, "status"):
        p = sub.add_parser("status", parents=[common], help="the state of one release")
        p.add_argument("release", metavar="ID", type=release_id)
        p.set_defaults(handler=run_server_op, make_op=_status, make_request=_status_call)
    if only in (None, "list"):
        p = sub.add_parser(
            "list", parents=[common], help="releases, filtered (served by search attributes)"
        )
        p.add_argument("--phase", choices=PHASES, type=str.upper)
        p.add_argument("--type", choices=["system", "documentation"])
        p.add_argument("--lapsed", action="store_true", help="only releases with a lapsed deadline")
        p.add_argument("--go-live-from", type=iso_date, metavar="DATE")
        p.add_argument("--go-live-to", type=iso_date, metavar="DATE")
        p.set_defaults(handler=run_server_op, make_op=_list, make_request=_list_call)
    if only in (None, "inbox"):
        p = sub.add_parser(
            "inbox", parents=[common], help="what the actor's role owes across open releases"
        )
        p.set_defaults(handler=run_server_op, make_op=_inbox, make_request=_inbox_call)
    if only in (None, "timeline"):
        p = sub.add_parser("timeline", parents=[common], help="planned vs minimum vs actual dates")
        p.add_argument("release", metavar="ID", type=release_id)
        p.add_argument(
            "--ics",
            action="store_true",
            help="every deadline and planned date as an iCalendar file",
        )
        p.add_argument("--out", metavar="FILE", help="with --ics: write to FILE")
        p.set_defaults(handler=run_server_op, make_op=_timeline, make_request=_timeline_call)
