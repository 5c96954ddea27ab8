"""The go-live decision (SPEC section 5.3): acceptance criteria, defects, residual risks,
evidence, the TAG and OPSG recommendations, readiness and the Panel's go/no-go vote.

A GO vote is refused while any item of the gate (`rules.phase.gate`) is unmet.
"""

from __future__ import annotations

import re

from rules import limits
from rules.context import Context
from rules.deadlines import DeadlineKey
from rules.errors import Refused
from rules.guards import not_frozen, not_yet_live, system_only
from rules.notices import queue_decision
from rules.outcome import Outcome
from rules.queries import gate, has_baseline, is_system, standing_vote
from rules.registry import handles
from rules.release_calendar import long_date
from rules.scope_and_rid import mark_changed
from rules.timetable import record_actual
from rules.tracking import meet
from schemas import commands as c
from schemas.base import Actor
from schemas.state import Criterion, Defects, Recommendation, ReleaseState, Risk, Submission, Vote
from schemas.vocabulary import CriterionStatus

_CRITERION_KEY = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


@handles(c.CriterionDefine)
def criterion_define(
    state: ReleaseState, actor: Actor, cmd: c.CriterionDefine, ctx: Context
) -> Outcome:
    not_frozen(state, "change the acceptance criteria")
    key = cmd.key.strip().lower()
    if not _CRITERION_KEY.match(key):
        raise Refused(
            f"{cmd.key!r} is not a criterion key; keys look like op-3, test-5 or panel-1."
        )
    text = limits.text(cmd.text, "criterion text", limits.TEXT, flag="--text")
    existing = next((x for x in state.criteria if x.key == key), None)
    if existing is not None:
        if existing.text != text:
            mark_changed(state, ctx, f"criterion {key} reworded")
        existing.text = text
        return Outcome(f"Criterion {key} reworded.")
    if len(state.criteria) >= limits.MAX_CRITERIA:
        raise Refused(f"A release holds at most {limits.MAX_CRITERIA} acceptance criteria.")
    state.criteria.append(Criterion(key=key, group=cmd.group, text=text))
    mark_changed(state, ctx, f"criterion {key} added")
    return Outcome(f"Criterion {key} added ({cmd.group}).")


@handles(c.ReadinessConfirm)
def readiness_confirm(
    state: ReleaseState, actor: Actor, cmd: c.ReadinessConfirm, ctx: Context
) -> Outcome:
    if is_system(state):
        raise Refused(
            "`readiness confirm` is for Documentation releases; a System release's readiness is the "
            "TAG and OPSG recommendations (recommend --group TAG|OPSG)."
        )
    if not has_baseline(state):
        raise Refused("Confirm readiness once the Panel has baselined the RID (rid baseline).")
    if state.readiness_on is not None:
        raise Refused(f"Readiness was already confirmed on {state.readiness_on.isoformat()}.")
    state.readiness_on = ctx.today
    record_actual(state, "readiness", ctx.today)
    return Outcome("SECAS confirmed the release is ready; the Panel may vote.")


@handles(c.CriterionSet)
def criterion_set(state: ReleaseState, actor: Actor, cmd: c.CriterionSet, ctx: Context) -> Outcome:
    key = cmd.key.strip().lower()
    crit = next((x for x in state.criteria if x.key == key), None)
    if crit is None:
        known = ", ".join(x.key for x in state.criteria) or "none yet"
        raise Refused(
            f"{cmd.key!r} is not an acceptance criterion of the {state.name} (known: {known})."
        )
    evidence = limits.text(
        cmd.evidence, "evidence reference", limits.REF, flag="--evidence", required=False
    )
    if cmd.status == "waived":
        reason = limits.text(cmd.reason, "reason", limits.TEXT, flag="--reason")
        decided = crit.status is not CriterionStatus.WAIVED or crit.reason != reason
        crit.reason = reason
        crit.status = CriterionStatus.WAIVED
        if ctx.careful_panel and decided:  # a waiver is a decision, mailed (SPEC 5.3)
            queue_decision(
                state,
                ctx,
                f"waive-criterion-{key}",
                f"the Panel waived acceptance criterion {key} ({crit.reason})",
            )
    else:
        if len(crit.evidence) >= limits.MAX_EVIDENCE:
            raise Refused(
                f"Criterion {key} already holds {limits.MAX_EVIDENCE} evidence references."
            )
        crit.status = CriterionStatus(cmd.status)
        crit.reason = None
    if evidence and evidence not in crit.evidence:
        crit.evidence.append(evidence)
    crit.updated_on = ctx.today
    return Outcome(f"Criterion {key} is {crit.status.value.replace('_', ' ')}.")


@handles(c.DefectsSet)
def defects_set(state: ReleaseState, actor: Actor, cmd: c.DefectsSet, ctx: Context) -> Outcome:
    counts = {
        f"sev{i}": limits.count(getattr(cmd, f"sev{i}"), f"Severity {i} defects")
        for i in range(1, 6)
    }
    issues = (
        None if cmd.testing_issues is None else limits.count(cmd.testing_issues, "testing issues")
    )
    threshold = None if cmd.threshold is None else limits.count(cmd.threshold, "the threshold")
    plan = limits.text(
        cmd.resolution_plan, "resolution plan", limits.REF, flag="--resolution-plan", required=False
    )
    previous = state.defects
    state.defects = Defects(
        **counts,
        resolution_plan=plan or (previous.resolution_plan if previous else None),
        testing_issues=issues
        if issues is not None
        else (previous.testing_issues if previous else None),
        threshold=threshold
        if threshold is not None
        else (previous.threshold if previous else None),
        reported_on=ctx.today,
    )
    d = state.defects
    return Outcome(f"Open defects by severity 1-5: {d.sev1}/{d.sev2}/{d.sev3}/{d.sev4}/{d.sev5}.")


@handles(c.RiskAdd)
def risk_add(state: ReleaseState, actor: Actor, cmd: c.RiskAdd, ctx: Context) -> Outcome:
    if len(state.risks) >= limits.MAX_RISKS:
        raise Refused(f"A release records at most {limits.MAX_RISKS} residual risks.")
    state.risks.append(
        Risk(
            risk=limits.text(cmd.risk, "risk", limits.TEXT, flag="--risk"),
            mitigation=limits.text(cmd.mitigation, "mitigation", limits.TEXT, flag="--mitigation"),
            view=limits.text(
                cmd.view, "sub-committee view", limits.TEXT, flag="--view", required=False
            ),
            on=ctx.today,
        )
    )
    return Outcome(f"Residual risk {len(state.risks)} recorded.")


@handles(c.EvidenceSubmit)
def evidence_submit(
    state: ReleaseState, actor: Actor, cmd: c.EvidenceSubmit, ctx: Context
) -> Outcome:
    system_only(state, "submit go-live evidence")
    not_yet_live(state, "submit go-live evidence", ctx)
    doc = limits.text(cmd.doc, "document reference", limits.REF, flag="--doc")
    sub = Submission(doc=doc, on=ctx.today, by=str(actor))
    if cmd.evidence == "testing":
        state.testing_evidence = sub
    else:
        state.operational_evidence = sub
        record_actual(state, "operational_evidence", ctx.today)
    both = state.testing_evidence is not None and state.operational_evidence is not None
    met = both and meet(state, DeadlineKey.EVIDENCE.value, ctx.today)
    return Outcome(
        f"The DCC's {cmd.evidence} evidence {doc} is in" + ("; meets evidence." if met else ".")
    )


@handles(c.Recommend)
def recommend(state: ReleaseState, actor: Actor, cmd: c.Recommend, ctx: Context) -> Outcome:
    system_only(state, "give a go-live recommendation")
    not_yet_live(state, "give a go-live recommendation", ctx)
    needed = state.testing_evidence if cmd.group == "TAG" else state.operational_evidence
    if needed is None:
        kind = "testing" if cmd.group == "TAG" else "operational"
        raise Refused(
            f"The DCC has not submitted its {kind} evidence yet (evidence submit --kind {kind}); the {cmd.group} recommends on it."
        )
    comments = limits.text(cmd.comments, "comments", limits.TEXT, flag="--comments")
    state.recommendations[cmd.group] = Recommendation(
        favourable=cmd.go, comments=comments, on=ctx.today, by=str(actor)
    )
    record_actual(state, "tag_recommend" if cmd.group == "TAG" else "opsg_recommend", ctx.today)
    return Outcome(f"The {cmd.group} recommends {'GO' if cmd.go else 'NO-GO'}.")


@handles(c.VoteCast)
def vote(state: ReleaseState, actor: Actor, cmd: c.VoteCast, ctx: Context) -> Outcome:
    current = standing_vote(state)
    if current is not None and current.go:
        raise Refused(
            f"The Panel already voted GO on {current.on.isoformat()}; re-date the release to vote again."
        )
    if current is not None:
        raise Refused(
            f"The Panel voted NO-GO on {current.on.isoformat()}; the release is replanning: the Authority "
            "must approve a new go-live date (redate request, redate approve) before the next vote."
        )
    if ctx.today > state.go_live:
        raise Refused(
            f"The go-live date {state.go_live.isoformat()} has passed; re-date the release before voting."
        )
    reason = limits.text(cmd.reason, "reason", limits.TEXT, flag="--reason", required=not cmd.go)
    if cmd.go:
        unmet = gate(state)
        if unmet:
            items = "; ".join(unmet)
            raise Refused(
                f"GO is refused: {len(unmet)} item(s) unmet: {items}. Meet or waive them, or vote no-go with a reason."
            )
    state.votes.append(Vote(go=cmd.go, reason=reason, on=ctx.today, by=str(actor)))
    record_actual(state, "vote", ctx.today)
    if cmd.go:
        queue_decision(
            state, ctx, "vote-go", f"the Panel voted GO for go-live on {long_date(state.go_live)}"
        )
        return Outcome(f"GO: the release is approved to go live on {state.go_live.isoformat()}.")
    queue_decision(state, ctx, "vote-no-go", f"the Panel voted NO-GO ({reason})")
    return Outcome("NO-GO: the release is replanning; the Panel requests a new date or cancels.")
