"""Who may do what (SPEC section 6): deny by default.

The table is not written here: each command declares its usages (`schemas.commands`), and
`check_permission` finds the usage a command was issued as and the roles it names. A refusal
says who may, and how that person issues it (`sec-release criterion set --waived`).
"""

from __future__ import annotations

from schemas.base import parse_role
from schemas.commands import Command, all_usages, usage_of
from schemas.declare import Usage
from schemas.errors import Refused
from schemas.vocabulary import Role

__all__ = ["allowed_roles", "check_permission", "check_usage", "parse_role", "table"]


def check_usage(usage: Usage, role: Role) -> None:
    """Refuse unless `role` may issue `usage`; the sentence names who may, and how."""
    if role in usage.roles:
        return
    allowed = " or ".join(sorted(r.value for r in usage.roles))
    raise Refused(
        f"Only {allowed} may {usage.what} (`{usage.command_line}`); you acted as {role.value}."
    )


def check_permission(command: Command, role: Role) -> None:
    """Refuse unless `role` may issue `command` as it stands (its variant included)."""
    check_usage(usage_of(command), role)


def table() -> list[tuple[str, str, frozenset[Role]]]:
    """The permission table as declared: (command line, what it does, roles)."""
    return [(u.command_line, u.what, frozenset(u.roles)) for u in all_usages()]


def allowed_roles(words: str) -> frozenset[Role]:
    """The roles that may issue the command `words` in any of its forms."""
    return frozenset(r for u in all_usages() if u.words == words for r in u.roles)
