"""The audit commands: `audit verify ID` (is the stored trail intact?) and `audit show ID`.

They read the store directly, like `mail`: no Temporal server is needed, and they take the same
`--data-dir` and `DATABASE_URL`. The chain is checked by `rules.audit_chain`; signatures by
`rules.seal.verify_recorded` against `starter.keys.trusted_keys`, where this build has them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starter.args import release_id
from starter.errors import EXIT_OK, EXIT_REFUSED
from starter.output import Output, table
from starter.session import settings_from

if TYPE_CHECKING:
    from rules.audit_chain import ChainedEntry, SignatureCheck
    from schemas.state import AuditEntry
    from settings import Settings


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from starter.cli import Parser

    audit = sub.add_parser("audit", help="the stored audit trail of a release, and its checks")
    inner = audit.add_subparsers(dest="audit_command", metavar="ACTION", parser_class=Parser)
    inner.required = True
    p = inner.add_parser(
        "verify",
        parents=[common],
        help="check the trail's hash chain and every signature, and say where it breaks",
    )
    p.add_argument("release", metavar="ID", type=release_id)
    p.set_defaults(handler=verify_cmd)
    p = inner.add_parser("show", parents=[common], help="every stored entry with its hashes")
    p.add_argument("release", metavar="ID", type=release_id)
    p.set_defaults(handler=show_cmd)


def _chain(settings: Settings, release: str) -> list[ChainedEntry]:
    import asyncio

    from activities.register import stored_chain

    return asyncio.run(stored_chain(settings, release)) or []


# -- signatures ------------------------------------------------------------------------------


@dataclass
class SignatureChecker:
    """The signature hook for `verify_chain`, and how many it checked (or why it could not)."""

    verify: Callable[[str, str, str, Any], str | None] | None = None
    keys: Any = None
    unavailable: str | None = None  # why signatures cannot be checked
    checked: int = 0

    def __call__(self, entry: AuditEntry) -> str | None:
        assert self.verify is not None
        self.checked += 1
        return self.verify(entry.signed, entry.key_id, entry.signature, self.keys)

    @property
    def hook(self) -> SignatureCheck | None:
        return None if self.verify is None else self


def signature_checker(settings: Settings) -> SignatureChecker:
    """The signature check this build can do (`rules.seal`, `starter.keys`), or why it cannot.

    Both are looked up by name: a build without the front door's signing still verifies the
    chain, and says plainly that it did not check signatures.
    """
    import importlib

    try:
        verify = importlib.import_module("rules.seal").verify_recorded
    except (ImportError, AttributeError) as exc:
        return SignatureChecker(unavailable=f"this sec-release cannot verify signatures ({exc})")
    try:
        trusted_keys = importlib.import_module("starter.keys").trusted_keys
    except (ImportError, AttributeError) as exc:
        return SignatureChecker(unavailable=f"this sec-release cannot read trusted keys ({exc})")
    try:
        keys = trusted_keys(settings)
    except Exception as exc:  # a missing or unreadable key file: a sentence, not a traceback
        return SignatureChecker(unavailable=f"the trusted keys could not be read ({exc})")
    return SignatureChecker(verify=verify, keys=keys)


# -- verify ----------------------------------------------------------------------------------


def _short(digest: str) -> str:
    return digest[:12]


def verify_cmd(args: argparse.Namespace, out: Output) -> int:
    from rules.audit_chain import verify_chain

    settings = settings_from(args)
    release: str = args.release
    rows = _chain(settings, release)
    if not rows:
        out.refuse(f"No audit trail of release {release} is stored in this store.")
        return EXIT_REFUSED
    signed = sum(1 for r in rows if r.entry.signature)
    # Keys are read only when there is a signature to check (reading them can create the local
    # front door's key in a fresh data dir).
    checker = signature_checker(settings) if signed else SignatureChecker()
    problems = verify_chain(release, rows, checker.hook)
    data: dict[str, Any] = {
        "release": release,
        "entries": len(rows),
        "intact": not problems,
        "problems": problems,
        "head": rows[-1].hash,
        "signed_entries": signed,
        "signatures_checked": checker.checked,
        "signatures_not_checked": checker.unavailable if signed and checker.unavailable else None,
    }
    signatures = f"{checker.checked} signature{'s' if checker.checked != 1 else ''} checked"
    if signed and checker.unavailable:
        signatures += f" ({signed} signed entries not checked: {checker.unavailable})"
    if problems:
        text = "\n".join(
            [
                f"The audit trail of release {release} is broken "
                f"({len(problems)} problem{'s' if len(problems) != 1 else ''} "
                f"in {len(rows)} entries; {signatures}):",
                *problems,
            ]
        )
        out.emit(data, text)
        return EXIT_REFUSED
    first, last = rows[0], rows[-1]
    out.emit(
        data,
        f"The audit trail of release {release} is intact: {len(rows)} "
        f"entr{'ies' if len(rows) != 1 else 'y'}, chain from {_short(first.hash)} "
        f"(entry {first.entry.seq}) to {_short(last.hash)} (entry {last.entry.seq}); "
        f"{signatures}.",
    )
    return EXIT_OK


# -- show ------------------------------------------------------------------------------------


def _shown(rows: Sequence[ChainedEntry]) -> list[dict[str, Any]]:
    return [
        {**r.entry.model_dump(mode="json"), "prev_hash": r.prev_hash, "hash": r.hash} for r in rows
    ]


def show_cmd(args: argparse.Namespace, out: Output) -> int:
    from activities.mail import one_line

    settings = settings_from(args)
    release: str = args.release
    rows = _chain(settings, release)
    if not rows:
        out.refuse(f"No audit trail of release {release} is stored in this store.")
        return EXIT_REFUSED
    lines = [
        [
            str(r.entry.seq),
            r.entry.at.isoformat()[:16].replace("T", " "),
            one_line(r.entry.actor, 40),
            one_line(r.entry.principal, 40),
            r.entry.outcome,
            one_line(r.entry.command, 60),
            "signed" if r.entry.signature else "",
            _short(r.hash),
            "" if r.entry.outcome == "accepted" else one_line(r.entry.detail, 80),
        ]
        for r in rows
    ]
    headers = ["seq", "at (UTC)", "actor", "principal", "outcome", "command", "signed", "hash"]
    headers.append("why (refused or ignored)")
    out.emit(_shown(rows), table(lines, headers))
    return EXIT_OK
