"""How commands print: a readable text by default, one JSON document with `--json`."""

from __future__ import annotations

import sys
from datetime import date, datetime
from enum import Enum
from typing import Any

# `json` and `decimal` are imported where they are used, and `Output` is a plain class rather
# than a dataclass: an offline command that prints text loads none of them (bench/README.md).


def _default(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot show {type(value).__name__} as JSON")


def to_json(data: Any) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False, default=_default)


class Output:
    """Where a command's result goes; `json` selects the machine-readable form."""

    def __init__(self, json: bool = False) -> None:
        self.json = json

    def __repr__(self) -> str:
        return f"Output(json={self.json})"

    def emit(self, data: Any, text: str) -> None:
        """Print `data` as JSON with --json, else `text`."""
        print(to_json(data) if self.json else text)

    def refuse(self, sentence: str) -> None:
        """A refusal: the sentence on stderr, and `{"error": ...}` on stdout with --json."""
        print(f"sec-release: {sentence}", file=sys.stderr)
        if self.json:
            print(to_json({"error": sentence}))

    def note(self, text: str) -> None:
        """Progress for a person (stderr, so --json stdout stays one document)."""
        print(text, file=sys.stderr)


def table(rows: list[list[str]], headers: list[str]) -> str:
    """A plain text table with aligned columns."""
    cells = [headers, *rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
