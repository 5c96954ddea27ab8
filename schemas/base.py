"""Shared model configuration and the actor of every command."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from rules.errors import Refused
from rules.permissions import Role, parse_role
from schemas.text import NAME, NameText, is_single_line


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
