"""How the reading and lifecycle commands print, from the JSON the front door answers.

Pure functions of the same models and rows the API returns (`ReleaseStatus`, the rows of
`list`, `inbox` and `timeline`), so the CLI prints the same whether it reads through the front
door over HTTP or from Temporal directly. Nothing here imports the Temporal SDK.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from rules.clock import LONDON
from rules.release_calendar import long_date
from rules.timetable import timeline
from schemas.state import AuditEntry
from schemas.status import MessageRow, ReleaseStatus
from starter.output import table


def day_text(day: date | None) -> str:
    return day.isoformat() if day else "-"


def _local(moment: datetime) -> str:
    """A moment as London time, as people in the release read it."""
    return f"{moment.astimezone(LONDON):%Y-%m-%d %H:%M}"


def status_text(s: ReleaseStatus) -> str:
    """The readable summary of `status`."""
    lines = [
        f"{s.name} ({s.id}), {s.type} release",
        f"phase {s.phase}; go-live {long_date(s.go_live)}"
        + (
            f" (originally {long_date(s.original_go_live)})"
            if s.go_live != s.original_go_live
            else ""
        ),
        f"RID {s.rid.version}" + (f", frozen since {s.rid.frozen_on}" if s.rid.frozen else ""),
    ]
    if s.early_life_ends is not None:
        past = s.phase in ("POST_LIVE_REVIEW", "CLOSED")
        lines.append(
            f"early-life monitoring {'ended' if past else 'ends'} {long_date(s.early_life_ends)}"
            + ("" if past else "; the release review begins then")
        )
    lines += [f"! {w}" for w in s.warnings]
    rows = [
        [
            d.key,
            day_text(d.due),
            d.status + (" (late)" if d.late and d.status != "lapsed" else ""),
            day_text(d.met_on),
            str(d.escalation_level or ""),
            ",".join(d.who),
        ]
        for d in s.deadlines
        # Deadlines that never applied have no date; a cancelled release's keep theirs and show.
        if d.status != "not_applicable" or d.due is not None
    ]
    lines += ["", table(rows, ["deadline", "due", "status", "met on", "level", "who"])]
    if s.owed:
        owed = [
            [o.role, o.action, day_text(o.due) + (" OVERDUE" if o.overdue else ""), o.command]
            for o in s.owed
        ]
        lines += ["", "Owed next:", table(owed, ["role", "action", "due", "command"])]
    if s.gate and s.phase not in ("LIVE", "POST_LIVE_REVIEW", "CLOSED", "CANCELLED", "APPROVED"):
        lines += ["", "Before a GO vote:"] + [f"  - {item}" for item in s.gate]
    mods = [
        [m.id, m.status.value, "system" if m.system else "docs", cut(m.title, 60)]
        for m in s.modifications
    ]
    if mods:
        lines += ["", table(mods, ["modification", "status", "impact", "title"])]
    costs = s.costs
    if costs.total or costs.quoted_total is not None:
        from rules.costs import format_gbp

        line = f"Costs: computed {format_gbp(costs.total)}"
        if costs.quoted_total is not None:
            line += f", quoted {format_gbp(costs.quoted_total)}"
            if costs.discrepancy:
                line += f", DISCREPANCY {format_gbp(costs.discrepancy)}"
        lines += ["", line]
    if s.escalations:
        last = s.escalations[-5:]
        lines += ["", f"Escalations and reminders: {len(s.escalations)} (latest {len(last)}):"]
        lines += [f"  {message_line(e)}" for e in last]
    lines += ["", f"Audit trail: {len(s.audit)} entries; latest:"]
    lines += [f"  {audit_line(a)}" for a in s.audit[-5:]]
    return "\n".join(lines)


def message_line(e: MessageRow) -> str:
    """A reminder or escalation as one line: when, what, for which deadline due when, to whom."""
    what = e.kind + (f" level {e.level}" if e.level else "")
    about = f" for {e.deadline}" if e.deadline else ""
    due = f" (due {e.due.isoformat()})" if e.due else ""
    return f"{_local(e.at)} {what}{about}{due}: to {', '.join(e.to)} [{e.delivery}]"


def audit_line(a: AuditEntry) -> str:
    """One audit entry as the command was typed; a refused or ignored one says why."""
    line = f"{_local(a.at)} {a.actor}: {a.command} ({a.outcome})"
    return line if a.outcome == "accepted" else f"{line}: {a.detail}"


def timeline_rows(status: ReleaseStatus) -> list[Any]:
    minimums = {d.key: d.due for d in status.deadlines if d.due is not None}
    minimums["go_live"] = status.go_live
    return timeline(
        system=status.type == "system",
        planned=status.timetable,
        minimums={k: v for k, v in minimums.items() if v is not None},
        actual=status.actual,
    )


def cut(text: str, width: int) -> str:
    """`text` in at most `width` characters, an ellipsis marking where it was cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def _day(value: Any) -> str:
    """A date as the JSON holds it (an ISO string or a date), or `-`."""
    if value is None or value == "":
        return "-"
    return value.isoformat() if isinstance(value, date) else str(value)


def act_text(data: Mapping[str, Any]) -> str:
    """What an accepted lifecycle command changed (or that it went as a signal)."""
    if data.get("signalled"):
        return (
            f"{data['release']}: sent `{data['command']}` as a signal; a refusal would be in the "
            "audit trail." + (f" (request {data['request_id']})" if data.get("request_id") else "")
        )
    return f"{data['release']}: {data['summary']}\nphase {data['phase']}, RID {data['rid_version']}"


def created_text(status: ReleaseStatus, asked_for: str | None = None) -> str:
    """A new release and its dated deadlines (and why its id differs from the one asked for:
    an ad hoc day already taken gives the next letter)."""
    due = [d for d in status.deadlines if d.due is not None]
    lines = [
        f"Created {status.name} ({status.id}), {status.type}, go-live {status.go_live.isoformat()}."
    ]
    if asked_for and status.id != asked_for.strip():
        lines[0] += (
            f" {asked_for.strip()} was taken by another release going live that day, "
            f"so this one is {status.id}."
        )
    lines += [f"  {d.key:<26} {d.due.isoformat() if d.due else '':<10}  {d.status}" for d in due]
    return "\n".join(lines)


def list_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows of `list --json` as a table."""
    if not rows:
        return "No releases match."
    return table(
        [
            [
                r["id"],
                r["type"],
                r["phase"] + (f" (workflow {r['workflow']})" if r.get("workflow") else ""),
                _day(r.get("go_live")),
                "yes" if r.get("lapsed") else "",
            ]
            for r in rows
        ],
        ["id", "type", "phase", "go-live", "lapsed"],
    )


def inbox_text(rows: Sequence[Mapping[str, Any]], who: str) -> str:
    """The rows of `inbox --json` as a table; `who` owes them."""
    if not rows:
        return f"Nothing is owed by {who}."
    return table(
        [
            [r["release"], r["action"], _day(r.get("due")), "OVERDUE" if r.get("overdue") else ""]
            for r in rows
        ],
        ["release", "action", "due", "overdue"],
    )


def timeline_text(title: str, rows: Sequence[Mapping[str, Any]]) -> str:
    """The rows of `timeline --json` as a table under `title`."""

    def flag(r: Mapping[str, Any]) -> str:
        if r.get("late"):
            return "LATE"
        planned, minimum = r.get("planned"), r.get("minimum")
        return "planned late" if planned and minimum and str(planned) > str(minimum) else ""

    text = table(
        [
            [
                cut(str(r["label"]), 60),
                _day(r.get("planned")),
                _day(r.get("minimum")),
                _day(r.get("actual")),
                flag(r),
            ]
            for r in rows
        ],
        ["event", "planned", "minimum", "actual", "late"],
    )
    return f"{title}: planned vs minimum vs actual\n{text}"
