"""How the reading and lifecycle commands print, from the JSON the front door answers.

Pure functions of the JSON the API returns (`ReleaseStatus` as `model_dump(mode="json")` gives
it, the rows of `list`, `inbox` and `timeline`), so the CLI prints the same whether it reads
through the front door over HTTP or from Temporal directly, and `status` over HTTP prints without
importing pydantic or building the model (bench/README.md, `cli_latency`). Nothing here imports
the Temporal SDK or pydantic at the top; `created_text` and `timeline_rows` take models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rules.clock import LONDON
from rules.release_calendar import long_date
from starter.output import table

if TYPE_CHECKING:
    from decimal import Decimal

    from schemas.status import ReleaseStatus


def day_text(day: date | None) -> str:
    return day.isoformat() if day else "-"


def _local(moment: datetime | str) -> str:
    """A moment (or its ISO text) as London time, as people in the release read it."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return f"{moment.astimezone(LONDON):%Y-%m-%d %H:%M}"


def _date(value: date | str | None) -> date | None:
    """A date from the JSON (its ISO text), or None."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _money(value: Decimal | str | float | None) -> Decimal | None:
    """An amount from the JSON (pydantic writes a Decimal as its text), or None."""
    from decimal import Decimal

    return None if value is None else Decimal(str(value))


def status_text(status: ReleaseStatus | Mapping[str, Any]) -> str:
    """The readable summary of `status`, from the model or from its JSON (`--json`'s document)."""
    s: Mapping[str, Any] = status if isinstance(status, Mapping) else status.model_dump(mode="json")
    go_live, original = _date(s["go_live"]), _date(s["original_go_live"])
    assert go_live is not None and original is not None  # both required by ReleaseStatus
    rid = s["rid"]
    lines = [
        f"{s['name']} ({s['id']}), {s['type']} release",
        f"phase {s['phase']}; go-live {long_date(go_live)}"
        + (f" (originally {long_date(original)})" if go_live != original else ""),
        f"RID {rid['version']}"
        + (f", frozen since {rid.get('frozen_on')}" if rid["frozen"] else ""),
    ]
    early_life_ends = _date(s.get("early_life_ends"))
    if early_life_ends is not None:
        past = s["phase"] in ("POST_LIVE_REVIEW", "CLOSED")
        lines.append(
            f"early-life monitoring {'ended' if past else 'ends'} {long_date(early_life_ends)}"
            + ("" if past else "; the release review begins then")
        )
    lines += [f"! {w}" for w in s.get("warnings", [])]
    rows = [
        [
            d["key"],
            day_text(_date(d["due"])),
            d["status"] + (" (late)" if d.get("late") and d["status"] != "lapsed" else ""),
            day_text(_date(d["met_on"])),
            str(d["escalation_level"] or ""),
            ",".join(d["who"]),
        ]
        for d in s["deadlines"]
        # Deadlines that never applied have no date; a cancelled release's keep theirs and show.
        if d["status"] != "not_applicable" or d["due"] is not None
    ]
    lines += ["", table(rows, ["deadline", "due", "status", "met on", "level", "who"])]
    if s["owed"]:
        owed = [
            [
                o["role"],
                o["action"],
                day_text(_date(o["due"])) + (" OVERDUE" if o.get("overdue") else ""),
                o.get("command", ""),
            ]
            for o in s["owed"]
        ]
        lines += ["", "Owed next:", table(owed, ["role", "action", "due", "command"])]
    if s["gate"] and s["phase"] not in (
        "LIVE",
        "POST_LIVE_REVIEW",
        "CLOSED",
        "CANCELLED",
        "APPROVED",
    ):
        lines += ["", "Before a GO vote:"] + [f"  - {item}" for item in s["gate"]]
    mods = [
        [
            m["id"],
            m.get("status", "targeted"),
            "system" if m["system"] else "docs",
            cut(m["title"], 60),
        ]
        for m in s.get("modifications", [])
    ]
    if mods:
        lines += ["", table(mods, ["modification", "status", "impact", "title"])]
    costs = s["costs"]
    total, quoted = _money(costs["total"]), _money(costs.get("quoted_total"))
    discrepancy = _money(costs.get("discrepancy"))
    assert total is not None  # required by CostsStatus
    if total or quoted is not None:
        from rules.costs import format_gbp

        line = f"Costs: computed {format_gbp(total)}"
        if quoted is not None:
            line += f", quoted {format_gbp(quoted)}"
            if discrepancy:
                line += f", DISCREPANCY {format_gbp(discrepancy)}"
        lines += ["", line]
    escalations = s["escalations"]
    if escalations:
        last = escalations[-5:]
        lines += ["", f"Escalations and reminders: {len(escalations)} (latest {len(last)}):"]
        lines += [f"  {message_line(e)}" for e in last]
    audit = s.get("audit", [])
    lines += ["", f"Audit trail: {len(audit)} entries; latest:"]
    lines += [f"  {audit_line(a)}" for a in audit[-5:]]
    return "\n".join(lines)


def message_line(e: Mapping[str, Any]) -> str:
    """A reminder or escalation (a `MessageRow`'s JSON) as one line: when, what, for which
    deadline due when, to whom."""
    level, due = e.get("level"), _date(e.get("due"))
    what = e["kind"] + (f" level {level}" if level else "")
    about = f" for {e['deadline']}" if e.get("deadline") else ""
    when = f" (due {due.isoformat()})" if due else ""
    return f"{_local(e['at'])} {what}{about}{when}: to {', '.join(e['to'])} [{e.get('delivery', 'queued')}]"


def audit_line(a: Mapping[str, Any]) -> str:
    """One audit entry (its JSON) as the command was typed; a refused or ignored one says why."""
    outcome = a.get("outcome", "accepted")
    line = f"{_local(a['at'])} {a['actor']}: {a['command']} ({outcome})"
    return line if outcome == "accepted" else f"{line}: {a.get('detail', '')}"


def timeline_rows(status: ReleaseStatus) -> list[Any]:
    from rules.timetable import timeline

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
