"""Who is acting, as the front door established it: a user or a service account.

The front door decides the actor from the authenticated principal (ACCESS.md); a request never
names its own actor or role. `Principal.actor()` is the actor the rules see.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from schemas.base import Actor, Model
from schemas.text import IdText, NameText
from schemas.vocabulary import Role


class AccessRole(StrEnum):
    """A principal's role in the directory: the roles of SPEC section 6, plus the Panel chair."""

    SECAS = "SECAS"
    PANEL = "PANEL"
    PANEL_CHAIR = "PANEL_CHAIR"  # may do what PANEL may; chairs and records the Panel's decisions
    DCC = "DCC"
    TAG = "TAG"
    OPSG = "OPSG"
    PARTY = "PARTY"
    AUTHORITY = "AUTHORITY"

    @property
    def role(self) -> Role:
        """The role the rules know (the chair acts as the Panel)."""
        return Role.PANEL if self is AccessRole.PANEL_CHAIR else Role(self.value)


class Principal(Model):
    """An authenticated user or service account (ACCESS.md, Principals)."""

    login: IdText
    kind: Literal["user", "service"] = "user"
    role: AccessRole
    name: NameText = ""  # display name
    org: NameText = ""  # organisation (for a PARTY: the SEC Party's name)

    def actor(self) -> Actor:
        """The actor the rules and the audit trail see: the role, and the display name."""
        return Actor(role=self.role.role, name=self.name)

    def __str__(self) -> str:
        org = f", {self.org}" if self.org else ""
        return f"{self.login} ({self.role.value}{org})"
