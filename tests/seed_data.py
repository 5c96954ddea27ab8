"""Real data read from the seed papers (copied from shared/seeds into tests/seeds).

The papers are flattened PDFs, so each reader below is a small, careful parser of one table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

SEEDS = Path(__file__).parent / "seeds"
RID_FILE = SEEDS / "004_june2020_RID_v3.txt"
GO_LIVE_PAPER_FILE = SEEDS / "002_nov2019_go_live_approval.txt"

_SHORT_DATE = re.compile(r"^(\d{2} [A-Z][a-z]{2} \d{2}) (.*)$")
_VERSION_ROW = re.compile(r"^(\d\.\d) (\d{2} [A-Z][a-z]{2} \d{2}) (.*)$")


def short_date(text: str) -> date:
    """`11 Oct 19` -> 2019-10-11."""
    return datetime.strptime(text, "%d %b %y").date()


@cache
def rid_lines() -> list[str]:
    return [line.rstrip() for line in RID_FILE.read_text(encoding="utf-8").splitlines()]


def _section(lines: list[str], start: str, end: str) -> list[str]:
    first = next(i for i, line in enumerate(lines) if line.strip().startswith(start))
    last = next(i for i, line in enumerate(lines[first + 1 :], first + 1) if end in line)
    return lines[first:last]


def _join(parts: list[str]) -> str:
    text = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        text = text + part if text.endswith("-") else f"{text} {part}".strip()
    return text


@dataclass(frozen=True)
class SeedTimetableRow:
    on: date
    text: str  # the event, possibly followed by its note


def rid_timetable() -> list[SeedTimetableRow]:
    """The dated rows of the June 2020 RID's implementation timetable."""
    lines = _section(rid_lines(), "3. Implementation timeline", "4. Test strategy")
    rows = []
    for i, line in enumerate(lines):
        match = _SHORT_DATE.match(line.strip())
        if not match:
            continue
        parts = [match[2]]
        for following in lines[i + 1 :]:
            if not following.strip():
                break
            parts.append(following)
        rows.append(SeedTimetableRow(short_date(match[1]), _join(parts)))
    return rows


@dataclass(frozen=True)
class SeedVersion:
    version: str
    on: date
    note: str


def rid_version_history() -> list[SeedVersion]:
    """Appendix 1 of the June 2020 RID: each draft and baseline with its date and note."""
    lines = _section(rid_lines(), "Document history", "Appendix 2")
    out: list[SeedVersion] = []
    pending: tuple[str, date, list[str]] | None = None
    for line in lines:
        match = _VERSION_ROW.match(line.strip())
        if match:
            if pending:
                out.append(SeedVersion(pending[0], pending[1], _join(pending[2])))
            pending = (match[1], short_date(match[2]), [match[3]])
        elif pending and line.strip():
            pending[2].append(line)
    if pending:
        out.append(SeedVersion(pending[0], pending[1], _join(pending[2])))
    return out


def rid_quoted_total() -> Decimal:
    """ "The total DCC implementation costs of this release are currently quoted as £1,120,042"."""
    text = " ".join(rid_lines())
    match = re.search(r"currently quoted as £([\d,]+)", text)
    assert match, "the RID states a quoted total"
    return Decimal(match[1].replace(",", ""))


def rid_cost_breakdown() -> dict[str, dict[str, Decimal]]:
    """The RID's "Breakdown of DCC implementation costs": modification -> line -> pounds."""
    lines = _section(
        rid_lines(), "Breakdown of DCC implementation costs", "No impact on operational"
    )
    out = {}
    for line in lines:
        match = re.match(r"^(SECMP\d{4}|MP\d{3}) ((?:£[\d,]+ ?){4})$", line.strip())
        if match:
            amounts = [Decimal(a.replace(",", "")) for a in re.findall(r"£([\d,]+)", match[2])]
            keys = ("design_build_pit", "sit", "uit", "implement_to_live")
            out[match[1]] = dict(zip(keys, amounts, strict=True))
    return out


PARTY_CATEGORIES = ("Suppliers", "Electricity Networks", "Gas Networks", "Other SEC Parties", "DCC")
MATRIX_MODS = ("SECMP0053", "SECMP0062", "MP079", "MP084", "MP088")


def _ticks(rest: str, columns: tuple[str, ...]) -> list[str]:
    """The flattened table keeps one space per cell: cell i is the i-th space-separated token."""
    cells = rest.split(" ")
    return [col for col, cell in zip(columns, cells, strict=False) if cell == "✓"]


def rid_participant_impacts() -> dict[str, list[str]]:
    """The participant impact matrix: modification -> Party Categories impacted."""
    lines = _section(rid_lines(), "Participant impact matrix", "The impacts on the different")
    out = {}
    for line in lines:
        match = re.match(r"^(SECMP\d{4}|MP\d{3})(?: (.*))?$", line)
        if match:
            out[match[1]] = _ticks(match[2] or "", PARTY_CATEGORIES)
    return out


def rid_document_impacts() -> dict[str, list[str]]:
    """The SEC document impact matrix: document (e.g. "Section A") -> modifications."""
    lines = _section(rid_lines(), "SEC document impact matrix", "The approved changes")
    out = {}
    for line in lines:
        match = re.match(r"^((?:Section|Appendix) [A-Z]{1,2}) (.*)$", line)
        if match:
            out[match[1]] = _ticks(match[2], MATRIX_MODS)
    return out


def rid_documents() -> list[str]:
    """ "The following documents will be updated in this release": full names."""
    lines = _section(
        rid_lines(), "The following documents will be updated", "Each of these documents"
    )
    return [line.strip()[2:].strip() for line in lines if line.strip().startswith("• ")]
