"""`sec-release login` and `logout`: an API token for the CLI, kept in the user's config dir.

`login` asks for a login and a password (or reads the password from standard input with
`--password-stdin`), and asks the front door for an API token (`POST /api/tokens`); the token is
saved 0600 for that front door's URL, and every later command sent there uses it.
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
    p = sub.add_parser("logout", parents=[common], help="forget the token kept for a front door")
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
    from starter.credentials import credentials_path, forget

    url = _url(args)
    entry = forget(url)
    data = {"url": url, "forgotten": entry is not None}
    text = (
        f"Forgot the token for {url} (token {entry.get('id')}; `sec-release tokens revoke` "
        "revokes it on the server)."
        if entry is not None
        else f"No token was kept for {url} in {credentials_path()}."
    )
    out.emit(data, text)
    return 0
