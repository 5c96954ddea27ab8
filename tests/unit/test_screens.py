"""The text screens (status, timeline, inbox) as people read them: commands as typed, refusals
with their reasons, reminders with their deadline and date, every column headed."""

from __future__ import annotations

from datetime import date

from rules import boundary
from rules.context import Context
from rules.status import build_status
from rules.tracking import tick
from schemas import commands as c
from starter.render import inbox_text, status_text, timeline_text
from tests.unit.release_factory import PANEL, SECAS, act, at, new


def test_the_audit_trail_reads_as_typed_and_a_refusal_says_why() -> None:
    state = new()
    when = at(date(2019, 5, 10))
    act(state, when, SECAS, c.ModAdd(mod="MP100", title="A change", system=True))
    boundary.record_refusal(
        state,
        Context(when),
        str(PANEL),
        c.typed(c.VoteCast(go=True)),
        "The Panel cannot vote before the RID is baselined.",
        outcome="refused",
    )
    text = status_text(build_status(state, when))
    assert "SECAS:Kemp: mod add MP100" in text
    assert (
        "PANEL:Chair: vote go (refused): The Panel cannot vote before the RID is baselined." in text
    )
    assert "=True" not in text and "=False" not in text


def test_reminders_print_their_deadline_and_due_date() -> None:
    state = new()
    later = at(date(2019, 12, 20))
    tick(state, later)
    status = build_status(state, later)
    assert status.escalations, "the release has sent reminders by December"
    text = status_text(status)
    block = text[text.index("Escalations and reminders") :]
    assert " L-" not in block
    e = status.escalations[-1]
    assert e.due is not None
    assert f" for {e.deadline} (due {e.due.isoformat()}): to " in block


def test_every_column_of_the_inbox_and_the_timeline_has_a_header() -> None:
    inbox = inbox_text(
        [
            {
                "release": "2020-06",
                "action": "submit the SIT report",
                "due": "2020-04-20",
                "overdue": True,
            }
        ],
        "DCC",
    )
    header = inbox.splitlines()[0].split()
    assert header == ["release", "action", "due", "overdue"]
    label = "A very long event label that goes on and on well past the sixty characters allowed"
    timeline = timeline_text(
        "2020-06",
        [{"label": label, "planned": "2020-01-02", "minimum": "2020-01-01", "late": True}],
    )
    lines = timeline.splitlines()
    assert lines[1].split() == ["event", "planned", "minimum", "actual", "late"]
    assert label[:59] + "…" in lines[3]
    assert label not in timeline


def test_the_audit_trail_names_each_reminder_s_deadline_and_date() -> None:
    state = new()
    tick(state, at(date(2019, 12, 20)))
    sends = [a.command for a in state.audit if a.command.startswith(("reminder", "escalation"))]
    assert sends
    due = {d.key: d.due.isoformat() for d in state.deadlines if d.due is not None}
    for command in sends:
        key = command.split(" for ")[1].split(" ")[0]
        assert f" for {key} (due {due[key]})" in command
