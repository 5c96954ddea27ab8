"""How a command is declared once: its words, who may issue it, its help, and its fields' flags.

A command model carries `usages`, one `Usage` per way of issuing it (a model shared by
`sit start` and `uit start` has two; `criterion set` has a variant the Panel uses to waive).
Its fields carry their help (`Field(description=...)`) and, where the command line is not simply
`--field-name VALUE`, a marker saying how it is typed (`Arg`, `Switch`, `Choice`, `Pairs`, ...).
From these the CLI's leaves, the permission table, the refusal sentences and the CLI reference
are generated (and the HTTP API and web forms will be), so they cannot drift apart.

Markers are plain data: nothing here imports argparse, the rules or Temporal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from schemas.vocabulary import Role


@dataclass(frozen=True)
class Usage:
    """One way to issue a command.

    Attributes:
        words: the command's words on the command line, e.g. "criterion set".
        roles: who may issue it (SPEC section 6).
        what: what it does, as the end of "Only PANEL may ..." (and its help).
        kind: the model's `kind` this usage sends (for a model several commands share).
        when: field values that select this usage among its model's (a variant of one command
            line, e.g. `{"status": "waived"}` for the Panel's waiver).
        flags: the flags that show this variant on the command line, e.g. "--waived".
        release: whether the command names a release first (ID).
    """

    words: str
    roles: tuple[Role, ...]
    what: str
    kind: str | None = None
    when: Mapping[str, Any] = field(default_factory=dict)
    flags: str = ""
    release: bool = True

    @property
    def command_line(self) -> str:
        """`sec-release criterion set --waived`: how a person issues it."""
        return " ".join(p for p in ("sec-release", self.words, self.flags) if p)

    def matches(self, values: Mapping[str, Any]) -> bool:
        """Whether a command with these field values is issued this way."""
        if self.kind is not None and values.get("kind") != self.kind:
            return False
        return all(values.get(k) == v for k, v in self.when.items())


# -- how a field is typed on the command line -----------------------------------------------------


@dataclass(frozen=True)
class Arg:
    """A positional argument (`MOD`, `KEY`); `choices` maps each word typed to the field's value."""

    metavar: str
    choices: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Opt:
    """An option with a value: `--title T` (the default for a field with no marker).

    `flag` renames it (`--kind` for the field `notice`); `unless` names a flag that means "leave
    this unset" and may not be given with it (`--targeted` beside `--approved-on`).
    """

    flag: str | None = None
    metavar: str | None = None
    unless: tuple[str, str] | None = None  # (flag, its help)
    choices: tuple[str, ...] = ()  # the values it takes (any case), checked where it is typed


@dataclass(frozen=True)
class Switch:
    """A yes/no pair of flags for a bool (`--system` / `--docs-only`); one is required."""

    yes: str
    no: str


@dataclass(frozen=True)
class Choice:
    """Exclusive flags, each setting the field to a value (`--met`, `--not-met`, `--waived`)."""

    flags: Mapping[str, Any]


@dataclass(frozen=True)
class Pairs:
    """A repeatable `--cost LINE=GBP` building a mapping."""

    flag: str
    metavar: str = "LINE=GBP"


@dataclass(frozen=True)
class Hidden:
    """Not on the command line (set by the usage, e.g. `kind`)."""


Marker = Arg | Opt | Switch | Choice | Pairs | Hidden


def marker_of(metadata: list[Any]) -> Marker | None:
    """The command-line marker among a field's metadata, if any."""
    return next(
        (m for m in metadata if isinstance(m, Arg | Opt | Switch | Choice | Pairs | Hidden)), None
    )
