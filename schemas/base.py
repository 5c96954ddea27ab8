"""Shared model configuration and the actor of every command."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from schemas.errors import Refused
from schemas.text import NAME, NameText, is_single_line
from schemas.vocabulary import Role


def parse_role(text: str) -> Role:
    """The role named by `text` (case-insensitive), or a refusal listing the roles."""
    try:
        return Role(text.strip().upper())
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise Refused(f"{text!r} is not a role; use one of {known}.") from None


class Model(BaseModel):
    """Base of every message: unknown fields are ignored, so older code reads newer payloads."""

    model_config = ConfigDict(extra="ignore", use_enum_values=False)


class Actor(Model):
    """Who acts: a role and, for the audit trail, a name (e.g. `PANEL:Chair`)."""

    role: Role
    name: NameText = ""

    def __str__(self) -> str:
        return f"{self.role.value}:{self.name}" if self.name else self.role.value

    @classmethod
    def parse(cls, text: str) -> Actor:
        """`ROLE[:NAME]` as given to `--as` or SEC_RELEASE_ACTOR."""
        role, _, name = text.strip().partition(":")
        if not role:
            raise Refused("The actor is missing; give --as ROLE[:NAME], e.g. --as PANEL:Chair.")
        if len(name) > NAME:
            raise Refused(f"The actor's name is longer than {NAME} characters; shorten it.")
        if not is_single_line(name, NAME):
            raise Refused(
                "The actor's name contains control characters, line breaks or bidirectional "
                "overrides; use plain text."
            )
        return cls(role=parse_role(role), name=name.strip())
