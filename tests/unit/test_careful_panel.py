"""The rules a careful Panel would want (issue 15; SPEC sections 4, 5.1, 5.3 and 5.5): GO needs
the RID as it stands baselined, changes since a baseline show, stale steps are refused."""

from __future__ import annotations

from datetime import date

import pytest

from rules import appeals, pipeline
from rules.context import Context
from rules.errors import Refused
from rules.notices import EVERYONE
from rules.queries import gate, owed, phase
from rules.status import build_status
from schemas import commands as c
from schemas.base import Actor
from schemas.state import DeadlineStatus, ReleaseState
from tests.unit.release_factory import AUTHORITY, DCC, PANEL, PARTY, SECAS, TAG, act, at, new

D = date
RID_ITEM = "is not baselined:"


def refused(state: ReleaseState, when: object, actor: Actor, command: c.Command) -> str:
    before = state.model_dump_json()
    with pytest.raises(Refused) as exc:
        pipeline.apply(state, actor, command, Context(when))  # type: ignore[arg-type]
    assert state.model_dump_json() == before, "a refused command changes nothing"
    return exc.value.sentence


def baselined() -> ReleaseState:
    """A System release (June 2020) whose RID 1.0 the Panel baselined on 20 June 2019."""
    state = new()
    act(
        state, at(D(2019, 5, 9)), SECAS, c.ModAdd(mod="SECMP0062", title="Alert Storm", system=True)
    )
    act(state, at(D(2019, 6, 20)), PANEL, c.RidBaseline())
    return state


def incorporate_the_tad(state: ReleaseState) -> None:
    act(state, at(D(2019, 9, 2)), DCC, c.TadSubmit(doc="TAD-0.1"))
    act(state, at(D(2019, 9, 9)), TAG, c.TadReview(comments="Clarify regression."))
    act(state, at(D(2019, 9, 10)), DCC, c.TadConsult(start=D(2019, 9, 10), end=D(2019, 9, 24)))
    act(state, at(D(2019, 9, 30)), DCC, c.TadSubmit(doc="TAD-1.0", updated=True))
    act(state, at(D(2019, 10, 7)), TAG, c.TadRecommend(suitable=True, comments="Suitable."))
    act(state, at(D(2019, 10, 9)), PANEL, c.TadIncorporate())


def rid_items(state: ReleaseState) -> list[str]:
    return [item for item in gate(state) if RID_ITEM in item]


def test_go_is_refused_while_the_rid_stands_at_a_draft_after_the_tad_is_incorporated() -> None:
    state = baselined()
    incorporate_the_tad(state)
    assert state.rid_version == "1.1"
    sentence = refused(state, at(D(2020, 6, 12)), PANEL, c.VoteCast(go=True))
    # The baseline is one unmet item among the gate's others, in the one answer.
    assert (
        "the RID as it stands (version 1.1) is not baselined: the TAD incorporated as draft 1.1 "
        "since the last baseline (rid baseline)"
    ) in sentence
    assert "the Panel has not approved the SIT Completion Report (sit approve)" in sentence
    act(state, at(D(2019, 10, 11)), PANEL, c.RidBaseline())
    assert state.rid_version == "2.0"
    assert rid_items(state) == []


def test_a_documentation_only_modification_added_after_a_baseline_leaves_the_rid_changed() -> None:
    state = baselined()
    act(state, at(D(2019, 7, 1)), SECAS, c.ModAdd(mod="MP079", title="Withdrawing", system=False))
    # A marker, not a new version: the RID stays at 1.0 until the Panel baselines it again.
    assert state.rid_version == "1.0"
    rid = build_status(state, at(D(2019, 7, 1))).rid
    assert rid.changed_since_baseline is True
    assert rid.changes_since_baseline == ["MP079 added"]
    assert rid_items(state) == [
        "the RID as it stands (version 1.0) is not baselined: MP079 added since the last "
        "baseline (rid baseline)"
    ]
    act(state, at(D(2019, 7, 2)), PANEL, c.RidBaseline())
    rid = build_status(state, at(D(2019, 7, 2))).rid
    assert (rid.version, rid.changed_since_baseline, rid.changes_since_baseline) == (
        "2.0",
        False,
        [],
    )


def test_every_change_to_baselined_content_is_listed_until_the_next_baseline() -> None:
    state = baselined()
    act(state, at(D(2019, 7, 1)), SECAS, c.ModApprove(mod="SECMP0062", on=D(2019, 7, 1)))
    act(state, at(D(2019, 7, 1)), PANEL, c.CriterionDefine(key="panel-1", text="Legal review"))
    act(state, at(D(2019, 7, 1)), PANEL, c.CriterionDefine(key="op-1", text="Reworded"))
    act(state, at(D(2019, 7, 1)), SECAS, c.TimetableSet(event="vote", on=D(2020, 6, 12)))
    act(state, at(D(2019, 7, 1)), SECAS, c.ModRemove(mod="SECMP0062", reason="Moved on"))
    assert state.rid_changes == [
        "SECMP0062 approved",
        "criterion panel-1 added",
        "criterion op-1 reworded",
        "'Panel go/no-go decision' planned for 2020-06-12",
        "SECMP0062 removed",
    ]
    # Progress records are not RID content: they leave the RID as baselined.
    act(state, at(D(2019, 7, 2)), PANEL, c.RidBaseline())
    act(state, at(D(2019, 7, 3)), DCC, c.CriterionSet(key="op-2", status="met", evidence="EV-1"))
    act(state, at(D(2019, 7, 3)), DCC, c.DefectsSet(sev3=1, resolution_plan="RP-1"))
    assert state.rid_changes == []


def test_changes_before_the_first_baseline_are_drafting_not_changes_since_a_baseline() -> None:
    state = new()
    act(state, at(D(2019, 5, 9)), SECAS, c.ModAdd(mod="MP079", title="Withdrawing", system=False))
    assert state.rid_changes == []
    assert "the Panel has not baselined the RID (rid baseline)" in gate(state)


def test_a_baseline_holding_documentation_only_modifications_meets_scope_docs_too() -> None:
    state = new()
    act(state, at(D(2019, 5, 9)), SECAS, c.ModAdd(mod="SECMP0062", title="Alert", system=True))
    act(state, at(D(2019, 5, 9)), SECAS, c.ModAdd(mod="MP079", title="Withdrawing", system=False))
    summary = act(state, at(D(2019, 6, 20)), PANEL, c.RidBaseline())
    assert summary.endswith(
        "(full scope), published 2019-06-20; the appeal window runs to "
        "2019-07-04; meets scope_system, scope_docs."
    )
    met = {d.key: d.met_on for d in state.deadlines if d.status is DeadlineStatus.MET}
    assert met["scope_system"] == met["scope_docs"] == D(2019, 6, 20)


def test_the_panel_may_still_baseline_the_system_scope_alone() -> None:
    state = new()
    act(state, at(D(2019, 5, 9)), SECAS, c.ModAdd(mod="SECMP0062", title="Alert", system=True))
    act(state, at(D(2019, 5, 9)), SECAS, c.ModAdd(mod="MP079", title="Withdrawing", system=False))
    act(state, at(D(2019, 6, 20)), PANEL, c.RidBaseline(scope="system"))
    scope_docs = next(d for d in state.deadlines if d.key == "scope_docs")
    assert scope_docs.status is DeadlineStatus.PENDING


def test_waiving_a_criterion_is_a_decision_mailed_to_every_party() -> None:
    state = baselined()
    waive = c.CriterionSet(key="op-1", status="waived", reason="Covered by SIT")
    act(state, at(D(2020, 5, 1)), PANEL, waive)
    [decision] = [n for n in state.notices if n.kind == "decision"]
    assert decision.subject == (
        "Decision: June 2020 SEC Release: the Panel waived acceptance criterion op-1 (Covered by SIT)"
    )
    assert decision.to == EVERYONE
    # The same waiver again is no new decision.
    act(state, at(D(2020, 5, 2)), PANEL, waive)
    assert sum(1 for n in state.notices if n.kind == "decision") == 1


def test_a_second_determination_of_an_appeal_says_the_determination_is_final() -> None:
    state = baselined()
    act(state, at(D(2019, 6, 24)), PARTY, c.AppealLodge(reasons="Costs unclear"))
    appeals.close_due_windows(state, Context(at(D(2019, 7, 5), 0)))
    act(state, at(D(2019, 7, 8)), AUTHORITY, c.AppealDetermine(upheld=True))
    appeals.determine_appeal(state, "1.0", True, "", Context(at(D(2019, 7, 8))))
    assert refused(state, at(D(2019, 7, 9)), AUTHORITY, c.AppealDetermine(upheld=False)) == (
        "The Authority already determined the appeal against RID 1.0 on 2019-07-08 (the approval "
        "was upheld); the determination is final."
    )


def test_the_appeals_reasons_are_missing_reads_as_a_plural() -> None:
    state = baselined()
    assert refused(state, at(D(2019, 6, 24)), PARTY, c.AppealLodge(reasons="")) == (
        "The appeal's reasons are missing; give them with --reasons."
    )


def live_documentation_release() -> ReleaseState:
    """February 2020, live on 27 February 2020 without any notice to Parties sent."""
    state = new("2020-02", created=at(D(2019, 3, 1)))
    act(state, at(D(2019, 3, 1)), SECAS, c.ModAdd(mod="MP079", title="Withdrawing", system=False))
    act(state, at(D(2019, 8, 1)), PANEL, c.RidBaseline())
    act(state, at(D(2020, 2, 1)), SECAS, c.ReadinessConfirm())
    act(state, at(D(2020, 2, 10)), PANEL, c.VoteCast(go=True))
    act(state, at(D(2020, 2, 27)), SECAS, c.GoLiveConfirm(what="sec_updated"))
    assert phase(state, D(2020, 2, 27)).value == "LIVE"
    return state


def test_notices_of_scope_are_refused_once_the_release_is_live() -> None:
    state = live_documentation_release()
    for kind in ("12m", "6m"):
        sentence = refused(state, at(D(2020, 2, 28)), SECAS, c.NoticeSend(notice=kind))
        assert "is no longer owed: the February 2020 SEC Release is live" in sentence
    assert "is no longer owed" in refused(
        state, at(D(2020, 2, 28)), SECAS, c.NoticeSend(notice="1m")
    )


def test_a_live_release_no_longer_owes_its_notices_and_keeps_them_on_the_record_as_lapsed() -> None:
    state = live_documentation_release()
    actions = [o.action for o in owed(state, D(2020, 2, 28))]
    assert not any("notice" in a.lower() for a in actions), actions
    rows = {d.key: d.status for d in build_status(state, at(D(2020, 2, 28))).deadlines}
    assert rows["notice_12m"] == rows["notice_6m"] == rows["notice_1m"] == "lapsed"


def test_the_one_month_notice_is_refused_after_go_live_day() -> None:
    state = baselined()
    assert refused(state, at(D(2020, 6, 26)), SECAS, c.NoticeSend(notice="1m")) == (
        "The one-month notice of imminent go-live is no longer owed: go-live was on 25 June "
        "2020. Its deadline stays on the record as it stands."
    )


def sit_reported() -> ReleaseState:
    state = baselined()
    act(state, at(D(2020, 3, 2)), DCC, c.PhaseStart(kind="sit_start"))
    act(state, at(D(2020, 3, 16)), DCC, c.UitPlan(start=D(2020, 4, 27), end=D(2020, 5, 15)))
    act(state, at(D(2020, 4, 20)), DCC, c.PhaseReport(kind="sit_report", doc="SIT-CR"))
    return state


def test_uit_cannot_start_before_its_planned_window_unless_the_dcc_replans_it() -> None:
    state = sit_reported()
    assert refused(state, at(D(2020, 4, 21)), DCC, c.PhaseStart(kind="uit_start")) == (
        "The UIT window is planned to open on 2020-04-27; UIT cannot start before it. To start "
        "earlier, the DCC re-plans the window first (uit plan --start DATE --end DATE), which "
        "moves the regression deadlines too."
    )
    act(state, at(D(2020, 4, 21)), DCC, c.UitPlan(start=D(2020, 4, 21), end=D(2020, 5, 15)))
    assert act(state, at(D(2020, 4, 21), 11), DCC, c.PhaseStart(kind="uit_start")) == "UIT started."


def test_a_release_recorded_before_these_rules_replays_under_the_old_ones() -> None:
    state = sit_reported()
    old = Context(at(D(2020, 4, 21)), careful_panel=False)
    pipeline.apply(state, SECAS, c.ModApprove(mod="SECMP0062", on=D(2020, 4, 21)), old)
    assert state.rid_changes == []
    pipeline.apply(state, DCC, c.PhaseStart(kind="uit_start"), old)
    assert state.uit.started_on == D(2020, 4, 21)
