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
# A reminder or escalation kept for the recipients' morning digest (SEC_RELEASE_NOTICE_DELIVERY).
_STATUS_SHOWN = {"digest": "for digest"}


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
            "release": r.release_id,
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
    source = f"Outbox of {store_shown(settings)} (data dir {settings.data_dir})"
    if not data:
        out.emit(
            data,
            f"{source}:\nNo notices yet: reminders and escalations appear here once sent.",
        )
        return 0
    out.emit(data, f"{source}:\n{outbox_text(data)}")
    return 0


def store_shown(settings: Settings) -> str:
    """The store's URL as a person may see it (any password hidden)."""
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


def recipients_shown(to: list[str], defaulted: list[str]) -> str:
    """The first address and how many more (`mail --json` lists them all)."""
    from activities.mail import one_line

    shown = one_line(to[0], 26) if to else "-"
    if len(to) > 1:
        shown += f" +{len(to) - 1} more"
    if defaulted:
        shown += " *"
    return shown


# The outbox table fits 100 columns: the subject takes what the other columns leave.
_WIDTH = 100
_SUBJECT_MIN = 20


def outbox_text(data: list[dict[str, Any]]) -> str:
    """The outbox as a table of one line per message, errors of undelivered ones below it."""
    from activities.mail import one_line

    rows = [
        [
            m["at"][:16].replace("T", " "),
            m.get("release") or "-",
            _STATUS_SHOWN.get(m["status"], m["status"]),
            recipients_shown(m["to"], m["defaulted"]),
            m["subject"],
        ]
        for m in data
    ]
    used = sum(max(len(r[i]) for r in rows) + 2 for i in range(4))
    room = max(_SUBJECT_MIN, _WIDTH - used)
    for r in rows:
        r[4] = one_line(r[4], room)
    shown = table(rows, ["at (UTC)", "release", "status", "to", "subject"])
    errors = [
        f"  {m['at'][:16].replace('T', ' ')} {m.get('release') or '-'}: {m['status']} "
        f"({one_line(m['error'], _ERROR_SHOWN.get(m['status'], 60))})"
        for m in data
        if m["error"]
    ]
    if errors:
        # A failed message shows more of its error: it is what someone has to act on.
        shown += "\n\nNot delivered:\n" + "\n".join(errors)
    defaulted = sorted({role for m in data for role in m["defaulted"]})
    if defaulted:
        shown += (
            f"\n\n* sent to a default address: no contact is set for {', '.join(defaulted)} "
            "(contacts set ROLE EMAIL)."
        )
    kept = sum(1 for m in data if m["status"] == "digest")
    if kept:
        shown += (
            f"\n\n{kept} reminder{'s and escalations are' if kept != 1 else ' or escalation is'} "
            "queued for the morning digest (status for digest): each recipient gets one message "
            "listing theirs at SEC_RELEASE_DIGEST_TIME, London time."
        )
    failed = sum(1 for m in data if m["status"] == "failed")
    if failed:
        shown += (
            f"\n\n{failed} message{'s' if failed != 1 else ''} can never be sent (status failed): "
            "the release went on without it and SECAS was told."
        )
    return shown


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
    text = f"Contacts from {path} (data dir {settings.data_dir}):\n" + table(
        rows, ["role", "addresses", "note"]
    )
    if contacts.problems:
        text += "\n\n" + "\n".join(contacts.problems)
    out.emit(data, text)
    return 0
