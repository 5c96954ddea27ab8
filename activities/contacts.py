"""Who receives each role's notices: the contacts directory, a YAML file named in settings.

```yaml
SECAS: [secas@example.org]
PANEL_CHAIR: [chair@example.org]
PANEL: [panel@example.org, secretariat@example.org]
```

Keys are the roles of SPEC section 1 plus `PANEL_CHAIR` (the escalation audience's Panel
chair); values are lists of addresses (a single address may be written without the list). A
role with no address is not an error: its notices go to a default address at the domain of
`MAIL_FROM` (e.g. `panel-chair@localhost`), which `contacts list` and `mail` show as a default,
so nothing is silently dropped and a new user sees where to set the real one.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.errors import HeaderParseError
from email.headerregistry import Address, AddressHeader, HeaderRegistry
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import yaml

from rules.errors import Refused
from rules.escalation import PANEL_CHAIR

CONTACT_ROLES: tuple[str, ...] = (
    "SECAS",
    "PANEL",
    PANEL_CHAIR,
    "DCC",
    "TAG",
    "OPSG",
    "PARTY",
    "AUTHORITY",
)

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"^{_LOCAL}@{_LABEL}(?:\.{_LABEL})*$")
# Line breaks and every other control character (C0, DEL, C1), the Unicode line and paragraph
# separators, and bidirectional overrides: none of them belongs in an address, and CR/LF in one
# would let it write extra header lines (a "Bcc:" of its own).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
MAX_ADDRESS_CHARS = 320
_HEADERS = HeaderRegistry()


class ContactsInvalid(Refused):
    """The contacts file or a `contacts set` request is wrong; the sentence says how."""


def parse_role(text: str) -> str:
    """`panel-chair`, `Panel_Chair` -> `PANEL_CHAIR`; an unknown role is refused."""
    role = text.strip().upper().replace("-", "_")
    if role not in CONTACT_ROLES:
        raise ContactsInvalid(
            f"{text!r} is not a role that receives notices; use one of {', '.join(CONTACT_ROLES)}."
        )
    return role


def mailbox(text: str) -> Address | None:
    """The one mailbox `text` names (`a@b.org` or `Jo Kemp <a@b.org>`), or None.

    Strict on purpose: exactly one address, no group, nothing the header parser had to guess
    at (its defects), an ASCII addr-spec with a domain, and no control character anywhere. An
    address that passes can be put into a header by the email API without changing its meaning.
    """
    value = text.strip()
    if not value or len(value) > MAX_ADDRESS_CHARS or _UNSAFE.search(text):
        return None
    try:
        header = _HEADERS("To", value)
    except (HeaderParseError, ValueError, IndexError):
        return None
    if header.defects or not isinstance(header, AddressHeader) or len(header.groups) != 1:
        return None
    group = header.groups[0]
    if group.display_name is not None or len(group.addresses) != 1:
        return None
    address = group.addresses[0]
    if not _ADDRESS.match(address.addr_spec) or ("<" in value) != value.endswith(">"):
        return None
    return Address(display_name=address.display_name, addr_spec=address.addr_spec)


def _shown(text: str) -> str:
    """`text` quoted for a sentence: control characters escaped, a long one cut."""
    return repr(text) if len(text) <= 80 else repr(text[:80]) + "..."


def check_address(text: str, role: str) -> str:
    """An address as given (`a@b.org` or `Jo Kemp <a@b.org>`), or a refusal that says why."""
    if _UNSAFE.search(text):
        raise ContactsInvalid(
            f"{_shown(text)} (for {role}) holds a line break or another control character; give "
            "each address as its own argument, like secas@example.org."
        )
    if len(text.strip()) > MAX_ADDRESS_CHARS:
        raise ContactsInvalid(
            f"The address {_shown(text)} (for {role}) is {len(text.strip()):,} characters long; "
            f"an email address has at most {MAX_ADDRESS_CHARS}."
        )
    if mailbox(text) is None:
        raise ContactsInvalid(
            f"{_shown(text)} (for {role}) is not an email address; write one address like "
            "secas@example.org or 'Jo Kemp <jo@example.org>'."
        )
    return text.strip()


def bare_address(value: str) -> str:
    """The address part of `Jo Kemp <a@b.org>` (what the SMTP envelope takes)."""
    return parseaddr(value)[1]


def default_address(role: str, mail_from: str) -> str:
    """Where a role with no contact is sent: `panel-chair@<MAIL_FROM's domain>`."""
    domain = bare_address(mail_from).rpartition("@")[2] or "localhost"
    return f"{role.lower().replace('_', '-')}@{domain}"


@dataclass(frozen=True)
class Contacts:
    """Role -> addresses (roles with no entry have none).

    `skipped` holds, for each role, a sentence per entry of the file that is not a usable
    address: it is never sent to (nor put into a header), and `contacts list` and the notices
    of that role say so.
    """

    addresses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    skipped: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def of(self, role: str) -> tuple[str, ...]:
        return self.addresses.get(role, ())

    def skipped_of(self, role: str) -> tuple[str, ...]:
        return self.skipped.get(role, ())

    @property
    def problems(self) -> list[str]:
        """Every skipped entry's sentence, in role order."""
        return [s for role in self.skipped for s in self.skipped[role]]

    def with_role(self, role: str, addresses: Iterable[str]) -> Contacts:
        """A copy where `role` receives exactly `addresses` (validated; a bad one is refused)."""
        role = parse_role(role)
        checked = tuple(dict.fromkeys(check_address(a, role) for a in addresses))
        if not checked:
            raise ContactsInvalid(f"Give at least one address for {role}.")
        skipped = {r: s for r, s in self.skipped.items() if r != role}
        return Contacts({**self.addresses, role: checked}, skipped)


@dataclass(frozen=True)
class Resolution:
    """The addresses an audience resolved to, which roles fell back to a default, and which
    roles had an entry in the contacts file that was skipped as not a usable address."""

    addresses: list[str]
    defaulted: list[str]
    skipped: list[str] = field(default_factory=list)


def resolve(contacts: Contacts, audience: Iterable[str], mail_from: str) -> Resolution:
    """Addresses for an audience of role names (and `PANEL_CHAIR`), each address once.

    A name that is not a known role is treated like a role with no contact (default address):
    a new audience in the rules must never make a notice undeliverable. A role whose every
    address was skipped as unusable gets its default address too, so it is not silently dropped.
    """
    addresses: dict[str, None] = {}
    defaulted: list[str] = []
    skipped: list[str] = []
    for name in audience:
        role = name.strip().upper().replace("-", "_")
        if contacts.skipped_of(role):
            skipped.append(role)
        # Checked again here: a directory built in code has not been through the parser.
        found = tuple(a for a in contacts.of(role) if mailbox(a) is not None)
        if not found:
            defaulted.append(role)
            found = (default_address(role, mail_from),)
        for address in found:
            addresses.setdefault(address, None)
    return Resolution(list(addresses), defaulted, skipped)


def parse_contacts(text: str, source: str) -> Contacts:
    """The directory from YAML text; `source` names the file in any refusal.

    A file that cannot be read as a directory (not YAML, not a mapping, an unknown role, a role
    that is not a list of strings) is refused: notices wait until it is fixed. One entry that is
    not a usable address is skipped and reported in `Contacts.skipped`; the others are used.
    """
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ContactsInvalid(
            f"The contacts file {source} is not valid YAML{where}; fix it or rewrite it with "
            "`sec-release contacts set ROLE EMAIL...`."
        ) from None
    if data is None:
        return Contacts()
    if not isinstance(data, dict):
        raise ContactsInvalid(
            f"The contacts file {source} must map roles to lists of addresses (e.g. "
            "`SECAS: [secas@example.org]`)."
        )
    result: dict[str, tuple[str, ...]] = {}
    skipped: dict[str, tuple[str, ...]] = {}
    for key, value in data.items():
        try:
            role = parse_role(str(key))
        except ContactsInvalid as exc:
            raise ContactsInvalid(f"In the contacts file {source}: {exc.sentence}") from None
        values = [value] if isinstance(value, str) else value
        if values is None:
            continue
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ContactsInvalid(
                f"In the contacts file {source}: {role} must be a list of addresses."
            )
        checked: list[str] = []
        problems: list[str] = []
        for v in values:
            try:
                checked.append(check_address(v, role))
            except ContactsInvalid as exc:
                problems.append(f"In the contacts file {source}: {exc.sentence} It is skipped.")
        if checked:
            result[role] = tuple(dict.fromkeys(checked))
        if problems:
            skipped[role] = tuple(problems)
    return Contacts(result, skipped)


def load_contacts(path: Path) -> Contacts:
    """The directory in `path` (no file yet: nobody set; every role has its default)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Contacts()
    except OSError as exc:
        raise ContactsInvalid(
            f"The contacts file {path} cannot be read: {exc.strerror or exc}."
        ) from None
    return parse_contacts(text, str(path))


_HEADER = (
    "# sec-release contacts: who receives each role's notices.\n"
    "# Roles: " + ", ".join(CONTACT_ROLES) + ". Edit here or with\n"
    "# `sec-release contacts set ROLE EMAIL...`.\n"
)


def dump_contacts(contacts: Contacts) -> str:
    ordered = {r: list(contacts.of(r)) for r in CONTACT_ROLES if contacts.of(r)}
    body = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True) if ordered else ""
    return _HEADER + body


def save_contacts(path: Path, contacts: Contacts) -> None:
    """Write the directory atomically (a worker reading it never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".contacts-", suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(dump_contacts(contacts))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
