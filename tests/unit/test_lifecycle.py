"""The lifecycle rules (SPEC section 5): each refusal says what was wrong and what would be right."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from rules import appeals, pipeline, redates_and_waivers
from rules.context import Context
from rules.errors import Refused
from rules.queries import phase
from rules.status import build_status
from schemas import commands as c
from schemas.base import Actor
from schemas.state import AppealStatus, ReleaseState, Vote
from schemas.vocabulary import ReleaseType
from tests.unit.release_factory import AUTHORITY, DCC, OPSG, PANEL, PARTY, SECAS, TAG, act, at, new

D = date


def refused(state: ReleaseState, when: object, actor: Actor, command: c.Command) -> str:
    before = state.model_dump_json()
    with pytest.raises(Refused) as exc:
        pipeline.apply(state, actor, command, Context(when))  # type: ignore[arg-type]
    assert state.model_dump_json() == before, "a refused command changes nothing"
    return exc.value.sentence


def baselined() -> ReleaseState:
    state = new()
    act(
        state,
        at(D(2019, 5, 9)),
        SECAS,
        c.ModAdd(mod="SECMP0062", title="Alert Storm Protection", system=True),
    )
    act(state, at(D(2019, 6, 20)), PANEL, c.RidBaseline())
    return state


def test_a_modification_after_the_system_cut_off_needs_the_panels_rationale() -> None:
    state = new()
    sentence = refused(
        state, at(D(2019, 7, 1)), SECAS, c.ModAdd(mod="SECMP0053", title="x", system=True)
    )
    assert sentence == (
        "The system scope cut-off of the June 2020 SEC Release was 2019-06-25; adding SECMP0053 "
        "after it needs the Panel's rationale (--rationale)."
    )
    act(
        state,
        at(D(2019, 7, 1)),
        SECAS,
        c.ModAdd(mod="SECMP0053", title="x", system=True, rationale="Urgent fix"),
    )
    # A documentation-only modification still has until the documentation cut-off.
    act(state, at(D(2019, 7, 1)), SECAS, c.ModAdd(mod="MP079", title="y", system=False))
    assert [m.id for m in state.modifications] == ["SECMP0053", "MP079"]


@pytest.mark.parametrize(
    ("command", "sentence"),
    [
        (
            c.ModAdd(mod="SECMP0062", title="again", system=True),
            "SECMP0062 is already in the scope of the June 2020 SEC Release (targeted).",
        ),
        (
            c.ModAdd(mod="62", title="x", system=True),
            "'62' is not a modification id; ids look like SECMP0062 or MP079.",
        ),
        (
            c.ModAdd(mod="MP090", title="  ", system=False),
            "The title is missing; give it with --title.",
        ),
        (
            # The model refuses it first (tests/security); the rule holds beside it.
            c.ModAdd.model_construct(mod="MP090", title="x" * 201, system=False),
            "The title is 201 characters long; the limit is 200.",
        ),
        (
            c.ModAdd(mod="MP090", title="x", system=False, impacts=["Retailers"]),
            "'Retailers' is not a Party Category",
        ),
        (
            c.ModApprove(mod="MP999", on=D(2019, 5, 9)),
            "MP999 is not in the scope of the June 2020 SEC Release (in scope: SECMP0062).",
        ),
        (
            c.ModApprove(mod="SECMP0062", on=D(2019, 6, 1)),
            "The approval date 2019-06-01 is in the future (today is 2019-05-20); record it on or after the day it happens.",
        ),
        (c.ModRemove(mod="SECMP0062", reason=""), "The reason is missing; give it with --reason."),
        (
            c.NoticeSend(notice="approval", mod="SECMP0062"),
            "SECMP0062 is targeted, not approved; record its approval (mod approve) first.",
        ),
        (c.NoticeSend(notice="approval"), "An approval notice names its modification (--mod MOD)."),
        (c.TimetableSet(event="lunch", on=D(2020, 1, 1)), "'lunch' is not a timetable event"),
        (
            c.TadReview(comments="x"),
            "There is no TAD to review; the DCC submits it first (tad submit).",
        ),
        (
            c.TadSubmit(doc="T", updated=True),
            "There is no draft TAD to update; submit the draft first",
        ),
        (c.TadIncorporate(), "The TAG has not recommended on the updated TAD (tad recommend)"),
        (
            c.PhaseReport(kind="sit_report", doc="R"),
            "SIT has not started (sit start); its Completion Report comes after.",
        ),
        (
            c.PhaseStart(kind="uit_start"),
            "Plan the UIT window first (uit plan --start DATE --end DATE)",
        ),
        (
            c.Regression(kind="regression_plans", doc="P"),
            "The DCC has not planned the UIT window yet (uit plan)",
        ),
        (c.UitClose(), "UIT has not started (uit start)"),
        (
            c.Recommend(group="TAG", go=True, comments="ok"),
            "The DCC has not submitted its testing evidence yet (evidence submit --kind testing)",
        ),
        (
            c.CriterionSet(key="op-99", status="met"),
            "'op-99' is not an acceptance criterion of the June 2020 SEC Release",
        ),
        (
            c.CriterionSet(key="op-1", status="waived"),
            "The reason is missing; give it with --reason.",
        ),
        (
            c.Waive(deadline="tad_to_tag", reason=""),
            "The reason is missing; give it with --reason.",
        ),
        (
            c.Waive(deadline="nonsense", reason="x"),
            "'nonsense' is not an open deadline of the June 2020 SEC Release",
        ),
        (
            c.AppealLodge(reasons="unfair"),
            "No appeal window is open: the Panel has not baselined the RID.",
        ),
        (
            c.AppealLodge(reasons="   "),
            "The appeal's reasons are missing; give them with --reasons.",
        ),
        (c.AppealDetermine(upheld=True), "No appeal has been referred to the Authority"),
        (
            c.RedateApprove(),
            "There is no re-date request waiting; the Panel requests one first (redate request).",
        ),
        (
            c.GoLiveConfirm(what="deployed"),
            "The Panel has not approved go-live (vote go); the release cannot go live yet.",
        ),
        (c.LessonsSubmit(doc="L"), "Lessons learnt come after go-live"),
        (
            c.ReleaseEnd(kind="release_close"),
            "The release has not gone live; the Panel closes it after go-live and review (or cancels it).",
        ),
        (c.VoteCast(go=False), "The reason is missing; give it with --reason."),
        (
            c.CostsReport(kind="costs_forecast"),
            "A forecast cost report gives a total (--total GBP) or line items (--cost LINE=GBP).",
        ),
        (
            c.CostsReport(kind="costs_actual", total=Decimal(1)),
            "The actual cost report comes after go-live",
        ),
        (
            c.CostsPeriod.model_construct(months=13),
            "The spend-report period is 1 to 12 months; 13 is not.",
        ),
        (c.ReadinessConfirm(), "`readiness confirm` is for Documentation releases"),
    ],
)
def test_out_of_order_and_bad_requests_are_refused_with_a_sentence(
    command: c.Command, sentence: str
) -> None:
    state = new()
    act(
        state,
        at(D(2019, 5, 9)),
        SECAS,
        c.ModAdd(mod="SECMP0062", title="Alert Storm Protection", system=True),
    )
    actor = {
        "mod_add": SECAS,
        "mod_approve": SECAS,
        "mod_remove": SECAS,
        "notice_send": SECAS,
        "timetable_set": SECAS,
        "readiness_confirm": SECAS,
        "tad_review": TAG,
        "tad_submit": DCC,
        "tad_incorporate": PANEL,
        "sit_report": DCC,
        "uit_start": DCC,
        "regression_plans": PARTY,
        "uit_close": DCC,
        "recommend": TAG,
        "waive": PANEL,
        "appeal_lodge": PARTY,
        "appeal_determine": AUTHORITY,
        "redate_approve": AUTHORITY,
        "golive_confirm": DCC,
        "lessons_submit": DCC,
        "release_close": PANEL,
        "vote": PANEL,
        "costs_forecast": DCC,
        "costs_actual": DCC,
        "costs_period": PANEL,
    }.get(command.kind)
    if isinstance(command, c.CriterionSet):
        actor = PANEL if command.status == "waived" else DCC
    assert actor is not None, command.kind
    assert sentence in refused(state, at(D(2019, 5, 20)), actor, command)


def test_every_role_is_refused_what_it_may_not_do_and_told_who_may() -> None:
    state = new()
    cases: list[tuple[Actor, c.Command, str]] = [
        (
            DCC,
            c.RidBaseline(),
            "Only PANEL may baseline the RID (`sec-release rid baseline`); you acted as DCC.",
        ),
        (
            SECAS,
            c.VoteCast(go=True),
            "Only PANEL may vote go/no-go (`sec-release vote`); you acted as SECAS.",
        ),
        (
            PANEL,
            c.TadSubmit(doc="T"),
            "Only DCC may submit the TAD (`sec-release tad submit`); you acted as PANEL.",
        ),
        (
            DCC,
            c.TadReview(comments="x"),
            "Only TAG may review the TAD (`sec-release tad review`); you acted as DCC.",
        ),
        (
            TAG,
            c.Recommend(group="OPSG", go=True, comments="x"),
            "Only OPSG may give the OPSG's go-live recommendation (`sec-release recommend --group OPSG`); you acted as TAG.",
        ),
        (
            OPSG,
            c.Recommend(group="TAG", go=True, comments="x"),
            "Only TAG may give the TAG's go-live recommendation (`sec-release recommend --group TAG`); you acted as OPSG.",
        ),
        (
            SECAS,
            c.AppealLodge(reasons="x"),
            "Only PARTY may lodge an appeal (`sec-release appeal lodge`); you acted as SECAS.",
        ),
        (
            PANEL,
            c.AppealDetermine(upheld=True),
            "Only AUTHORITY may determine an appeal (`sec-release appeal determine`); you acted as PANEL.",
        ),
        (
            PANEL,
            c.RedateApprove(),
            "Only AUTHORITY may approve a revised go-live date (`sec-release redate approve`); you acted as PANEL.",
        ),
        (
            PARTY,
            c.ModAdd(mod="MP1", title="x", system=False),
            "Only SECAS may add a modification to the scope (`sec-release mod add`); you acted as PARTY.",
        ),
        (
            AUTHORITY,
            c.Regression(kind="regression_plans", doc="x"),
            "Only PARTY may file regression testing plans (`sec-release regression plans`); you acted as AUTHORITY.",
        ),
        (
            DCC,
            c.CriterionSet(key="op-1", status="waived", reason="x"),
            "Only PANEL may waive an acceptance criterion (`sec-release criterion set --waived`); you acted as DCC.",
        ),
        (
            SECAS,
            c.GoLiveConfirm(what="deployed"),
            "Only DCC may confirm deployment at go-live (`sec-release golive confirm --deployed`); you acted as SECAS.",
        ),
        (
            DCC,
            c.GoLiveConfirm(what="sec_updated"),
            "Only SECAS may confirm the SEC text was updated at go-live (`sec-release golive confirm --sec-updated`); you acted as DCC.",
        ),
    ]
    for actor, command, sentence in cases:
        assert refused(state, at(D(2019, 5, 10)), actor, command) == sentence


def test_the_rid_versions_and_freezes_after_the_one_month_notice() -> None:
    state = baselined()
    assert state.rid_version == "1.0"
    act(state, at(D(2019, 7, 1)), SECAS, c.RidDraft(note="comments"))
    assert state.rid_version == "1.1"
    act(state, at(D(2019, 7, 8)), PANEL, c.RidBaseline())
    act(state, at(D(2019, 7, 9)), PANEL, c.RidBaseline(note="re-confirmed, no change"))
    assert state.rid_version == "3.0"
    act(state, at(D(2020, 5, 22)), SECAS, c.NoticeSend(notice="1m"))
    assert (
        "frozen since the one-month notice was sent, so you cannot add a modification"
        in refused(
            state,
            at(D(2020, 5, 26)),
            SECAS,
            c.ModAdd(mod="MP100", title="late", system=False, rationale="r"),
        )
    )
    frozen_changes: list[tuple[Actor, c.Command]] = [
        (SECAS, c.RidDraft()),
        (PANEL, c.RidBaseline()),
        (SECAS, c.TimetableSet(event="vote", on=D(2020, 6, 12))),
        (SECAS, c.CriterionDefine(key="op-1", text="new words")),
    ]
    for actor, command in frozen_changes:
        assert "The RID is frozen since the one-month notice" in refused(
            state, at(D(2020, 5, 26)), actor, command
        )
    # Progress records go on.
    act(state, at(D(2020, 5, 26)), DCC, c.DefectsSet(sev3=1, resolution_plan="RP"))
    act(state, at(D(2020, 5, 26)), DCC, c.CriterionSet(key="op-1", status="met", evidence="E1"))
    act(state, at(D(2020, 5, 26)), DCC, c.RiskAdd(risk="r", mitigation="m"))


def test_a_refused_go_vote_lists_every_unmet_item() -> None:
    state = baselined()
    act(
        state,
        at(D(2020, 5, 1)),
        DCC,
        c.DefectsSet(sev1=1, sev2=1, sev4=2, testing_issues=20, threshold=5),
    )
    sentence = refused(state, at(D(2020, 6, 12)), PANEL, c.VoteCast(go=True))
    for item in [
        "the Panel has not incorporated the TAD into the RID (tad incorporate)",
        "the Panel has not approved the SIT Completion Report (sit approve)",
        "the Panel has not approved the UIT Completion Report (uit approve)",
        "the DCC has not submitted its testing evidence",
        "the DCC has not submitted its operational evidence",
        "the TAG has not given its go-live recommendation",
        "the OPSG has not given its go-live recommendation",
        "1 Severity 1 defect is open",
        "1 Severity 2 defect is open",
        "2 Severity 3-5 defects have no resolution plan",
        "20 testing issues exceed the TAD threshold of 5",
        "acceptance criterion op-1 is neither met nor waived",
        "acceptance criterion test-7 is neither met nor waived",
    ]:
        assert item in sentence
    assert sentence.startswith("GO is refused: 28 item(s) unmet: ")


def test_no_go_replans_then_a_redate_resumes_where_evidence_is_given_again() -> None:
    state = baselined()
    act(state, at(D(2020, 5, 1)), DCC, c.EvidenceSubmit(evidence="testing", doc="T"))
    act(state, at(D(2020, 5, 2)), DCC, c.EvidenceSubmit(evidence="operational", doc="O"))
    act(
        state,
        at(D(2020, 6, 1)),
        PANEL,
        c.VoteCast(go=False, reason="Severity 1 defect in alert throttling"),
    )
    assert phase(state, D(2020, 6, 1)).value == "REPLANNING"
    assert "the release is replanning" in refused(
        state, at(D(2020, 6, 2)), PANEL, c.VoteCast(go=True)
    )
    act(
        state,
        at(D(2020, 6, 2)),
        PANEL,
        c.RedateRequest(go_live=D(2020, 11, 5), reason="Fix the defect"),
    )
    assert "already waiting for the Authority" in refused(
        state, at(D(2020, 6, 3)), PANEL, c.RedateRequest(go_live=D(2020, 11, 12), reason="x")
    )
    act(state, at(D(2020, 6, 9)), AUTHORITY, c.RedateApprove())
    assert state.go_live == D(2020, 11, 5)
    assert state.testing_evidence is None and state.operational_evidence is None
    status = build_status(state, at(D(2020, 6, 9)))
    deadlines = {d.key: d for d in status.deadlines}
    assert (deadlines["evidence"].due, deadlines["evidence"].status) == (D(2020, 9, 24), "pending")
    assert deadlines["actual_costs"].due == D(2021, 1, 5)
    assert status.phase == "BASELINED"
    assert [n.subject for n in status.notices if n.kind == "decision"] == [
        "Decision: June 2020 SEC Release: the Panel voted NO-GO (Severity 1 defect in alert throttling)",
        "Decision: June 2020 SEC Release: the Authority approved moving go-live from 25 June 2020 to 5 November 2020",
    ]


def test_a_redate_into_a_freeze_is_refused_naming_the_freeze() -> None:
    from schemas.state import Freeze

    state = baselined()
    redates_and_waivers.learn_freezes(
        state, [Freeze(start=D(2020, 10, 1), end=D(2020, 12, 31), reason="DCC platform migration")]
    )
    sentence = refused(
        state, at(D(2020, 6, 2)), PANEL, c.RedateRequest(go_live=D(2020, 11, 5), reason="x")
    )
    assert sentence == (
        "The go-live date 2020-11-05 falls inside the change freeze from 1 October 2020 to "
        "31 December 2020 (DCC platform migration); choose a date before 2020-10-01 or from 2021-01-04."
    )


def test_a_deadline_already_past_at_a_redate_lapses_at_once() -> None:
    from rules.tracking import tick

    state = baselined()
    act(state, at(D(2019, 7, 1)), PANEL, c.RedateRequest(go_live=D(2020, 4, 30), reason="earlier"))
    act(state, at(D(2019, 7, 2), 14), AUTHORITY, c.RedateApprove())
    sent = tick(state, at(D(2019, 7, 2), 14))
    tad = [n for n in sent if n.deadline == "tad_to_tag"]
    # tad_to_tag moves to 30 July 2019 (not yet due); nothing lapses for it.
    assert tad == [] or tad[0].kind == "reminder"
    act(
        state,
        at(D(2019, 8, 1)),
        PANEL,
        c.RedateRequest(go_live=D(2020, 2, 27), reason="earlier still"),
    )
    act(state, at(D(2019, 8, 2), 14), AUTHORITY, c.RedateApprove())
    sent = tick(state, at(D(2019, 8, 2), 14))
    lapsed = [(n.deadline, n.level, n.at) for n in sent if n.kind == "escalation"]
    # 9 months before 27 February 2020 is 27 May 2019: past, so it lapses now with level 1 at once.
    assert ("tad_to_tag", 1, at(D(2019, 8, 2), 14)) in lapsed


def test_an_overturned_appeal_revokes_the_baseline_and_the_rid_returns_to_draft() -> None:
    state = baselined()
    act(state, at(D(2019, 6, 21)), PARTY, c.AppealLodge(reasons="Scope set without consultation"))
    window = state.appeals[0]
    assert window.closes_on == D(2019, 7, 4)
    assert "appeals are no longer accepted" in refused(
        state, at(D(2019, 7, 5)), PARTY, c.AppealLodge(reasons="late")
    )
    assert "closed on 2019-07-04" in refused(
        state, at(D(2019, 7, 5)), PARTY, c.AppealLodge(reasons="late")
    )
    appeals.apply_appeal_outcome(
        state, "1.0", AppealStatus.REFERRED, "", Context(at(D(2019, 7, 5)))
    )
    act(
        state,
        at(D(2019, 7, 10)),
        AUTHORITY,
        c.AppealDetermine(upheld=False, notes="Consultation required"),
    )
    appeals.apply_appeal_outcome(
        state, "1.0", AppealStatus.OVERTURNED, "Consultation required", Context(at(D(2019, 7, 10)))
    )
    assert state.rid_version == "1.1"
    assert state.rid_history[-2].revoked
    scope = next(d for d in state.deadlines if d.key == "scope_system")
    assert scope.status.value in ("pending", "lapsed") and scope.met_on is None
    assert phase(state, D(2019, 7, 10)).value == "DRAFTING"
    # The determination is final.
    assert (
        appeals.apply_appeal_outcome(
            state, "1.0", AppealStatus.UPHELD, "", Context(at(D(2019, 7, 11)))
        )
        is None
    )


def test_a_documentation_release_goes_live_on_secas_confirmation_and_closes_after_review() -> None:
    state = new("2020-02", created=at(D(2019, 3, 1)))
    assert state.type is ReleaseType.DOCUMENTATION
    assert state.criteria == []
    assert "Documentation release, which has no TAD" in refused(
        state, at(D(2019, 3, 1)), DCC, c.TadSubmit(doc="T")
    )
    assert "allocate it to a System release" in refused(
        state, at(D(2019, 3, 1)), SECAS, c.ModAdd(mod="SECMP0070", title="x", system=True)
    )
    act(
        state,
        at(D(2019, 3, 1)),
        SECAS,
        c.ModAdd(mod="MP079", title="Withdrawing modifications", system=False),
    )
    act(state, at(D(2019, 8, 1)), PANEL, c.RidBaseline())
    act(
        state,
        at(D(2019, 8, 2)),
        PANEL,
        c.CriterionDefine(key="panel-1", text="SEC text reviewed by legal"),
    )
    act(state, at(D(2020, 2, 1)), SECAS, c.ReadinessConfirm())
    no_go = refused(state, at(D(2020, 2, 10)), PANEL, c.VoteCast(go=True))
    assert "acceptance criterion panel-1 is neither met nor waived" in no_go
    # The criterion was defined after the baseline: the RID as it stands needs baselining.
    assert "criterion panel-1 added since the last baseline (rid baseline)" in no_go
    act(
        state,
        at(D(2020, 2, 10)),
        PANEL,
        c.CriterionSet(key="panel-1", status="waived", reason="Legal review not needed"),
    )
    act(state, at(D(2020, 2, 10)), PANEL, c.RidBaseline())
    act(state, at(D(2020, 2, 10)), PANEL, c.VoteCast(go=True))
    assert "Go-live is on 2020-02-27" in refused(
        state, at(D(2020, 2, 26)), SECAS, c.GoLiveConfirm(what="sec_updated")
    )
    act(state, at(D(2020, 2, 27)), SECAS, c.GoLiveConfirm(what="sec_updated"))
    assert phase(state, D(2020, 2, 27)).value == "LIVE"
    assert "Early-life monitoring runs until 2020-03-27" in refused(
        state, at(D(2020, 3, 2)), PANEL, c.ReleaseEnd(kind="release_close")
    )
    assert phase(state, D(2020, 3, 27)).value == "POST_LIVE_REVIEW"
    act(state, at(D(2020, 3, 30)), PANEL, c.ReleaseEnd(kind="release_close"))
    assert "was closed on 2020-03-30" in refused(state, at(D(2020, 4, 1)), SECAS, c.RidDraft())


def test_a_system_release_closes_only_with_lessons_and_actual_costs() -> None:
    state = baselined()
    state.votes.append(Vote(go=True, on=D(2020, 6, 12)))  # as if every gate item had been met
    act(state, at(D(2020, 6, 25)), DCC, c.GoLiveConfirm(what="deployed"))
    act(state, at(D(2020, 6, 25)), SECAS, c.GoLiveConfirm(what="sec_updated"))
    sentence = refused(state, at(D(2020, 7, 27)), PANEL, c.ReleaseEnd(kind="release_close"))
    assert sentence == (
        "The release cannot close yet: it still needs the DCC's lessons learnt (lessons submit) and "
        "the DCC's actual cost report (costs actual)."
    )
    act(state, at(D(2020, 7, 27)), DCC, c.LessonsSubmit(doc="L"))
    act(state, at(D(2020, 8, 3)), DCC, c.CostsReport(kind="costs_actual", total=Decimal(1_100_000)))
    act(state, at(D(2020, 8, 3)), PANEL, c.ReleaseEnd(kind="release_close"))
    assert state.closed_on == D(2020, 8, 3)


def test_cancelling_returns_modifications_to_unallocated() -> None:
    state = baselined()
    act(state, at(D(2019, 8, 1)), PANEL, c.ReleaseEnd(kind="release_cancel", reason="scope moved"))
    assert [m.removed_reason for m in state.modifications] == ["release cancelled: unallocated"]
    assert phase(state, D(2019, 8, 1)).value == "CANCELLED"


def test_the_authority_may_move_one_modification_to_a_later_release() -> None:
    state = baselined()
    assert "a modification is re-dated to a later release" in refused(
        state,
        at(D(2019, 7, 1)),
        PANEL,
        c.RedateRequest(go_live=D(2020, 6, 1), reason="x", mod="SECMP0062"),
    )
    act(
        state,
        at(D(2019, 7, 1)),
        PANEL,
        c.RedateRequest(go_live=D(2020, 11, 5), reason="Needs more testing", mod="SECMP0062"),
    )
    assert state.modifications[0].status.value == "targeted"  # in scope until the Authority agrees
    act(state, at(D(2019, 7, 8)), AUTHORITY, c.RedateApprove())
    assert state.go_live == D(2020, 6, 25)  # the release keeps its date
    assert state.modifications[0].status.value == "removed"
    assert (
        state.modifications[0].removed_reason
        == "implementation date revised to 2020-11-05 by the Authority (Needs more testing)"
    )
    assert state.notices[-1].subject == (
        "Decision: June 2020 SEC Release: the Authority moved SECMP0062's implementation date to "
        "5 November 2020; it leaves the release"
    )


def test_secas_may_ask_the_panel_to_cancel_and_the_panel_decides() -> None:
    from rules.queries import owed

    state = baselined()
    assert "Only SECAS may ask the Panel to cancel" in refused(
        state, at(D(2019, 7, 1)), PANEL, c.CancelRequest(reason="x")
    )
    act(state, at(D(2019, 7, 1)), SECAS, c.CancelRequest(reason="Both modifications withdrawn"))
    assert "already asked the Panel to cancel" in refused(
        state, at(D(2019, 7, 2)), SECAS, c.CancelRequest(reason="again")
    )
    assert any(o.role.value == "PANEL" and "cancel" in o.action for o in owed(state, D(2019, 7, 2)))
    act(
        state,
        at(D(2019, 7, 3)),
        PANEL,
        c.ReleaseEnd(kind="release_cancel", reason="Both modifications withdrawn"),
    )
    assert phase(state, D(2019, 7, 3)).value == "CANCELLED"


def test_a_cancelled_releases_open_deadlines_read_not_applicable_and_what_it_missed_stays_late() -> (
    None
):
    state = baselined()
    act(state, at(D(2019, 8, 1)), PANEL, c.ReleaseEnd(kind="release_cancel", reason="scope moved"))
    lapsed_before = {d.key for d in state.deadlines if d.status.value == "lapsed"}
    rows = {d.key: d for d in build_status(state, at(D(2019, 10, 1))).deadlines}
    assert rows["tad_to_tag"].due == D(2019, 9, 25)  # its day passed after the cancellation
    assert (rows["tad_to_tag"].status, rows["tad_to_tag"].late) == ("not_applicable", False)
    assert rows["scope_system"].status == "met"
    assert {k for k, d in rows.items() if d.status in ("pending", "lapsed")} == set()
    assert lapsed_before and all(rows[k].late for k in lapsed_before)
    assert all(rows[k].status == "not_applicable" for k in lapsed_before)
