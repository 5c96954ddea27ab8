"""The documents of a release: `doc rid`, `doc go-live-paper`, and `timeline --ics` (anyone)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starter.args import release_id
from starter.session import run_server_op

if TYPE_CHECKING:
    from schemas.base import Actor
    from starter.client import ReleaseClient
    from starter.ops import Op, Result
    from starter.remote import Call


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from starter.cli import Parser

    group = sub.add_parser(
        "doc", help="the RID and the go-live decision paper, generated from the release"
    )
    inner = group.add_subparsers(dest="doc_command", metavar="DOCUMENT", parser_class=Parser)
    inner.required = True
    for name, helptext in (
        ("rid", "the Release Implementation Document"),
        ("go-live-paper", "the go-live decision paper for the Panel"),
    ):
        p = inner.add_parser(name, parents=[common], help=helptext, description=helptext)
        p.add_argument("release", metavar="ID", type=release_id)
        p.add_argument("--format", choices=["md", "html"], default="md")
        p.add_argument("--out", metavar="FILE", help="write to FILE instead of printing")
        if name == "rid":
            p.add_argument(
                "--version", metavar="V", help="the RID as it stood at version V (e.g. 2.0)"
            )
        p.set_defaults(handler=run_server_op, make_op=_doc_op(name), make_request=_doc_call(name))


def _doc_op(name: str) -> Any:
    def make(args: argparse.Namespace) -> Op:
        check_folder(args.out)
        return DocOp(args.release, name, args.format, getattr(args, "version", None), args.out)

    return make


def _doc_call(name: str) -> Any:
    def make(args: argparse.Namespace) -> Call:
        from starter.remote import Call, document_of

        check_folder(args.out)
        params = {"format": args.format, "version": getattr(args, "version", None)}
        return Call(
            "GET",
            f"/api/releases/{args.release}/documents/{name}",
            params=params,
            render=document_of(args.release, name, args.format, args.out),
        )

    return make


def ics_call(args: argparse.Namespace) -> Call:
    from starter.remote import Call, document_of

    out = getattr(args, "out", None)
    check_folder(out)
    return Call(
        "GET",
        f"/api/releases/{args.release}/calendar.ics",
        render=document_of(args.release, "ics", "ics", out),
    )


def ics_op(args: argparse.Namespace) -> Op:
    out = getattr(args, "out", None)
    check_folder(out)
    return DocOp(args.release, "ics", "ics", None, out)


def check_folder(out: str | None) -> None:
    """Refuse an --out whose folder does not exist before asking the server anything."""
    from starter.errors import Unavailable

    if out is None:
        return
    folder = Path(out).parent
    if not folder.is_dir():
        raise Unavailable(
            f"Cannot write {out}: the folder {folder} does not exist; create it first or "
            "choose another --out."
        )


@dataclass(frozen=True)
class DocOp:
    release_id: str
    document: str  # rid | go-live-paper | ics
    fmt: str
    version: str | None
    out: str | None

    async def run(self, deployment: ReleaseClient, actor: Actor | None) -> Result:
        from starter.ops import Result

        state = await deployment.state(self.release_id)
        now = await deployment.clock.now()
        text = render(self.document, state, now, self.fmt, self.version)
        if self.out:
            write(Path(self.out), text)
            data = {
                "release": self.release_id,
                "document": self.document,
                "format": self.fmt,
                "path": self.out,
            }
            return Result(data, f"Wrote the {self.document} of {self.release_id} to {self.out}.")
        data = {
            "release": self.release_id,
            "document": self.document,
            "format": self.fmt,
            "content": text,
        }
        return Result(data, text.rstrip("\r\n"))


def render(document: str, state: Any, now: Any, fmt: str, version: str | None = None) -> str:
    from documents import render_go_live_paper, render_ics, render_rid

    if document == "rid":
        return render_rid(state, now, fmt=fmt, version=version)
    if document == "go-live-paper":
        return render_go_live_paper(state, now, fmt=fmt)
    return render_ics(state, now)


def write(path: Path, text: str) -> None:
    """Write a document; iCalendar keeps its CRLF line endings.

    The folder must exist: a mistyped path is refused rather than made into directories.
    """
    from starter.errors import Unavailable

    check_folder(str(path))
    try:
        with path.open("w", encoding="utf-8", newline="") as f:
            f.write(text)
    except OSError as exc:
        raise Unavailable(f"Cannot write {path}: {exc.strerror or exc}.") from None
