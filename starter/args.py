"""Argument types shared by the commands: each bad value becomes one clear sentence."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import date

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
