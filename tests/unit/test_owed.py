"""What each role owes is derived from the lifecycle (issue 15): every step a role can take next,
with its due date where one exists, the command that takes it, and no stale entries."""

from __future__ import annotations

from datetime import date

from rules.owed import owed_now
from rules.queries import Owed
from rules.status import build_status, owing_roles
from schemas import commands as c
from schemas.state import ReleaseState
from starter.render import status_text
from tests.june2020 import at
from tests.june2020_state import june_2020_state
from tests.unit.release_factory import AUTHORITY, DCC, PANEL, SECAS, TAG, act, new
from tests.unit.release_factory import at as at_factory

D = date


def rows(state: ReleaseState, today: date, role: str | None = None) -> list[Owed]:
    return [o for o in owed_now(state, today) if role is None or o.role.value == role]


def actions(state: ReleaseState, today: date, role: str) -> list[str]:
    return [o.action for o in rows(state, today, role)]


def june(day: date, hour: int = 18) -> ReleaseState:
    state, _ = june_2020_state(at(day, hour))
    return state


def test_a_new_system_release_owes_its_baseline_notices_the_tad_and_the_start_of_testing() -> None:
    state = new()
    today = D(2019, 5, 10)
    panel = rows(state, today, "PANEL")
    assert [(o.action, o.due, o.command) for o in panel] == [
        (
            "baseline the RID (v1.0) with the system scope",
            D(2019, 6, 25),
            "rid baseline --scope system",
        ),
        (
            "baseline the RID including documentation-only scope",
            D(2019, 12, 24),
            "rid baseline --scope full",
        ),
    ]
    assert actions(state, today, "DCC") == [
        "issue the draft TAD to the TAG",
        "plan the UIT window",
        "start SIT",
    ]
    assert actions(state, today, "TAG") == [] and actions(state, today, "OPSG") == []


def test_the_tad_passes_from_role_to_role_with_the_tad_final_due_date() -> None:
    state = new()
    tad_final = D(2019, 12, 24)
    act(state, at_factory(D(2019, 8, 1)), DCC, c.TadSubmit(doc="TAD-0.1"))
    assert [(o.action, o.due) for o in rows(state, D(2019, 8, 1), "TAG")] == [
        ("review the draft TAD", tad_final)
    ]
    # tad_final's own row (DCC and PANEL) is replaced by whoever holds the TAD now.
    assert "finalise the TAD and incorporate it into the RID" not in [
        o.action for o in rows(state, D(2019, 8, 1))
    ]
    act(state, at_factory(D(2019, 8, 5)), TAG, c.TadReview(comments="More on UIT entry"))
    assert actions(state, D(2019, 8, 5), "TAG") == []
    assert "consult industry on the TAD" in actions(state, D(2019, 8, 5), "DCC")
    act(
        state, at_factory(D(2019, 8, 6)), DCC, c.TadConsult(start=D(2019, 8, 6), end=D(2019, 8, 20))
    )
    assert "submit the updated TAD" in actions(state, D(2019, 8, 6), "DCC")
    act(state, at_factory(D(2019, 8, 21)), DCC, c.TadSubmit(doc="TAD-1.0", updated=True))
    assert actions(state, D(2019, 8, 21), "TAG") == ["recommend on the updated TAD"]
    act(state, at_factory(D(2019, 8, 22)), TAG, c.TadRecommend(suitable=True))
    assert "incorporate the TAD into the RID" in actions(state, D(2019, 8, 22), "PANEL")
    act(state, at_factory(D(2019, 8, 23)), PANEL, c.TadIncorporate())
    assert not [o for o in rows(state, D(2019, 8, 23)) if "TAD" in o.action]


def test_sit_and_uit_recommendations_and_approvals_and_no_stale_uit_row() -> None:
    # The SIT report is in: the TAG recommends, then the Panel approves.
    assert "recommend on the SIT Completion Report" in actions(
        june(D(2020, 4, 21)), D(2020, 4, 21), "TAG"
    )
    # The UIT report is in: the TAG owes both its UIT recommendation and its go-live view ...
    state = june(D(2020, 5, 20))
    assert {"recommend on the UIT Completion Report", "give the go-live recommendation"} <= set(
        actions(state, D(2020, 5, 20), "TAG")
    )
    # ... and once its go-live recommendation is in (it covers the UIT report, SPEC 5.3) the
    # UIT row is gone, and the Panel owes the approval.
    state = june(D(2020, 5, 27))
    assert actions(state, D(2020, 5, 27), "TAG") == []
    assert "approve the UIT Completion Report" in actions(state, D(2020, 5, 27), "PANEL")
    assert [o.action for o in rows(state, D(2020, 5, 27), "OPSG")] == [
        "give the go-live recommendation"
    ]
    state = june(D(2020, 6, 12), 10)  # the Panel approved the UIT report at 10:00
    assert "approve the UIT Completion Report" not in actions(state, D(2020, 6, 12), "PANEL")


def test_evidence_is_owed_after_the_uit_report_or_once_its_deadline_lapsed() -> None:
    state = june(D(2020, 5, 20))
    dcc = {o.action: o for o in rows(state, D(2020, 5, 20), "DCC")}
    assert "submit the testing evidence" not in dcc  # given at 11:00 that day
    assert dcc["submit the operational evidence"].due == D(2020, 5, 14)
    assert dcc["submit the operational evidence"].command == "evidence submit --kind operational"


def test_the_vote_is_owed_at_the_decision_point_even_with_the_gate_unmet_and_says_what_is_unmet() -> (
    None
):
    state = june(D(2020, 6, 13))
    vote = next(o for o in rows(state, D(2020, 6, 13), "PANEL") if o.action == "vote go/no-go")
    assert vote.command == "vote"
    assert vote.due == D(2020, 6, 12)
    assert vote.detail == (
        "GO waits for: 1 Severity 1 defect is open; acceptance criterion test-5 is neither met "
        "nor waived"
    )
    assert "meet or waive acceptance criterion test-5" in actions(state, D(2020, 6, 13), "DCC")
    # After GO nothing about the vote is owed.
    assert "vote go/no-go" not in actions(june(D(2020, 6, 19)), D(2020, 6, 19), "PANEL")


def test_go_live_day_owes_the_dccs_deployment_and_secass_confirmation() -> None:
    state = june(D(2020, 6, 19))
    owed = {(o.role.value, o.action, o.due, o.command) for o in rows(state, D(2020, 6, 25))}
    assert ("DCC", "confirm deployment", D(2020, 6, 25), "golive confirm --deployed") in owed
    assert (
        "SECAS",
        "confirm the SEC text was updated",
        D(2020, 6, 25),
        "golive confirm --sec-updated",
    ) in owed


def test_after_go_live_lessons_and_actual_costs_then_closing() -> None:
    state = june(D(2020, 6, 25))
    assert [(o.action, o.due) for o in rows(state, D(2020, 6, 25), "DCC")] == [
        ("submit lessons learnt", D(2020, 7, 25)),
        ("present the actual cost report with variances", D(2020, 8, 25)),
    ]
    state = june(D(2020, 9, 1))
    assert [o.action for o in rows(state, D(2020, 9, 1))] == ["close the release"]
    assert rows(june(D(2020, 9, 10)), D(2020, 9, 10)) == []


def test_an_appeal_referred_to_the_authority_names_the_rid_version() -> None:
    state = june(D(2020, 2, 7))  # the appeal against 2.0 was referred when its window closed
    authority = rows(state, D(2020, 2, 7), "AUTHORITY")
    assert [(o.action, o.command) for o in authority] == [
        (
            "determine the appeal against RID 2.0 (referred 2020-02-03)",
            "appeal determine --version 2.0",
        )
    ]


def test_a_requested_re_date_shows_the_date_asked_for() -> None:
    state = june(D(2020, 6, 13))
    act(
        state,
        at(D(2020, 6, 15)),
        PANEL,
        c.RedateRequest(go_live=D(2020, 11, 5), reason="Severity 1 defect"),
    )
    [row] = rows(state, D(2020, 6, 15), "AUTHORITY")
    assert row.action == "decide on revising the go-live date to 2020-11-05 (requested 2020-06-15)"
    assert (row.command, row.detail) == ("redate approve", "Severity 1 defect")
    act(state, at(D(2020, 6, 16)), AUTHORITY, c.RedateApprove())
    assert rows(state, D(2020, 6, 16), "AUTHORITY") == []


def test_an_approval_notice_names_the_modification() -> None:
    state = new()
    act(
        state,
        at_factory(D(2019, 5, 9)),
        SECAS,
        c.ModAdd(
            mod="SECMP0062", title="Alert Storm Protection", system=True, approved_on=D(2019, 5, 9)
        ),
    )
    [row] = [o for o in rows(state, D(2019, 5, 9), "SECAS") if "approval" in o.action]
    assert row.action == "notify Parties of the approval of SECMP0062 and its date"
    assert row.command == "notice send --kind approval --mod SECMP0062"


def test_the_panel_baselines_a_draft_rid_when_no_scope_deadline_says_so() -> None:
    state = june(D(2020, 4, 21))  # the TAD incorporated as draft 3.1
    [row] = [o for o in rows(state, D(2020, 4, 21), "PANEL") if o.command == "rid baseline"]
    assert row.action == "baseline the RID as it stands (version 3.1)"
    assert row.due == D(2020, 6, 12)  # the planned vote
    assert "(rid baseline)" in row.detail
    state = june(D(2020, 4, 24), 10)
    assert not [o for o in rows(state, D(2020, 4, 24), "PANEL") if o.command == "rid baseline"]


def test_status_shows_the_owed_list_and_the_end_of_early_life_monitoring() -> None:
    state = june(D(2020, 6, 25))
    status = build_status(state, at(D(2020, 6, 26)))
    assert status.early_life_ends == D(2020, 7, 25)
    assert [(o.role, o.command) for o in status.owed][:1] == [("DCC", "lessons submit")]
    assert "early-life monitoring ends 25 July 2020" in status_text(status)
    assert build_status(june(D(2020, 6, 19)), at(D(2020, 6, 19))).early_life_ends is None


def test_the_search_attribute_roles_keep_the_old_list_for_old_runs() -> None:
    # After its go-live recommendation the TAG owes nothing; the old list still had it owing
    # the UIT recommendation, and runs recorded with it keep upserting it.
    state = june(D(2020, 5, 27))
    now = at(D(2020, 5, 27), 18)
    assert "TAG" not in owing_roles(state, now)
    assert "TAG" in owing_roles(state, now, lifecycle=False)
