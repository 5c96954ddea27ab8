"""The offline commands: the release calendar, deadlines and Working Day arithmetic.

These import no Temporal, SQLAlchemy or pydantic code, so they answer fast; the rules each
one computes with are imported in its handler, so that a reading (whose parser is built beside
these) does not load them.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from schemas.vocabulary import ReleaseType
from starter.args import bounded_int, iso_date
from starter.errors import UsageError
from starter.output import Output, table

COMMANDS = ("calendar", "deadlines", "working-days")

# ~250 Working Days a year: the calendar must cover the whole span counted across.
_WORKING_DAYS_PER_YEAR = 240


def register(sub: Any, common: argparse.ArgumentParser, only: str | None = None) -> None:
    """The offline commands' parsers; with `only`, that command's alone (the command line names it,
    and building the others' parsers would cost it time for nothing)."""
    if only in (None, "calendar"):
        p = sub.add_parser("calendar", parents=[common], help="the scheduled releases of a year")
        p.add_argument("year", type=bounded_int(2000, 2100, "years"), help="e.g. 2020")
        p.set_defaults(handler=calendar_cmd)
    if only in (None, "deadlines"):
        p = sub.add_parser(
            "deadlines", parents=[common], help="the minimum deadlines for a go-live date"
        )
        p.add_argument("--go-live", type=iso_date, required=True, metavar="DATE")
        p.add_argument("--type", choices=[t.value for t in ReleaseType], required=True)
        p.add_argument("--uit-start", type=iso_date, metavar="DATE")
        p.add_argument("--uit-end", type=iso_date, metavar="DATE")
        p.set_defaults(handler=deadlines_cmd)
    if only in (None, "working-days"):
        p = sub.add_parser("working-days", parents=[common], help="add or subtract Working Days")
        p.add_argument("--from", dest="start", type=iso_date, required=True, metavar="DATE")
        p.add_argument(
            "--add", type=bounded_int(-5000, 5000, "Working Days"), required=True, metavar="N"
        )
        p.set_defaults(handler=working_days_cmd)


def calendar_cmd(args: argparse.Namespace, out: Output) -> int:
    from rules.release_calendar import long_date, scheduled_releases
    from rules.workdays import england_and_wales

    year: int = args.year
    releases = scheduled_releases(year, england_and_wales(year - 2, year + 1))
    data = [
        {
            "id": r.id,
            "name": r.name,
            "type": r.type.value,
            "go_live": r.go_live.isoformat(),
            "scope_system_cutoff": r.scope_system_cutoff.isoformat()
            if r.scope_system_cutoff
            else None,
            "scope_docs_cutoff": r.scope_docs_cutoff.isoformat(),
        }
        for r in releases
    ]
    rows = [
        [
            r.id,
            r.name,
            r.type.value,
            long_date(r.go_live),
            long_date(r.scope_system_cutoff) if r.scope_system_cutoff else "-",
            long_date(r.scope_docs_cutoff),
        ]
        for r in releases
    ]
    headers = ["id", "name", "type", "go-live", "system scope cut-off", "docs scope cut-off"]
    out.emit(data, table(rows, headers))
    return 0


def deadlines_cmd(args: argparse.Namespace, out: Output) -> int:
    from rules.deadlines import deadlines_for
    from rules.workdays import calendar_around

    go_live: date = args.go_live
    uit_start: date | None = args.uit_start
    uit_end: date | None = args.uit_end
    if (uit_start is None) != (uit_end is None):
        raise UsageError("give both --uit-start and --uit-end, or neither")
    if uit_start and uit_end and uit_end < uit_start:
        raise UsageError(f"--uit-end {uit_end} is before --uit-start {uit_start}")
    cal = calendar_around(go_live, *(d for d in (uit_start, uit_end) if d))
    specs = deadlines_for(go_live, ReleaseType(args.type), uit_start, uit_end, calendar=cal)
    data = [
        {"key": d.key, "due": d.due.isoformat(), "who": [r.value for r in d.who]} for d in specs
    ]
    rows = [
        [d.key, d.due.isoformat(), d.due.strftime("%a"), ", ".join(d.who), d.what] for d in specs
    ]
    out.emit(data, table(rows, ["deadline", "due", "", "who", "what"]))
    return 0


def working_days_cmd(args: argparse.Namespace, out: Output) -> int:
    from rules.workdays import calendar_around

    start: date = args.start
    n: int = args.add
    span = abs(n) // _WORKING_DAYS_PER_YEAR + 2
    cal = calendar_around(start, before=span, after=span)
    result = cal.add(start, n)
    out.emit({"date": result.isoformat()}, f"{result.isoformat()} ({result.strftime('%A')})")
    return 0
