"""The mail commands: `mail` (the outbox) and `contacts set` / `contacts list`.

They read the store and the contacts file directly, so they answer with no Temporal server.
SQLAlchemy is imported inside the handlers: the other commands stay fast.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from starter.output import Output, table
from starter.session import settings_from

if TYPE_CHECKING:
    from settings import Settings


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    from starter.cli import Parser

    p = sub.add_parser(
        "mail",
        parents=[common],
        help="the notices in the outbox, oldest first, and whether each was sent",
    )
    p.set_defaults(handler=mail_cmd)

    contacts = sub.add_parser("contacts", help="who receives each role's notices")
    inner = contacts.add_subparsers(dest="contacts_command", metavar="ACTION", parser_class=Parser)
    inner.required = True
    p = inner.add_parser("set", parents=[common], help="set the addresses of a role")
    p.add_argument("role", metavar="ROLE", help="SECAS, PANEL, PANEL_CHAIR, DCC, TAG, OPSG, ...")
    p.add_argument("emails", nargs="+", metavar="EMAIL", help="one or more addresses")
    p.set_defaults(handler=contacts_set_cmd)
    p = inner.add_parser("list", parents=[common], help="every role and its addresses")
    p.set_defaults(handler=contacts_list_cmd)


# -- mail ------------------------------------------------------------------------------------


_UNDELIVERED = ("failed", "failed-retrying")
_ERROR_SHOWN = {"failed": 200, "failed-retrying": 60}


async def _outbox_rows(settings: Settings) -> list[dict[str, Any]]:
    from activities.mail import list_outbox
    from activities.store import ready_engine, session_factory

    engine = await ready_engine(settings.database_url)
    if engine is None:
        return []
    try:
        rows = await list_outbox(session_factory(engine))
    finally:
        await engine.dispose()
    return [
        {
            "key": r.key,
            "at": r.at.isoformat(),
            "to": list(r.recipients),
            "subject": r.subject,
            "status": r.status,
            "kind": r.kind,
            "attempts": r.attempts,
            "sent_at": r.sent_at.isoformat() if r.sent_at else None,
            "last_error": r.last_error,
            # Why it is not delivered (failed-retrying: yet; failed: ever); None once sent.
            "error": r.last_error if r.status in _UNDELIVERED else None,
            "defaulted": list(r.defaulted),
        }
        for r in rows
    ]


def mail_cmd(args: argparse.Namespace, out: Output) -> int:
    import asyncio

    settings = settings_from(args)
    data = asyncio.run(_outbox_rows(settings))
    if not data:
        out.emit(data, "No notices yet: reminders and escalations appear here once sent.")
        return 0
    from activities.mail import one_line

    rows = []
    for m in data:
        status = m["status"]
        if m["error"]:
            # A failed message shows more of its error: it is what someone has to act on.
            status += f" ({one_line(m['error'], _ERROR_SHOWN.get(status, 60))})"
        to = ", ".join(one_line(a, 80) for a in m["to"])
        if m["defaulted"]:
            to += f" [default for {', '.join(m['defaulted'])}]"
        rows.append([m["at"][:16].replace("T", " "), status, to, one_line(m["subject"], 120)])
    failed = sum(1 for m in data if m["status"] == "failed")
    shown = table(rows, ["at (UTC)", "status", "to", "subject"])
    if failed:
        shown += (
            f"\n\n{failed} message{'s' if failed != 1 else ''} can never be sent (status failed): "
            "the release went on without it and SECAS was told."
        )
    out.emit(data, shown)
    return 0


# -- contacts --------------------------------------------------------------------------------


def contacts_set_cmd(args: argparse.Namespace, out: Output) -> int:
    from activities.contacts import load_contacts, parse_role, save_contacts

    settings = settings_from(args)
    path = settings.contacts_file
    role = parse_role(args.role)
    current = load_contacts(path)
    updated = current.with_role(role, args.emails)
    save_contacts(path, updated)
    for problem in current.problems:
        out.note(f"{problem} It is no longer in the file.")
    addresses = list(updated.of(role))
    out.emit(
        {"role": role, "addresses": addresses, "file": str(path)},
        f"{role} now receives its notices at {', '.join(addresses)} (in {path}).",
    )
    return 0


def contacts_list_cmd(args: argparse.Namespace, out: Output) -> int:
    from activities.contacts import CONTACT_ROLES, default_address, load_contacts

    settings = settings_from(args)
    path = settings.contacts_file
    contacts = load_contacts(path)
    data: list[dict[str, Any]] = []
    rows: list[list[str]] = []
    for role in CONTACT_ROLES:
        addresses = list(contacts.of(role))
        default = not addresses
        shown = addresses or [default_address(role, settings.mail_from)]
        skipped = list(contacts.skipped_of(role))
        data.append({"role": role, "addresses": shown, "default": default, "skipped": skipped})
        notes = ["default: no address set"] if default else []
        if skipped:
            notes.append("an entry that is not an address was skipped (see below)")
        rows.append([role, ", ".join(shown), "; ".join(notes)])
    text = table(rows, ["role", "addresses", ""]) + f"\n\n(from {path})"
    if contacts.problems:
        text += "\n\n" + "\n".join(contacts.problems)
    out.emit(data, text)
    return 0
