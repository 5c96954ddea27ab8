"""Argument types shared by the commands: each bad value becomes one clear sentence."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from rules.costs import CostLine

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso_date(text: str) -> date:
    """A date written YYYY-MM-DD that exists on the calendar."""
    if not _ISO.match(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write dates as YYYY-MM-DD, e.g. 2020-06-25"
        )
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a real date; write dates as YYYY-MM-DD, e.g. 2020-06-25"
        ) from None


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
