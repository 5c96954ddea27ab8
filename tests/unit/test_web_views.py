"""The web app's pure parts: the forms generated from the declarations, RAG, the Gantt chart."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from frontdoor.web import views
from frontdoor.web.forms import FormProblem, all_forms, form_at, forms_for, read_command
from rules.status import build_status
from rules.tracking import tick
from schemas import commands as c
from schemas.vocabulary import Role
from tests.unit.release_factory import CAL, at, new


def _form(words: str, role: Role) -> object:
    return next(f for f in forms_for(role) if f.leaf.words == words)


def test_every_declared_usage_has_a_form_and_each_role_sees_only_its_own() -> None:
    declared = [u for model in c.COMMANDS for u in model.usages]
    assert len(all_forms()) == len(declared)
    for role in Role:
        for form in forms_for(role):
            assert role in form.usage.roles
    assert "vote" in {f.leaf.words for f in forms_for(Role.PANEL)}
    assert "vote" not in {f.leaf.words for f in forms_for(Role.DCC)}


def test_decisions_ask_for_confirmation() -> None:
    confirming = {f.leaf.words for f in all_forms() if f.confirm}
    assert confirming == {"vote", "rid baseline", "appeal determine", "release cancel"}


def test_a_vote_form_reads_back_as_the_command_the_api_would_send() -> None:
    vote = form_at("vote", {})
    assert vote is not None
    command = read_command(vote, {"go": "no-go", "reason": "Severity 1 defect open"})
    assert command == c.VoteCast(go=False, reason="Severity 1 defect open")


def test_the_panels_waiver_is_its_own_form_with_the_status_fixed() -> None:
    waiver = form_at("criterion/set", {"status": "waived"})
    assert waiver is not None and waiver.usage.roles == (Role.PANEL,)
    assert dict(waiver.fixed) == {"status": "waived"}
    dcc = _form("criterion set", Role.DCC)
    status = next(f for f in dcc.fields if f.name == "status")  # type: ignore[attr-defined]
    assert "waived" not in {o.value for o in status.options}


def test_a_form_problem_is_the_apis_sentence() -> None:
    plan = form_at("uit/plan", {})
    assert plan is not None
    with pytest.raises(FormProblem, match="start"):
        read_command(plan, {"start": "not a date", "end": "2030-01-02"})
    costs = form_at("costs/forecast", {})
    assert costs is not None
    with pytest.raises(FormProblem, match="LINE=GBP"):
        read_command(costs, {"lines": "sit 1000"})
    read = read_command(costs, {"lines": "sit=1000\nuit=250"})
    assert isinstance(read, c.CostsReport)
    assert {k.value if hasattr(k, "value") else k: str(v) for k, v in read.lines.items()} == {
        "sit": "1000",
        "uit": "250",
    }


def test_a_release_created_late_is_red_and_its_gantt_draws_the_lapse_to_today() -> None:
    state = new("2020-06", created=at(date(2019, 9, 2)))
    now = at(date(2019, 9, 3))
    tick(state, now)
    status = build_status(state, now)
    assert views.rag(status, CAL) == "red"
    chart = views.gantt(status)
    lapsed = [r for r in chart.rows if r.state == "lapsed"]
    assert lapsed and all(any(b.kind == "lapsed" for b in r.bars) for r in lapsed)
    assert chart.today_x is not None and chart.go_live_x is not None
    assert chart.today_x < chart.go_live_x


def test_amber_within_ten_working_days_and_green_beyond() -> None:
    state = new("2020-06", created=at(date(2019, 5, 9)))
    now = at(date(2019, 5, 10))
    tick(state, now)
    status = build_status(state, now)
    first = views.next_deadline(status)
    assert first is not None and first.due is not None
    assert views.rag(status, CAL) == "green"
    near = at(CAL.add(first.due, -9) if CAL.is_working_day(first.due) else first.due)
    assert views.rag(build_status(state, near), CAL) == "amber"
    assert timedelta(0) <= first.due - near.date() <= timedelta(days=20)
