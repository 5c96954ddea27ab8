"""What a release's state means: its phase, its go/no-go gate, and what each role owes next.

The phase is derived from state (SPEC section 5), never set by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from rules.gate import GateFacts, go_no_go_gate
from rules.rid import RidVersion
from rules.tracking import OPEN, early_life_end
from schemas.state import AppealStatus, ReleaseState, Vote
from schemas.vocabulary import ReleaseType, Role


class Phase(StrEnum):
    DRAFTING = "DRAFTING"
    BASELINED = "BASELINED"
    TESTING = "TESTING"
    GO_LIVE_DECISION = "GO_LIVE_DECISION"
    APPROVED = "APPROVED"
    LIVE = "LIVE"
    POST_LIVE_REVIEW = "POST_LIVE_REVIEW"
    CLOSED = "CLOSED"
    REPLANNING = "REPLANNING"
    CANCELLED = "CANCELLED"


def is_system(state: ReleaseState) -> bool:
    return state.type is ReleaseType.SYSTEM


def standing_vote(state: ReleaseState) -> Vote | None:
    """The Panel's latest vote, unless a re-date since has superseded it."""
    votes = [v for v in state.votes if not v.superseded]
    return votes[-1] if votes else None


def is_live(state: ReleaseState) -> bool:
    if state.sec_updated_on is None:
        return False
    return not is_system(state) or state.deployed_on is not None


def has_baseline(state: ReleaseState) -> bool:
    return any(e.kind == "baseline" and not e.revoked for e in state.rid_history)


def notice_no_longer_owed(state: ReleaseState, key: str, today: date) -> bool:
    """A notice to Parties that makes no sense any more (SPEC sections 4 and 5.5): the one-month
    notice of imminent go-live once go-live has passed, the 12- and 6-month notices of scope and
    cut-off dates once the release is live. Their deadlines stay on the record as they stand."""
    if key == "notice_1m":
        return is_live(state) or today > state.go_live
    if key in ("notice_12m", "notice_6m"):
        return is_live(state)
    return False


def rid_version(state: ReleaseState) -> RidVersion:
    return RidVersion.parse(state.rid_version)


def phase(state: ReleaseState, today: date) -> Phase:
    """The phase summary of SPEC section 5."""
    if state.cancelled_on is not None:
        return Phase.CANCELLED
    if state.closed_on is not None:
        return Phase.CLOSED
    if is_live(state):
        review = early_life_end(state)
        return Phase.POST_LIVE_REVIEW if review is not None and today >= review else Phase.LIVE
    vote = standing_vote(state)
    if vote is not None:
        return Phase.APPROVED if vote.go else Phase.REPLANNING
    if is_system(state):
        if state.testing_evidence or state.operational_evidence:
            return Phase.GO_LIVE_DECISION
        if state.sit.started_on is not None:
            return Phase.TESTING
    elif state.readiness_on is not None:
        return Phase.GO_LIVE_DECISION
    return Phase.BASELINED if has_baseline(state) else Phase.DRAFTING


def gate_facts(state: ReleaseState) -> GateFacts:
    tag = state.recommendations.get("TAG")
    opsg = state.recommendations.get("OPSG")
    return GateFacts(
        release_type=state.type,
        rid_baselined=has_baseline(state),
        rid_version=state.rid_version,
        rid_changes=list(state.rid_changes),
        criteria=[(c.key, c.status) for c in state.criteria],
        defects=state.defects,
        tad_incorporated=state.tad.incorporated_on is not None,
        sit_approved=state.sit.approved_on is not None,
        uit_approved=state.uit.approved_on is not None,
        testing_evidence=state.testing_evidence is not None,
        operational_evidence=state.operational_evidence is not None,
        tag_recommendation=None if tag is None else ("go" if tag.favourable else "no-go"),
        opsg_recommendation=None if opsg is None else ("go" if opsg.favourable else "no-go"),
        readiness_confirmed=state.readiness_on is not None,
    )


def gate(state: ReleaseState) -> list[str]:
    """Every item that stops a GO vote now."""
    return go_no_go_gate(gate_facts(state))


@dataclass(frozen=True)
class Owed:
    """One step a role owes: what, by when, the command that takes it, and what stands in its
    way (or what it concerns), if anything."""

    role: Role
    action: str
    due: date | None
    command: str = ""
    detail: str = ""


def owed(state: ReleaseState, today: date) -> list[Owed]:
    """What each role owed next before the list was derived from the lifecycle (`rules.owed`):
    open deadlines plus some steps waiting on someone, soonest first. The search attribute of
    runs recorded before `rules.owed` keeps using it, so their replays upsert what they did."""
    current = phase(state, today)
    if current in (Phase.CLOSED, Phase.CANCELLED):
        return []
    items: list[Owed] = []
    for d in state.deadlines:
        if (
            d.status in OPEN
            and d.due is not None
            and d.escalates
            and not notice_no_longer_owed(state, d.key, today)
        ):
            items += [Owed(role, d.what, d.due) for role in d.who]
    items += _waiting_steps(state, today, current)
    items.sort(key=lambda o: (o.due or date.max, o.role.value, o.action))
    return list(dict.fromkeys(items))


def _due(state: ReleaseState, key: str) -> date | None:
    return next((d.due for d in state.deadlines if d.key == key and d.status in OPEN), None)


def _waiting_steps(state: ReleaseState, today: date, current: Phase) -> list[Owed]:
    """Steps that wait on a role without a deadline of their own."""
    s = state
    items: list[Owed] = []

    def add(role: Role, action: str, due: date | None = None) -> None:
        items.append(Owed(role, action, due))

    if is_system(s):
        tad = s.tad
        last = tad.submissions[-1] if tad.submissions else None
        if last is not None and tad.incorporated_on is None:
            reviewed = bool(tad.reviews) and tad.reviews[-1].on >= last.on
            if not last.updated and not reviewed:
                add(Role.TAG, "review the draft TAD", _due(s, "tad_final"))
            elif last.updated and tad.recommendation is None:
                add(Role.TAG, "recommend on the updated TAD", _due(s, "tad_final"))
            elif tad.recommendation is not None and tad.recommendation.favourable:
                add(Role.PANEL, "incorporate the TAD into the RID", _due(s, "tad_final"))
        for name, test in (("SIT", s.sit), ("UIT", s.uit)):
            if test.report and test.recommendation is None:
                add(Role.TAG, f"recommend on the {name} Completion Report")
            if (
                test.report
                and test.recommendation
                and test.recommendation.favourable
                and not test.approved_on
            ):
                add(Role.PANEL, f"approve the {name} Completion Report")
        if s.testing_evidence and "TAG" not in s.recommendations:
            add(Role.TAG, "give the go-live recommendation", s.go_live)
        if s.operational_evidence and "OPSG" not in s.recommendations:
            add(Role.OPSG, "give the go-live recommendation", s.go_live)
        if has_baseline(s) and s.costs.forecast is None:
            add(Role.DCC, "give the Forecast Release Cost")
    elif has_baseline(s) and s.readiness_on is None and current is not Phase.APPROVED:
        add(Role.SECAS, "confirm readiness", s.go_live)
    if current is Phase.REPLANNING and not any(r.approved_on is None for r in s.redates):
        add(Role.PANEL, "request a new go-live date, or cancel the release")
    if any(r.approved_on is None for r in s.redates):
        add(Role.AUTHORITY, "decide on the requested revision of an implementation date")
    if s.cancel_requested is not None:
        add(Role.PANEL, "decide on SECAS's request to cancel the release")
    if any(w.status is AppealStatus.REFERRED for w in s.appeals):
        add(Role.AUTHORITY, "determine the appeal referred to you")
    if standing_vote(s) is None and not gate(s) and today <= s.go_live:
        add(Role.PANEL, "vote go/no-go", s.go_live)
    if current is Phase.APPROVED and today >= s.go_live:
        if is_system(s) and s.deployed_on is None:
            add(Role.DCC, "confirm deployment", s.go_live)
        if s.sec_updated_on is None:
            add(Role.SECAS, "confirm the SEC text was updated", s.go_live)
    if current in (Phase.LIVE, Phase.POST_LIVE_REVIEW):
        if is_system(s) and s.lessons is None:
            add(Role.DCC, "submit lessons learnt")
        if current is Phase.POST_LIVE_REVIEW and not close_blockers(s):
            add(Role.PANEL, "close the release")
    return items


def close_blockers(state: ReleaseState) -> list[str]:
    """What a System release still needs before the Panel may close it."""
    if not is_system(state):
        return []
    missing = []
    if state.lessons is None:
        missing.append("the DCC's lessons learnt (lessons submit)")
    if state.costs.actual is None:
        missing.append("the DCC's actual cost report (costs actual)")
    return missing
