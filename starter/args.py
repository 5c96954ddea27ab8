"""Argument types shared by the commands: each bad value becomes one clear sentence."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the offline commands never load `decimal`
    from decimal import Decimal

    from schemas.vocabulary import CostLine

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The years a release's dates can fall in (as `calendar YEAR` accepts them): the Working Day
# arithmetic reaches a year or more either side, which a date near year 1 or 9999 cannot.
FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2100, 12, 31)


def iso_date(text: str) -> date:
    """A date written YYYY-MM-DD that exists on the calendar, from 2000 to 2100."""
    if not _ISO.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write dates as YYYY-MM-DD, e.g. 2020-06-25"
        )
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a real date; write dates as YYYY-MM-DD, e.g. 2020-06-25"
        ) from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise argparse.ArgumentTypeError(
            f"{text} is out of range; dates run from {FIRST_DATE} to {LAST_DATE}"
        )
    return day


_RELEASE_ID = re.compile(r"^\d{4}-\d{2}(?:-\d{2}(?:-[b-z])?)?$")


def release_id(text: str) -> str:
    """The id of an existing release: YYYY-MM (scheduled) or YYYY-MM-DD (ad hoc; the second
    going live on the same day is YYYY-MM-DD-b, then -c, ...).

    Checked before any server is asked: another workflow's id (an appeal window's, the
    Panel's) is never taken for a release's.
    """
    text = text.strip()
    if not _RELEASE_ID.match(text):
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise argparse.ArgumentTypeError(
            f"{shown!r} is not a release id; use YYYY-MM for a scheduled release (e.g. 2020-06) "
            "or YYYY-MM-DD for an ad hoc one (e.g. 2020-03-12, or 2020-03-12-b for the second "
            "that day)"
        )
    return text


def bounded_int(low: int, high: int, what: str) -> Callable[[str], int]:
    """An integer between `low` and `high` inclusive."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of {what}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} {what} is out of range; use {low} to {high}")
        return value

    return parse


def one_of(choices: tuple[str, ...], what: str) -> Callable[[str], str]:
    """One of `choices`, in any case, given as the choice spells it; a usage error (exit 2)
    that lists them otherwise, as a bad `--cost` line does."""

    def parse(text: str) -> str:
        match = next((c for c in choices if c.lower() == text.strip().lower()), None)
        if match is None:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a {what.lower()}; use one of {', '.join(choices)}"
            )
        return match

    return parse


def gbp(text: str) -> Decimal:
    """An amount in pounds (1180042, 1,180,042 or £1,180,042.50)."""
    from rules.costs import parse_gbp
    from rules.errors import Refused

    try:
        return parse_gbp(text)
    except Refused as exc:
        raise argparse.ArgumentTypeError(exc.sentence.rstrip(".")) from None


def cost_line(text: str) -> tuple[CostLine, Decimal]:
    """`LINE=GBP`, e.g. `design_build_pit=53572`."""
    from rules.costs import parse_line
    from rules.errors import Refused

    line, sep, amount = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r} is not LINE=GBP, e.g. design_build_pit=53572")
    try:
        return parse_line(line), gbp(amount)
    except Refused as exc:
        raise argparse.ArgumentTypeError(exc.sentence.rstrip(".")) from None
