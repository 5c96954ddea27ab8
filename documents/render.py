"""The Jinja2 environments the documents render with, and the filters their templates use.

Two environments, one per output format, over the same template folder:

- HTML autoescapes everything (`<script>` in a title shows as text);
- Markdown escapes in the same spirit: every value a template prints passes through `md_escape`
  (so a `|` in a title cannot break a table, nor `<b>` turn into markup on GitHub), unless it is
  marked safe with `markupsafe.Markup`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from rules.clock import LONDON
from rules.costs import format_gbp
from rules.errors import Refused
from rules.release_calendar import long_date

Format = Literal["md", "html"]
FORMATS: tuple[Format, ...] = ("md", "html")

# The project keeps its templates in one folder at the top (templates/mail, templates/documents);
# found from this file, so rendering works from any working directory.
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "documents"

# Characters that Markdown (CommonMark/GFM) would read as markup inside a line or a table cell.
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>|#~])")
# An underscore only starts or ends emphasis at a word boundary: `scope_system` stays readable.
_MD_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_SPACES = re.compile(r"\s+")


def md_escape(text: str) -> str:
    """Text as Markdown shows it literally, on one line (safe inside a table cell)."""
    one_line = _SPACES.sub(" ", text).strip()
    return _MD_UNDERSCORE.sub(r"\\_", _MD_SPECIAL.sub(r"\\\1", one_line))


def _md_finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return str(value)
    return md_escape(str(value))


def _long_date(day: date | None) -> str:
    return long_date(day) if day is not None else ""


def _gbp(amount: Decimal | None) -> str:
    return format_gbp(amount) if amount is not None else ""


def _london_time(moment: datetime) -> str:
    local = moment.astimezone(LONDON)
    return f"{long_date(local.date())} at {local:%H:%M}"


def _sentence(text: str) -> str:
    """`text` ending as a sentence ends: a full stop added unless it has its own."""
    text = text.strip()
    return text if not text or text[-1] in ".!?" else f"{text}."


def _environment(fmt: Format) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=fmt == "html",
        finalize=_md_finalize if fmt == "md" else None,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["long_date"] = _long_date
    env.filters["gbp"] = _gbp
    env.filters["london_time"] = _london_time
    env.filters["sentence"] = _sentence
    return env


@cache
def environment(fmt: Format) -> Environment:
    """The environment for `fmt` (built once; Jinja environments are safe to share)."""
    return _environment(fmt)


def check_format(fmt: str) -> Format:
    """`md` or `html`, else a refusal naming both."""
    for known in FORMATS:
        if fmt == known:
            return known
    raise Refused(f"{fmt!r} is not a document format; use md or html.")


def render(name: str, fmt: str, **context: Any) -> str:
    """Render `<name>.<fmt>.j2` with `context`."""
    checked = check_format(fmt)
    text = environment(checked).get_template(f"{name}.{checked}.j2").render(**context)
    # Markdown: never more than one blank line in a row, whatever the template's conditionals left.
    return re.sub(r"\n{3,}", "\n\n", text) if checked == "md" else text
