"""`sec-release login` and `logout`: an API token for the CLI, kept in the user's config dir.

`login` asks for a login and a password (or reads the password from standard input with
`--password-stdin`), and asks the front door for an API token (`POST /api/tokens`); the token is
saved 0600 for that front door's URL, and every later command sent there uses it. `logout`
revokes it on the server (`DELETE /api/tokens/current`) and forgets it; when the front door does
not answer, the token is still forgotten and the user is told it was not revoked (exit 1).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from starter.args import bounded_int
from starter.output import Output

COMMANDS = ("login", "logout")


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "login",
        parents=[common],
        help="sign in to a front door and keep an API token for the CLI",
    )
    p.add_argument("--login", dest="login_name", metavar="LOGIN", help="default: asked")
    p.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    p.add_argument(
        "--expires",
        type=bounded_int(1, 365, "expiry in days"),
        metavar="DAYS",
        default=90,
        help="the token expires after DAYS (default 90)",
    )
    p.set_defaults(handler=login_cmd)
    p = sub.add_parser(
        "logout",
        parents=[common],
        help="revoke the token kept for a front door on the server, and forget it",
    )
    p.set_defaults(handler=logout_cmd)


def _url(args: argparse.Namespace) -> str:
    from starter.remote import front_door_url

    return front_door_url(args)


def login_cmd(args: argparse.Namespace, out: Output) -> int:
    import getpass

    from starter.credentials import save
    from starter.errors import UsageError
    from starter.http_client import FrontDoor

    url = _url(args)
    name = args.login_name
    if not name:
        if args.password_stdin or not sys.stdin.isatty():
            raise UsageError("give --login LOGIN when the password comes from standard input")
        name = input("Login: ")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif not sys.stdin.isatty():
        raise UsageError("no terminal to ask the password on; give --password-stdin")
    else:
        password = getpass.getpass("Password: ")
    if not name.strip() or not password:
        raise UsageError("a login and a password are needed to sign in")
    answer = FrontDoor(url).post(
        "/api/tokens", {"login": name.strip(), "password": password, "expires_days": args.expires}
    )
    token = answer.data
    path = save(
        url,
        {
            "token": token["token"],
            "id": token["id"],
            "login": token["login"],
            "expires": token.get("expires"),
        },
    )
    data = {"url": url, "login": token["login"], "id": token["id"], "expires": token["expires"]}
    until = f" until {token['expires']}" if token.get("expires") else ""
    out.emit(data, f"Signed in to {url} as {token['login']}; the token is kept{until} in {path}.")
    return 0


def logout_cmd(args: argparse.Namespace, out: Output) -> int:
    from starter.credentials import credentials_path, forget, saved_entry

    url = _url(args)
    entry = saved_entry(url)
    if entry is None:
        out.emit(
            {"url": url, "forgotten": False, "revoked": False},
            f"No token was kept for {url} in {credentials_path()}.",
        )
        return 0
    problem = _revoke_on_server(url, str(entry.get("token") or ""))
    forget(url)  # whatever the server said: the local credential goes
    token_id = entry.get("id")
    data: dict[str, Any] = {"url": url, "forgotten": True, "revoked": problem is None}
    if problem is None:
        out.emit(data, f"Signed out of {url}: token {token_id} is revoked and forgotten.")
        return 0
    sentence = (
        f"Forgot the token for {url}, but token {token_id} could not be revoked on the server "
        f"({problem}); it works until it expires unless revoked: `sec-release tokens revoke "
        f"{token_id}` where the store is, or SECAS on the Users page."
    )
    out.note(f"sec-release: {sentence}")
    out.emit({**data, "error": sentence}, f"Forgot the token for {url} (not revoked).")
    return 1


def _revoke_on_server(url: str, token: str) -> str | None:
    """Revoke the kept token at the front door that issued it: None when it is revoked (or no
    longer worked anyway), else why it could not be."""
    from starter.errors import Refused, Unavailable, UsageError
    from starter.http_client import FrontDoor, Unauthorized

    if not token:
        return "no token was kept with the entry"
    try:
        FrontDoor(url, token).request("DELETE", "/api/tokens/current")
    except Unauthorized:
        return None  # already revoked, expired or its owner disabled: it works nowhere
    except Unavailable:
        return "the front door did not answer"
    except (Refused, UsageError) as exc:
        return str(exc).rstrip(".")
    return None
