"""The directory commands: `users add|list|disable|enable` and `tokens new|list|revoke` (ACCESS.md).

Operators run them where the store is: they touch only the SQL store (`--data-dir`, or
`DATABASE_URL`), never a Temporal server. Adding a user or a token brings an empty or older
store up to this code's schema first (as `up` would); the other commands read it as it is.
SQLAlchemy and argon2 are imported inside the handlers, so the other commands stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from starter.args import bounded_int
from starter.errors import Refused, UsageError
from starter.output import Output, table
from starter.session import settings_from

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from frontdoor.directory import Directory, DirectoryEntry, TokenInfo
    from settings import Settings

T = TypeVar("T")

COMMANDS = ("users", "tokens")
DEFAULT_TOKEN_DAYS = 90


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from starter.cli import Parser

    users = sub.add_parser("users", help="the directory of users and service accounts")
    inner = users.add_subparsers(dest="users_command", metavar="ACTION", parser_class=Parser)
    inner.required = True
    p = inner.add_parser("add", parents=[common], help="add a user (or --service account)")
    p.add_argument("login", metavar="LOGIN", help="lowercase letters, digits and . - _ @")
    p.add_argument(
        "--role",
        required=True,
        metavar="ROLE",
        help="SECAS, PANEL, PANEL_CHAIR, DCC, TAG, OPSG, PARTY or AUTHORITY",
    )
    p.add_argument("--name", default="", help="display name")
    p.add_argument("--org", default="", help="organisation (for a PARTY: the SEC Party's name)")
    p.add_argument("--email", default="", help="email address (single sign-on matches on it)")
    p.add_argument(
        "--service", action="store_true", help="a service account (no password; tokens only)"
    )
    p.add_argument(
        "--password-stdin",
        action="store_true",
        help="read a password for web sign-in from standard input",
    )
    p.set_defaults(handler=users_add_cmd)
    p = inner.add_parser("list", parents=[common], help="every user and service account")
    p.set_defaults(handler=users_list_cmd)
    p = inner.add_parser(
        "disable", parents=[common], help="disable a login: its tokens and sessions stop at once"
    )
    p.add_argument("login", metavar="LOGIN")
    p.set_defaults(handler=users_disable_cmd)
    p = inner.add_parser(
        "enable", parents=[common], help="enable a disabled login again (its live tokens work)"
    )
    p.add_argument("login", metavar="LOGIN")
    p.set_defaults(handler=users_enable_cmd)

    tokens = sub.add_parser("tokens", help="API tokens (Authorization: Bearer TOKEN)")
    inner = tokens.add_subparsers(dest="tokens_command", metavar="ACTION", parser_class=Parser)
    inner.required = True
    p = inner.add_parser("new", parents=[common], help="issue a token (printed once)")
    p.add_argument("login", metavar="LOGIN")
    p.add_argument(
        "--expires",
        type=bounded_int(1, 3650, "days"),
        default=DEFAULT_TOKEN_DAYS,
        metavar="DAYS",
        help=f"days until it expires (default {DEFAULT_TOKEN_DAYS})",
    )
    p.set_defaults(handler=tokens_new_cmd)
    p = inner.add_parser("list", parents=[common], help="the tokens of a login (no secrets)")
    p.add_argument("login", metavar="LOGIN")
    p.set_defaults(handler=tokens_list_cmd)
    p = inner.add_parser("revoke", parents=[common], help="revoke a token at once")
    p.add_argument("id", metavar="ID", help="the token's id, as `tokens list` shows it")
    p.set_defaults(handler=tokens_revoke_cmd)


# -- the store -------------------------------------------------------------------------------


@asynccontextmanager
async def _directory(settings: Settings, *, prepare: bool) -> AsyncIterator[Directory | None]:
    """The directory in the store (None when nothing was stored yet and `prepare` is off)."""
    from activities.store import open_engine, prepare_store, ready_engine, session_factory
    from frontdoor.directory import Directory

    if prepare:
        await prepare_store(settings.database_url)
        engine = open_engine(settings.database_url)
    else:
        found = await ready_engine(settings.database_url)
        if found is None:
            yield None
            return
        engine = found
    try:
        yield Directory(session_factory(engine))
    finally:
        await engine.dispose()


def _run(
    args: argparse.Namespace, op: Callable[[Directory | None], Awaitable[T]], *, prepare: bool
) -> T:
    import asyncio

    settings = settings_from(args)

    async def go() -> T:
        async with _directory(settings, prepare=prepare) as directory:
            return await op(directory)

    return asyncio.run(go())


def _no_store(login: str) -> Refused:
    return Refused(f"There is no principal {login!r}; the directory is empty.")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _entry_json(entry: DirectoryEntry) -> dict[str, Any]:
    p = entry.principal
    return {
        "login": p.login,
        "kind": p.kind,
        "role": p.role.value,
        "name": p.name,
        "org": p.org,
        "email": entry.email,
        "disabled": entry.disabled,
        "password": entry.has_password,
        "oidc_subject": entry.oidc_subject,
        "created_at": entry.created_at.isoformat(),
    }


def _token_json(info: TokenInfo, now: datetime) -> dict[str, Any]:
    return {
        "id": info.id,
        "login": info.login,
        "state": info.state(now),
        "created_at": info.created_at.isoformat(),
        "expires": _iso(info.expires_at),
        "last_used_at": _iso(info.last_used_at),
        "revoked_at": _iso(info.revoked_at),
    }


# -- users -----------------------------------------------------------------------------------


def _read_password() -> str:
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError(
            "--password-stdin reads the password from standard input; pipe it in, e.g. "
            '`printf %s "$PASSWORD" | sec-release users add ...`'
        )
    text = sys.stdin.read()
    # One trailing line break is the shell's, not the password's.
    return text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")


def users_add_cmd(args: argparse.Namespace, out: Output) -> int:
    password = _read_password() if args.password_stdin else None
    if args.service and password is not None:
        raise Refused("A service account has no password; it signs in with an API token.")

    async def op(directory: Directory | None) -> DirectoryEntry:
        assert directory is not None
        return await directory.add_user(
            args.login,
            args.role,
            name=args.name,
            org=args.org,
            email=args.email,
            password=password,
            kind="service" if args.service else "user",
        )

    entry = _run(args, op, prepare=True)
    what = "service account" if entry.principal.kind == "service" else "user"
    sign_in = (
        "web sign-in with the password given"
        if entry.has_password
        else "no password: `sec-release tokens new` issues its API token"
    )
    out.emit(_entry_json(entry), f"Added {what} {entry.principal} ({sign_in}).")
    return 0


def users_list_cmd(args: argparse.Namespace, out: Output) -> int:
    async def op(directory: Directory | None) -> list[DirectoryEntry]:
        return [] if directory is None else await directory.list_principals()

    entries = _run(args, op, prepare=False)
    data = [_entry_json(e) for e in entries]
    if not entries:
        out.emit(data, "No users yet: `sec-release users add LOGIN --role ROLE` adds one.")
        return 0
    rows = [
        [
            e.login,
            e.principal.kind,
            e.principal.role.value,
            e.principal.name,
            e.principal.org,
            e.email,
            "disabled" if e.disabled else "",
        ]
        for e in entries
    ]
    out.emit(data, table(rows, ["login", "kind", "role", "name", "org", "email", ""]))
    return 0


def users_disable_cmd(args: argparse.Namespace, out: Output) -> int:
    async def op(directory: Directory | None) -> DirectoryEntry:
        if directory is None:
            raise _no_store(args.login)
        return await directory.disable(args.login)

    entry = _run(args, op, prepare=False)
    out.emit(
        _entry_json(entry),
        f"Disabled {entry.principal}: its tokens and web sessions no longer work.",
    )
    return 0


def users_enable_cmd(args: argparse.Namespace, out: Output) -> int:
    from frontdoor.directory_admin import enable

    async def op(directory: Directory | None) -> DirectoryEntry:
        if directory is None:
            raise _no_store(args.login)
        return await enable(directory, args.login)

    entry = _run(args, op, prepare=False)
    out.emit(
        _entry_json(entry),
        f"Enabled {entry.principal}: its tokens that are not revoked or expired work again.",
    )
    return 0


# -- tokens ----------------------------------------------------------------------------------


def tokens_new_cmd(args: argparse.Namespace, out: Output) -> int:
    from frontdoor.directory import NewToken

    async def op(directory: Directory | None) -> NewToken:
        assert directory is not None
        return await directory.new_token(args.login, args.expires)

    new = _run(args, op, prepare=True)
    expires = _iso(new.expires)
    until = f"until {expires[:16].replace('T', ' ')} UTC" if expires else "with no expiry"
    out.emit(
        {"id": new.id, "token": new.token, "expires": expires},
        f"{new.token}\n\nToken {new.id} for {args.login}, valid {until}. It is shown only "
        "this once: keep it now.",
    )
    return 0


def tokens_list_cmd(args: argparse.Namespace, out: Output) -> int:
    async def op(directory: Directory | None) -> list[TokenInfo]:
        if directory is None:
            raise _no_store(args.login)
        return await directory.tokens_of(args.login)

    tokens = _run(args, op, prepare=False)
    now = datetime.now(UTC)
    data = [_token_json(t, now) for t in tokens]
    if not tokens:
        out.emit(data, f"{args.login} has no tokens: `sec-release tokens new {args.login}`.")
        return 0

    def short(value: str | None) -> str:
        return value[:16].replace("T", " ") if value else ""

    rows = [
        [d["id"], d["state"], short(d["created_at"]), short(d["expires"]), short(d["last_used_at"])]
        for d in data
    ]
    out.emit(data, table(rows, ["id", "state", "created (UTC)", "expires", "last used"]))
    return 0


def tokens_revoke_cmd(args: argparse.Namespace, out: Output) -> int:
    async def op(directory: Directory | None) -> TokenInfo:
        if directory is None:
            raise Refused(f"There is no token {args.id!r}; the directory is empty.")
        return await directory.revoke_token(args.id)

    info = _run(args, op, prepare=False)
    out.emit(
        _token_json(info, datetime.now(UTC)),
        f"Revoked token {info.id} of {info.login}: it no longer works.",
    )
    return 0
