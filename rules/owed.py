"""What each role owes next, derived from the lifecycle (SPEC sections 4 and 5; issue 15).

Every step a role can take next that the release is waiting for, with its due date where one
exists: the deadlines still open, and the steps of SPEC section 5 that have none of their own
(the TAD review, SIT and UIT recommendations and approvals, evidence, the TAG's and OPSG's views,
the Panel's vote, go-live confirmations, lessons and actual costs, appeal determinations, approval
notices, the RID's baseline). A step already taken, or superseded by a later one, is not listed:
once the TAG's go-live recommendation is in, it owes no UIT recommendation. Each row names the
command that takes the step (`command`), and says what stands in its way where something does
(`detail`: a vote while the gate is unmet, for example).

`rules.queries.owed` is the list as it was before; the search attribute of runs recorded
before this list keeps using it (`workflows.release.OWED_FROM_THE_LIFECYCLE`).
"""

from __future__ import annotations

from datetime import date

from rules.queries import Owed, Phase, gate, has_baseline, is_system, notice_no_longer_owed, phase
from rules.queries import standing_vote as current_vote
from rules.tracking import OPEN, early_life_end
from schemas.state import AppealStatus, DeadlineStatus, ReleaseState
from schemas.vocabulary import CriterionStatus, Role

LAPSED = DeadlineStatus.LAPSED

# Deadlines whose steps the lifecycle lists itself (with the deadline's due date), so the
# deadline's own row would repeat them or go stale: the TAD's finalisation is the TAG's review,
# the DCC's update and the Panel's incorporation in turn; evidence is two submissions; actual
# costs are owed from go-live on, when they are accepted.
_STEP_DEADLINES = frozenset({"tad_final", "evidence", "actual_costs"})

# The command that meets each deadline, as typed (the command's usage words and flags).
_DEADLINE_COMMANDS = {
    "scope_system": "rid baseline --scope system",
    "scope_docs": "rid baseline --scope full",
    "notice_12m": "notice send --kind 12m",
    "notice_6m": "notice send --kind 6m",
    "notice_1m": "notice send --kind 1m",
    "tad_to_tag": "tad submit",
    "regression_plans": "regression plans",
    "regression_results": "regression results",
    "approval_notice": "notice send --kind approval",
    "spend_update": "costs spend",
}


def due_of(state: ReleaseState, key: str) -> date | None:
    """The due date of an open deadline, or None."""
    return next((d.due for d in state.deadlines if d.key == key and d.status in OPEN), None)


def owed_now(state: ReleaseState, today: date) -> list[Owed]:
    """Every step each role can take next, soonest due first (undated last)."""
    current = phase(state, today)
    if current in (Phase.CLOSED, Phase.CANCELLED):
        return []
    items = _deadline_rows(state, today)
    items += _steps(state, today, current)
    items.sort(key=lambda o: (o.due or date.max, o.role.value, o.action))
    seen: set[tuple[Role, str]] = set()
    unique: list[Owed] = []
    for item in items:
        if (item.role, item.action) not in seen:
            seen.add((item.role, item.action))
            unique.append(item)
    return unique


def _deadline_rows(state: ReleaseState, today: date) -> list[Owed]:
    rows: list[Owed] = []
    for d in state.deadlines:
        kind, _, suffix = d.key.partition(":")
        if (
            d.status not in OPEN
            or d.due is None
            or not d.escalates
            or kind in _STEP_DEADLINES
            or notice_no_longer_owed(state, d.key, today)
            or (kind == "notice_1m" and not _rid_complete(state) and d.status is not LAPSED)
        ):
            continue
        command = _DEADLINE_COMMANDS.get(kind, "")
        action = d.what
        if kind == "approval_notice":
            action = f"notify Parties of the approval of {suffix} and its date"
            command = f"{command} --mod {suffix}"
        rows += [Owed(role, action, d.due, command) for role in d.who]
    return rows


def _steps(state: ReleaseState, today: date, current: Phase) -> list[Owed]:
    items = _baseline_steps(state)
    if is_system(state):
        items += _tad_steps(state) + _testing_steps(state) + _views(state)
    elif has_baseline(state) and state.readiness_on is None and current is not Phase.APPROVED:
        items.append(
            Owed(Role.SECAS, "confirm readiness", _planned(state, "vote"), "readiness confirm")
        )
    items += _criteria_steps(state, current)
    items += _decision_steps(state, current)
    items += _go_live_steps(state, current)
    items += _authority_steps(state)
    return items


def _rid_complete(state: ReleaseState) -> bool:
    """The RID is ready to freeze: baselined as it stands, with the TAD in it (System). The
    one-month notice freezes the RID, so it is owed once the RID is complete (or it lapsed)."""
    if not has_baseline(state) or any(i.endswith("(rid baseline)") for i in gate(state)):
        return False
    return not is_system(state) or state.tad.incorporated_on is not None


def _lapsed(state: ReleaseState, key: str) -> bool:
    return any(d.key == key and d.status is DeadlineStatus.LAPSED for d in state.deadlines)


def _planned(state: ReleaseState, event: str) -> date:
    """The planned date of a timetable event, or go-live when none is planned."""
    return state.timetable.get(event) or state.go_live


def _baseline_steps(state: ReleaseState) -> list[Owed]:
    """The Panel baselines the RID as it stands when it is a draft or changed since its baseline
    (GO waits for it); while a scope deadline is open, that deadline's row says it."""
    if state.rid_frozen_on is not None or not has_baseline(state):
        return []
    if due_of(state, "scope_system") or due_of(state, "scope_docs"):
        return []
    unmet = [item for item in gate(state) if item.endswith("(rid baseline)")]
    if not unmet:
        return []
    return [
        Owed(
            Role.PANEL,
            f"baseline the RID as it stands (version {state.rid_version})",
            _planned(state, "vote"),
            "rid baseline",
            "; ".join(unmet),
        )
    ]


def _tad_steps(state: ReleaseState) -> list[Owed]:
    tad = state.tad
    last = tad.submissions[-1] if tad.submissions else None
    if last is None or tad.incorporated_on is not None:
        return []
    due = due_of(state, "tad_final")
    reviewed = bool(tad.reviews) and tad.reviews[-1].on >= last.on
    if not last.updated:
        if not reviewed:
            return [Owed(Role.TAG, "review the draft TAD", due, "tad review")]
        if tad.consultation_from is None:
            return [Owed(Role.DCC, "consult industry on the TAD", due, "tad consult")]
        return [Owed(Role.DCC, "submit the updated TAD", due, "tad submit --updated")]
    if tad.recommendation is None:
        return [Owed(Role.TAG, "recommend on the updated TAD", due, "tad recommend")]
    if tad.recommendation.favourable:
        return [Owed(Role.PANEL, "incorporate the TAD into the RID", due, "tad incorporate")]
    return [Owed(Role.DCC, "submit the updated TAD", due, "tad submit --updated")]


def _testing_steps(state: ReleaseState) -> list[Owed]:
    """SIT, then UIT: the DCC's events and reports, the TAG's recommendations, the Panel's
    approvals, the defect report and the go-live evidence."""
    s = state
    items: list[Owed] = []

    def add(role: Role, action: str, due: date | None, command: str) -> None:
        items.append(Owed(role, action, due, command))

    sit, uit = s.sit, s.uit
    if sit.started_on is None:
        add(Role.DCC, "start SIT", None, "sit start")
    elif sit.report is None:
        add(Role.DCC, "submit the SIT Completion Report", None, "sit report")
    if uit.started_on is None and uit.planned_start is None:
        add(Role.DCC, "plan the UIT window", None, "uit plan")
    elif uit.started_on is None and sit.report is not None:
        add(Role.DCC, "start UIT", uit.planned_start, "uit start")
    elif uit.started_on is not None and uit.closed_on is None:
        add(Role.DCC, "close the UIT window", uit.planned_end, "uit close")
    elif uit.closed_on is not None and uit.report is None:
        add(Role.DCC, "submit the UIT Completion Report", _planned(s, "uit_report"), "uit report")
    tag_go_live = s.recommendations.get("TAG")
    for name, test in (("SIT", sit), ("UIT", uit)):
        if test.report is None or test.approved_on is not None:
            continue
        covered = name == "UIT" and tag_go_live is not None  # SPEC 5.3: one TAG review of both
        if test.recommendation is None and not covered:
            add(
                Role.TAG,
                f"recommend on the {name} Completion Report",
                None,
                f"{name.lower()} recommend",
            )
        favourable = (test.recommendation is not None and test.recommendation.favourable) or (
            covered and tag_go_live is not None and tag_go_live.favourable
        )
        if favourable:
            due = _planned(s, "uit_approve") if name == "UIT" else None
            add(Role.PANEL, f"approve the {name} Completion Report", due, f"{name.lower()} approve")
    if has_baseline(s) and s.costs.forecast is None and current_vote(s) is None:
        add(Role.DCC, "give the Forecast Release Cost", None, "costs forecast")
    if uit.report is not None and current_vote(s) is None:
        unmet = [i for i in gate(s) if "defect" in i or "testing issue" in i]
        if unmet:
            items.append(
                Owed(
                    Role.DCC,
                    "report defects and testing issues",
                    None,
                    "defects set",
                    "; ".join(unmet),
                )
            )
    due = due_of(s, "evidence")
    # In SPEC 5.3's order, after the UIT report; at once when the deadline has lapsed.
    if uit.report is not None or _lapsed(s, "evidence"):
        if s.testing_evidence is None:
            add(Role.DCC, "submit the testing evidence", due, "evidence submit --kind testing")
        if s.operational_evidence is None:
            add(
                Role.DCC,
                "submit the operational evidence",
                due,
                "evidence submit --kind operational",
            )
    return items


def _views(state: ReleaseState) -> list[Owed]:
    """The TAG's and OPSG's go-live recommendations, once the evidence each considers is in."""
    items: list[Owed] = []
    vote = current_vote(state)
    if vote is not None and vote.go:
        return items
    if state.testing_evidence and "TAG" not in state.recommendations:
        items.append(
            Owed(
                Role.TAG,
                "give the go-live recommendation",
                _planned(state, "tag_recommend"),
                "recommend --group TAG",
            )
        )
    if state.operational_evidence and "OPSG" not in state.recommendations:
        items.append(
            Owed(
                Role.OPSG,
                "give the go-live recommendation",
                _planned(state, "opsg_recommend"),
                "recommend --group OPSG",
            )
        )
    return items


def _criteria_steps(state: ReleaseState, current: Phase) -> list[Owed]:
    """Acceptance criteria neither met nor waived, once the evidence they rest on is in: the
    DCC's for its operational and testing criteria, the Panel's own at the decision point."""
    if current is not Phase.GO_LIVE_DECISION and not (
        is_system(state) and (state.testing_evidence or state.operational_evidence)
    ):
        return []
    if current_vote(state) is not None:
        return []
    items: list[Owed] = []
    due = _planned(state, "vote")
    evidence_in = {
        "testing": state.testing_evidence is not None,
        "operational": state.operational_evidence is not None,
    }
    for crit in state.criteria:
        if crit.status is not CriterionStatus.NOT_MET:
            continue
        if is_system(state) and crit.group in evidence_in:  # the DCC's, once its evidence is in
            if not evidence_in[crit.group]:
                continue
            role = Role.DCC
        else:
            role = Role.PANEL
        items.append(
            Owed(
                role,
                f"meet or waive acceptance criterion {crit.key}",
                due,
                f"criterion set {crit.key}",
            )
        )
    return items


def _decision_steps(state: ReleaseState, current: Phase) -> list[Owed]:
    """The Panel's vote once the release reaches the decision point (owed while the gate is
    unmet too: the Panel may vote NO-GO), re-planning after a NO-GO, a cancellation request."""
    s = state
    items: list[Owed] = []
    if current is Phase.GO_LIVE_DECISION and current_vote(s) is None:
        unmet = gate(s)
        detail = f"GO waits for: {'; '.join(unmet)}" if unmet else "the gate is met"
        items.append(Owed(Role.PANEL, "vote go/no-go", _planned(s, "vote"), "vote", detail))
    pending = [r for r in s.redates if r.approved_on is None]
    if current is Phase.REPLANNING and not pending:
        items.append(
            Owed(
                Role.PANEL,
                "request a new go-live date, or cancel the release",
                None,
                "redate request",
            )
        )
    if s.cancel_requested is not None:
        items.append(
            Owed(
                Role.PANEL,
                "decide on SECAS's request to cancel the release",
                None,
                "release cancel",
                s.cancel_requested.reason,
            )
        )
    return items


def _go_live_steps(state: ReleaseState, current: Phase) -> list[Owed]:
    """Go-live day's confirmations, then the release review's lessons, actual costs and closing."""
    s = state
    items: list[Owed] = []
    if current is Phase.APPROVED:
        if is_system(s) and s.deployed_on is None:
            items.append(
                Owed(Role.DCC, "confirm deployment", s.go_live, "golive confirm --deployed")
            )
        if s.sec_updated_on is None:
            items.append(
                Owed(
                    Role.SECAS,
                    "confirm the SEC text was updated",
                    s.go_live,
                    "golive confirm --sec-updated",
                )
            )
    if current in (Phase.LIVE, Phase.POST_LIVE_REVIEW) and is_system(s):
        review = early_life_end(s)
        if s.lessons is None:
            items.append(Owed(Role.DCC, "submit lessons learnt", review, "lessons submit"))
        if s.costs.actual is None:
            items.append(
                Owed(
                    Role.DCC,
                    "present the actual cost report with variances",
                    due_of(s, "actual_costs"),
                    "costs actual",
                )
            )
    if current is Phase.POST_LIVE_REVIEW and (
        not is_system(s) or (s.lessons is not None and s.costs.actual is not None)
    ):
        items.append(Owed(Role.PANEL, "close the release", None, "release close"))
    return items


def _authority_steps(state: ReleaseState) -> list[Owed]:
    """The Authority's decisions: a requested re-date (with the date asked for) and each appeal
    referred to it (with the RID version and when it was referred)."""
    items: list[Owed] = []
    for r in state.redates:
        if r.approved_on is None:
            what = f"the implementation date of {r.mod}" if r.mod else "the go-live date"
            items.append(
                Owed(
                    Role.AUTHORITY,
                    f"decide on revising {what} to {r.go_live.isoformat()} "
                    f"(requested {r.requested_on.isoformat()})",
                    None,
                    "redate approve",
                    r.reason,
                )
            )
    for w in state.appeals:
        if w.status is AppealStatus.REFERRED:
            items.append(
                Owed(
                    Role.AUTHORITY,
                    f"determine the appeal against RID {w.version} (referred "
                    f"{w.closes_on.isoformat()})",
                    None,
                    f"appeal determine --version {w.version}",
                )
            )
    return items
