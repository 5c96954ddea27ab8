"""Size limits, so no command can blow up a workflow's payload; each refusal is a sentence."""

from __future__ import annotations

import re

from rules.errors import Refused

# The text limits are the message models' own (schemas/text.py): one number, two sentences.
from schemas.text import MAX_COUNT, MAX_LIST, REF, TEXT, TITLE

__all__ = [
    "MAX_APPEALS",
    "MAX_COUNT",
    "MAX_CRITERIA",
    "MAX_EVIDENCE",
    "MAX_LIST",
    "MAX_MODIFICATIONS",
    "MAX_RISKS",
    "MAX_SUBMISSIONS",
    "REF",
    "TEXT",
    "TITLE",
    "count",
    "text",
]

MAX_MODIFICATIONS = 60
MAX_CRITERIA = 60
MAX_RISKS = 100
MAX_EVIDENCE = 20
MAX_APPEALS = 200
MAX_SUBMISSIONS = 200

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(
    value: str | None,
    what: str,
    limit: int,
    *,
    flag: str,
    required: bool = True,
    plural: bool = False,
) -> str:
    """A cleaned text field: refused when empty (if required), too long, or with control bytes.

    `plural` names a text that reads as many ("the appeal's reasons are missing").
    """
    cleaned = (value or "").strip()
    verb, them = ("are", "them") if plural else ("is", "it")
    if required and not cleaned:
        raise Refused(f"The {what} {verb} missing; give {them} with {flag}.")
    if len(cleaned) > limit:
        raise Refused(
            f"The {what} {verb} {len(cleaned):,} characters long; the limit is {limit:,}."
        )
    if _CONTROL.search(cleaned):
        raise Refused(f"The {what} contains control characters; use plain text.")
    return cleaned


def count(value: int | None, what: str) -> int:
    if value is None:
        return 0
    if not 0 <= value <= MAX_COUNT:
        raise Refused(f"The number of {what} must be from 0 to {MAX_COUNT:,}; {value} is not.")
    return value
