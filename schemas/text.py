"""Text and size limits that live in the message models themselves.

Every free text a command carries is bounded here, at the model the workflow validates, so an
oversized or hostile field is refused before any rule runs, whatever door it came through
(the CLI, the API, or a raw Temporal client). A refusal names the field and the limit.

- `Line(n)`: a single line (titles, names, ids, references): no control characters at all
  (CR and LF included), no bidirectional overrides, at most `n` characters.
- `Prose(n)`: free text (reasons, comments, notes): line breaks allowed, no other control
  characters, no bidirectional overrides, at most `n` characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationError
from pydantic_core import PydanticCustomError

# Limits shared with the rules (rules.limits holds the same numbers for its sentences).
NAME = 100
ID = 40
TITLE = 200
REF = 300
TEXT = 2000
MAX_LIST = 50
MAX_COUNT = 100_000
# The most bytes one command may carry on the wire (the largest legitimate one is a few KB).
MAX_PAYLOAD_BYTES = 64 * 1024

_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_PROSE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
# Bidirectional embeddings, overrides and isolates: they make text read differently from what
# it holds (a "Trojan Source" title).
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def _check(value: str, limit: int, control: re.Pattern[str], kind: str) -> str:
    if len(value) > limit:
        raise PydanticCustomError(
            "text_too_long",
            "is {length} characters long; the limit is {limit}",
            {"length": f"{len(value):,}", "limit": f"{limit:,}"},
        )
    if control.search(value):
        raise PydanticCustomError(
            "control_characters",
            "contains control characters"
            + (" or line breaks" if kind == "line" else "")
            + "; use plain text",
        )
    if _BIDI.search(value):
        raise PydanticCustomError(
            "bidi_override",
            "contains bidirectional override characters (such as U+202E); use plain text",
        )
    return value


def line_check(limit: int) -> AfterValidator:
    return AfterValidator(lambda v: _check(v, limit, _CONTROL_LINE, "line"))


def prose_check(limit: int) -> AfterValidator:
    return AfterValidator(lambda v: _check(v, limit, _CONTROL_PROSE, "prose"))


NameText = Annotated[str, line_check(NAME)]
IdText = Annotated[str, line_check(ID)]
TitleText = Annotated[str, line_check(TITLE)]
RefText = Annotated[str, line_check(REF)]
Prose = Annotated[str, prose_check(TEXT)]


def is_single_line(value: str, limit: int = TITLE) -> bool:
    """True when `value` would pass as a single-line field of `limit` characters."""
    return len(value) <= limit and not _CONTROL_LINE.search(value) and not _BIDI.search(value)


def _where(loc: tuple[int | str, ...], what: str) -> str:
    """`the command's title`, `the actor's name`, `the command's documents item 3`."""
    parts = [str(p) for p in loc if p not in _TAGS]
    owner = what
    if parts and parts[0] in ("actor", "command"):
        owner = parts.pop(0)
    if not parts:
        return f"the {owner}"
    if parts[-1].isdigit():  # an item of a list
        name = parts[-2].replace("_", " ") if len(parts) > 1 else "list"
        return f"the {owner}'s {name} item {int(parts[-1]) + 1}"
    return f"the {owner}'s {parts[-1].replace('_', ' ')}"


_TAGS: set[str] = set()


def register_tags(tags: set[str]) -> None:
    """The command kinds, which pydantic puts in an error's location for a tagged union."""
    _TAGS.update(tags)


def sentence_of(error: ValidationError, what: str = "command") -> str:
    """One sentence for the first problem pydantic found (and how many more there are)."""
    return sentence_of_errors(error.errors(include_url=False, include_input=False), what)


def sentence_of_errors(errors: Sequence[Mapping[str, Any]], what: str = "command") -> str:
    """`sentence_of` for pydantic's error list as others pass it on (e.g. FastAPI's 422)."""
    if not errors:
        return f"The {what} could not be read."
    first = errors[0]
    where = _where(tuple(first.get("loc", ())), what)
    kind = first.get("type", "")
    ctx = first.get("ctx") or {}
    message = str(first.get("msg", "is not valid"))
    if kind == "missing":
        text = f"{where} is missing"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        text = f"the {what} is not one sec-release knows"
    elif kind in ("text_too_long", "control_characters", "bidi_override"):
        text = f"{where} {message}"
    elif kind == "too_long" and "max_length" in ctx:
        text = f"{where} has {ctx.get('actual_length', 'too many')} items; the limit is {ctx['max_length']}"
    else:
        text = f"{where} is not valid ({message[:200]})"
    more = len(errors) - 1
    text = text[0].upper() + text[1:]
    return text + (f"; {more} more problem(s) as well." if more else ".")


def excerpt(value: Any, limit: int = 200) -> str:
    """A bounded, printable excerpt of anything (for audit entries about refused input)."""
    text = value if isinstance(value, str) else repr(value)
    text = _CONTROL_LINE.sub("?", _BIDI.sub("?", text))
    return text if len(text) <= limit else f"{text[: limit - 1]}…"
