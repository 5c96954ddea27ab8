"""The lifecycle commands of SPEC section 5, applied to a release's state.

`apply` checks every rule first (raising `Refused` with a sentence before anything changes),
then changes the state and says what it did. The workflow's validator calls `validate`, which
runs `apply` on a copy, so the validator and the handler can never disagree. Anything the
workflow must do beyond the state (start an appeal window, signal it) is returned as an effect.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rules import limits
from rules.audit import audit
from rules.context import Context
from rules.costs import check_gbp, format_gbp
from rules.criteria import CriterionStatus, default_criteria
from rules.deadlines import DeadlineKey, appeal_window_closes
from rules.errors import Refused
from rules.permissions import check_permission
from rules.phase import (
    Phase,
    close_blockers,
    gate,
    has_baseline,
    is_live,
    is_system,
    phase,
    standing_vote,
)
from rules.release_calendar import Freeze as FreezeRule
from rules.release_calendar import ReleasePlan, check_go_live, long_date
from rules.rid import RidVersion, check_not_frozen
from rules.timetable import event as timetable_event
from rules.tracking import (
    OPEN,
    calendar_of,
    deadline,
    early_life_end,
    is_ended,
    meet,
    refresh_deadlines,
    reopen,
    tick,
)
from schemas import commands as c
from schemas.base import Actor
from schemas.state import (
    Appeal,
    AppealStatus,
    AppealWindow,
    Auditor,
    CancelRequested,
    CostReport,
    Criterion,
    CutOff,
    Deadline,
    DeadlineStatus,
    Defects,
    Freeze,
    Modification,
    ModStatus,
    NoticeScope,
    Policy,
    Recommendation,
    Redate,
    ReleaseState,
    RidEntry,
    RidSnapshot,
    Risk,
    ScopedModification,
    SentNotice,
    Submission,
    TadSubmission,
    TestPhase,
    Vote,
    WorkingDays,
)

PARTY_CATEGORIES = ("Suppliers", "Electricity Networks", "Gas Networks", "Other SEC Parties", "DCC")
_MOD_ID = re.compile(r"^[A-Z][A-Z0-9_-]{1,19}$")
_CRITERION_KEY = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


# ---------------------------------------------------------------------------------------------
# Effects: what the workflow does beyond changing state.


@dataclass(frozen=True)
class StartAppealWindow:
    window: AppealWindow


@dataclass(frozen=True)
class ForwardAppeal:
    version: str
    appeal: Appeal


@dataclass(frozen=True)
class ForwardDetermination:
    version: str
    upheld: bool
    notes: str


@dataclass(frozen=True)
class ReleaseEnded:
    pass


Effect = StartAppealWindow | ForwardAppeal | ForwardDetermination | ReleaseEnded


@dataclass
class Outcome:
    summary: str
    effects: list[Effect] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Creating a release.


def new_release(
    plan: ReleasePlan,
    *,
    actor: Actor,
    now: datetime,
    calendar: WorkingDays,
    freezes: list[Freeze],
    policy: Policy,
    audit_sends: bool = True,
) -> ReleaseState:
    """The state of a newly created release, deadlines computed, creation audited."""
    state = ReleaseState(
        id=plan.id,
        name=plan.name,
        type=plan.type,
        ad_hoc=plan.ad_hoc,
        created_at=now,
        created_by=str(actor),
        go_live=plan.go_live,
        original_go_live=plan.go_live,
        calendar=calendar,
        policy=policy,
        freezes=freezes,
    )
    if is_system(state):
        state.criteria = [Criterion(key=k, group=g, text=t) for k, g, t in default_criteria()]
    refresh_deadlines(state, now)
    audit(state, now, actor, "release create", f"{plan.name}, go-live {plan.go_live.isoformat()}")
    tick(state, now, audit_sends=audit_sends)  # past deadlines lapse now, level 1 queued
    return state


# ---------------------------------------------------------------------------------------------
# Dispatch.


def action_of(command: c.Command) -> str:
    """The permission table's name for a command (a variant may be a different action)."""
    match command:
        case c.CriterionSet(status="waived"):
            return "criterion waive"
        case c.GoLiveConfirm(what="deployed"):
            return "golive deployed"
        case c.GoLiveConfirm():
            return "golive sec-updated"
        case c.Recommend(group=group):
            return f"recommend {group}"
        case c.VoteCast():
            return "vote"
        case c.Waive():
            return "waive"
    return command.kind.replace("_", " ")


def command_line(command: c.Command) -> str:
    """The command as the audit trail shows it: the CLI words and the fields given."""
    fields = command.model_dump(mode="json", exclude={"kind"}, exclude_defaults=True)
    shown = " ".join(f"{k}={v}" for k, v in fields.items())
    return f"{action_of(command)} {shown}".strip()


def validate(state: ReleaseState, actor: Actor, command: c.Command, ctx: Context) -> None:
    """Refuse (raise `Refused`) exactly when `apply` would; changes nothing.

    It applies the command to a copy rebuilt by pydantic-core (five times faster than a deep
    copy of the state, which grows with the audit trail).
    """
    apply(ReleaseState.model_validate(state.model_dump()), actor, command, ctx)


def apply(state: ReleaseState, actor: Actor, command: c.Command, ctx: Context) -> Outcome:
    """Check `command` against every rule, then apply it and audit it."""
    check_permission(action_of(command), actor.role)
    if is_ended(state):
        status = "closed" if state.closed_on else "cancelled"
        day = state.closed_on or state.cancelled_on
        raise Refused(
            f"The {state.name} was {status} on {day.isoformat() if day else '?'}; its record "
            "can be read but nothing more can be done to it."
        )
    handler = HANDLERS[type(command)]
    outcome = handler(state, actor, command, ctx)
    refresh_deadlines(state, ctx.now)
    audit(state, ctx.now, actor, command_line(command), outcome.summary)
    return outcome


def refuse_signal(
    state: ReleaseState, actor: Actor, command: c.Command, ctx: Context, why: str
) -> None:
    """A command that came as a signal and broke a rule: recorded as refused, nothing else."""
    audit(state, ctx.now, actor, command_line(command), why, refused=True)


# ---------------------------------------------------------------------------------------------
# Shared checks.


def _not_future(day: date, what: str, ctx: Context) -> date:
    if day > ctx.today:
        raise Refused(
            f"The {what} {day.isoformat()} is in the future (today is {ctx.today.isoformat()}); "
            "record it on or after the day it happens."
        )
    return day


def _system_only(state: ReleaseState, what: str) -> None:
    if not is_system(state):
        raise Refused(
            f"The {state.name} is a Documentation release, which has no TAD or testing, so you "
            f"cannot {what}."
        )


def _frozen(state: ReleaseState, what: str) -> None:
    check_not_frozen(state.rid_frozen_on is not None, what)


def _before_go_live_decision(state: ReleaseState, what: str, ctx: Context) -> None:
    if phase(state, ctx.today) in (Phase.LIVE, Phase.POST_LIVE_REVIEW):
        raise Refused(f"The {state.name} is already live, so you cannot {what}.")


def _mod(state: ReleaseState, mod_id: str) -> Modification:
    wanted = mod_id.strip().upper()
    if not wanted:
        raise Refused("Name the modification, e.g. SECMP0062.")
    found = next(
        (m for m in state.modifications if m.id == wanted and m.status is not ModStatus.REMOVED),
        None,
    )
    if found is None:
        in_scope = ", ".join(m.id for m in state.modifications if m.status is not ModStatus.REMOVED)
        shown = wanted if _MOD_ID.match(wanted) else repr(mod_id[:40])
        raise Refused(
            f"{shown} is not in the scope of the {state.name} (in scope: {in_scope or 'none'})."
        )
    return found


def _money(value: Decimal, what: str) -> Decimal:
    return check_gbp(value, f"{what} {value}")


def _date_in_calendar(state: ReleaseState, day: date, what: str) -> None:
    if not calendar_of(state).covers(day):
        cal = state.calendar
        raise Refused(
            f"The {what} {day.isoformat()} is outside the years this release's calendar covers "
            f"({cal.first_year} to {cal.last_year})."
        )


def _rid_entry(
    state: ReleaseState,
    version: RidVersion,
    on: date,
    kind: str,
    note: str,
    scope: str | None = None,
) -> RidEntry:
    """A new RID version: it becomes current and its content is kept as it stands now."""
    state.rid_version = str(version)
    snapshot = RidSnapshot(
        go_live=state.go_live,
        modifications=[
            m.model_copy(deep=True)
            for m in state.modifications
            if m.status is not ModStatus.REMOVED
        ],
        timetable=dict(state.timetable),
        criteria=[x.model_copy(deep=True) for x in state.criteria],
        quoted_total=state.costs.quoted_total,
        tad_incorporated_on=state.tad.incorporated_on,
    )
    entry = RidEntry(
        version=str(version), on=on, kind=kind, note=note, scope=scope, snapshot=snapshot
    )
    state.rid_history.append(entry)
    return entry


def _act(state: ReleaseState, key: str, on: date) -> None:
    """Record when a timetable event actually happened (the latest time: after a re-date,
    evidence and recommendations given again show their new dates)."""
    state.actual[key] = on


def _notice(
    state: ReleaseState,
    ctx: Context,
    kind: str,
    subject: str,
    to: list[str],
    key: str,
    **extra: Any,
) -> None:
    """Queue a message to Parties or a decision to everyone (delivered by the workflow)."""
    state.notices.append(
        SentNotice(key=f"{state.id}/{key}", kind=kind, at=ctx.now, subject=subject, to=to, **extra)
    )


EVERYONE = ["SECAS", "PANEL", "DCC", "TAG", "OPSG", "PARTY", "AUTHORITY"]


def _decision(state: ReleaseState, ctx: Context, key: str, what: str) -> None:
    seq = sum(1 for n in state.notices if n.kind == "decision") + 1
    _notice(
        state,
        ctx,
        "decision",
        f"Decision: {state.name}: {what}",
        EVERYONE,
        f"decision/{seq}-{key}",
        detail=what,
    )


# ---------------------------------------------------------------------------------------------
# Scope and the RID (SECAS prepares, the Panel baselines).


def _scope_cutoff(state: ReleaseState, system: bool) -> Deadline | None:
    return deadline(
        state, DeadlineKey.SCOPE_SYSTEM.value if system else DeadlineKey.SCOPE_DOCS.value
    )


def mod_add(state: ReleaseState, actor: Actor, cmd: c.ModAdd, ctx: Context) -> Outcome:
    _frozen(state, "add a modification")
    mod_id = cmd.mod.strip().upper()
    if not _MOD_ID.match(mod_id):
        raise Refused(f"{cmd.mod!r} is not a modification id; ids look like SECMP0062 or MP079.")
    existing = next(
        (m for m in state.modifications if m.id == mod_id and m.status is not ModStatus.REMOVED),
        None,
    )
    if existing is not None:
        raise Refused(
            f"{mod_id} is already in the scope of the {state.name} ({existing.status.value})."
        )
    if (
        sum(1 for m in state.modifications if m.status is not ModStatus.REMOVED)
        >= limits.MAX_MODIFICATIONS
    ):
        raise Refused(f"A release holds at most {limits.MAX_MODIFICATIONS} modifications.")
    title = limits.text(cmd.title, "title", limits.TITLE, flag="--title")
    if cmd.system and not is_system(state):
        raise Refused(
            f"{mod_id} impacts DCC Systems, and the {state.name} is a Documentation release; "
            "allocate it to a System release."
        )
    impacts = _categories(cmd.impacts)
    if len(cmd.documents) > limits.MAX_LIST:
        raise Refused(f"A modification lists at most {limits.MAX_LIST} SEC documents.")
    documents = [
        limits.text(d, "document name", limits.TITLE, flag="--document") for d in cmd.documents
    ]
    costs = {line: _money(amount, f"the {line.value} cost") for line, amount in cmd.costs.items()}
    rationale = limits.text(
        cmd.rationale, "rationale", limits.TEXT, flag="--rationale", required=False
    )
    cutoff = _scope_cutoff(state, cmd.system)
    if cutoff is not None and cutoff.due is not None and ctx.today > cutoff.due and not rationale:
        scope = "system" if cmd.system else "documentation"
        raise Refused(
            f"The {scope} scope cut-off of the {state.name} was {cutoff.due.isoformat()}; adding "
            f"{mod_id} after it needs the Panel's rationale (--rationale)."
        )
    if cmd.approved_on is not None:
        _not_future(cmd.approved_on, "approval date", ctx)
    mod = Modification(
        id=mod_id,
        title=title,
        system=cmd.system,
        status=ModStatus.APPROVED if cmd.approved_on else ModStatus.TARGETED,
        approved_on=cmd.approved_on,
        added_on=ctx.today,
        impacts=impacts,
        documents=documents,
        costs=costs,
        rationale=rationale or None,
        decision_by=cmd.decision_by,
        fall_back=cmd.fall_back,
    )
    state.modifications = [m for m in state.modifications if m.id != mod_id] + [mod]
    status = f"approved on {cmd.approved_on.isoformat()}" if cmd.approved_on else "targeted"
    return Outcome(
        f"Added {mod_id} '{title}' ({'system-impacting' if cmd.system else 'documentation-only'}, {status})."
    )


def _categories(given: list[str]) -> list[str]:
    if len(given) > len(PARTY_CATEGORIES):
        raise Refused("A modification impacts at most the five Party Categories.")
    out = []
    for name in given:
        match = next((p for p in PARTY_CATEGORIES if p.lower() == name.strip().lower()), None)
        if match is None:
            raise Refused(f"{name!r} is not a Party Category; use {', '.join(PARTY_CATEGORIES)}.")
        out.append(match)
    return [p for p in PARTY_CATEGORIES if p in out]


def mod_approve(state: ReleaseState, actor: Actor, cmd: c.ModApprove, ctx: Context) -> Outcome:
    _frozen(state, "record a modification's approval")
    mod = _mod(state, cmd.mod)
    if mod.status is ModStatus.APPROVED:
        raise Refused(
            f"{mod.id} was already approved on {mod.approved_on.isoformat() if mod.approved_on else '?'}."
        )
    mod.approved_on = _not_future(cmd.on, "approval date", ctx)
    mod.status = ModStatus.APPROVED
    due = calendar_of(state).add(cmd.on, 1)
    return Outcome(
        f"{mod.id} approved on {cmd.on.isoformat()}; SECAS owes the approval notice by {due.isoformat()}."
    )


def mod_remove(state: ReleaseState, actor: Actor, cmd: c.ModRemove, ctx: Context) -> Outcome:
    _frozen(state, "remove a modification")
    mod = _mod(state, cmd.mod)
    mod.removed_reason = limits.text(cmd.reason, "reason", limits.TEXT, flag="--reason")
    mod.status = ModStatus.REMOVED
    return Outcome(
        f"Removed {mod.id} from the scope ({mod.removed_reason}); a re-baseline will record it."
    )


def costs_quote(state: ReleaseState, actor: Actor, cmd: c.CostsQuote, ctx: Context) -> Outcome:
    state.costs.quoted_total = _money(cmd.total, "the quoted total")
    state.costs.quoted_on = ctx.today
    return Outcome(f"The DCC's quoted total is {format_gbp(state.costs.quoted_total)}.")


def rid_draft(state: ReleaseState, actor: Actor, cmd: c.RidDraft, ctx: Context) -> Outcome:
    _frozen(state, "issue a new RID draft")
    note = limits.text(cmd.note, "note", limits.TEXT, flag="--note", required=False)
    version = RidVersion.parse(state.rid_version).next_draft()
    _rid_entry(state, version, ctx.today, "draft", note)
    return Outcome(f"RID draft {version} issued.")


def rid_baseline(state: ReleaseState, actor: Actor, cmd: c.RidBaseline, ctx: Context) -> Outcome:
    _frozen(state, "baseline the RID")
    published = _not_future(cmd.published_on or ctx.today, "publication date", ctx)
    if published < state.created_at.date():
        raise Refused(
            f"The publication date {published.isoformat()} is before the release was created "
            f"({state.created_at.date().isoformat()})."
        )
    note = limits.text(cmd.note, "note", limits.TEXT, flag="--note", required=False)
    first = not has_baseline(state)
    scope = cmd.scope or (
        "documentation" if not is_system(state) else ("system" if first else "full")
    )
    if scope != "documentation" and not is_system(state):
        raise Refused(
            "A Documentation release's baseline covers documentation scope only (--scope documentation)."
        )
    version = RidVersion.parse(state.rid_version).next_baseline()
    _rid_entry(state, version, published, "baseline", note, scope)
    met = []
    if scope in ("system", "full") and meet(state, DeadlineKey.SCOPE_SYSTEM.value, published):
        met.append("scope_system")
        _act(state, "baseline_system", published)
    if scope in ("documentation", "full") and meet(state, DeadlineKey.SCOPE_DOCS.value, published):
        met.append("scope_docs")
        _act(state, "baseline_docs", published)
    window = AppealWindow(
        version=str(version),
        published_on=published,
        closes_on=appeal_window_closes(published, calendar_of(state)),
        workflow_id=f"release/{state.id}/appeal/{version}",
    )
    state.appeals.append(window)
    extra = f"; meets {', '.join(met)}" if met else ""
    return Outcome(
        f"RID {version} baselined by the Panel ({scope} scope), published {published.isoformat()}; "
        f"the appeal window runs to {window.closes_on.isoformat()}{extra}.",
        [StartAppealWindow(window)],
    )


NOTICE_DEADLINES = {
    "12m": DeadlineKey.NOTICE_12M,
    "6m": DeadlineKey.NOTICE_6M,
    "1m": DeadlineKey.NOTICE_1M,
}
NOTICE_WORDS = {
    "12m": "12-month notice of scope and cut-off dates",
    "6m": "6-month notice of scope and cut-off dates",
    "1m": "one-month notice of imminent go-live",
    "approval": "notice of approval",
}


CUT_OFFS = (
    (DeadlineKey.SCOPE_SYSTEM, "system-impacting modifications"),
    (DeadlineKey.SCOPE_DOCS, "documentation-only modifications"),
)


def notice_scope(state: ReleaseState) -> NoticeScope:
    """What a 12-month or 6-month notice sets out: every modification in scope (targeted or
    approved, not removed) and the cut-off dates of the release's scope deadlines."""
    return NoticeScope(
        modifications=[
            ScopedModification(
                id=m.id, title=m.title, system=m.system, approved=m.status is ModStatus.APPROVED
            )
            for m in state.modifications
            if m.status is not ModStatus.REMOVED
        ],
        cut_offs=[
            CutOff(key=key.value, what=what, due=found.due)
            for key, what in CUT_OFFS
            if (found := deadline(state, key.value)) is not None
            and found.status is not DeadlineStatus.NOT_APPLICABLE
        ],
    )


def notice_send(state: ReleaseState, actor: Actor, cmd: c.NoticeSend, ctx: Context) -> Outcome:
    if cmd.notice == "approval":
        if not cmd.mod:
            raise Refused("An approval notice names its modification (--mod MOD).")
        mod = _mod(state, cmd.mod)
        if mod.status is not ModStatus.APPROVED or mod.approved_on is None:
            raise Refused(
                f"{mod.id} is targeted, not approved; record its approval (mod approve) first."
            )
        key = f"{DeadlineKey.APPROVAL_NOTICE.value}:{mod.id}"
        subject = f"{state.name}: {mod.id} '{mod.title}' approved on {long_date(mod.approved_on)}, for go-live on {long_date(state.go_live)}"
    else:
        if cmd.mod:
            raise Refused(f"The {NOTICE_WORDS[cmd.notice]} covers the whole release; drop --mod.")
        key = NOTICE_DEADLINES[cmd.notice].value
        subject = f"{state.name}: {NOTICE_WORDS[cmd.notice]} (go-live {long_date(state.go_live)})"
    found = deadline(state, key)
    if found is not None and found.status is DeadlineStatus.MET:
        raise Refused(
            f"The {NOTICE_WORDS[cmd.notice]} ({key}) was already sent on {found.met_on.isoformat() if found.met_on else '?'}."
        )
    meet(state, key, ctx.today)
    _notice(
        state,
        ctx,
        "notice",
        subject,
        ["PARTY", "SECAS"],
        f"notice/{key}/c{found.cycle if found else 1}",
        notice=cmd.notice,
        scope=notice_scope(state) if cmd.notice in ("12m", "6m") else None,
    )
    summary = f"Sent the {NOTICE_WORDS[cmd.notice]} to Parties."
    if cmd.notice == "1m":
        state.rid_frozen_on = ctx.today
        summary += f" The RID (version {state.rid_version}) is now frozen."
    return Outcome(summary)


def timetable_set(state: ReleaseState, actor: Actor, cmd: c.TimetableSet, ctx: Context) -> Outcome:
    _frozen(state, "change the timetable")
    ev = timetable_event(cmd.event)
    if not ev.applies(is_system(state)):
        kind = "System" if ev.system_only else "Documentation"
        raise Refused(
            f"'{ev.label}' is a {kind} release event; the {state.name} is not a {kind} release."
        )
    if ev.key == "go_live" and cmd.on != state.go_live:
        raise Refused(
            f"The go-live date is {state.go_live.isoformat()}; it moves only by a re-date the "
            "Authority approves (redate request, redate approve)."
        )
    _date_in_calendar(state, cmd.on, "planned date")
    state.timetable[ev.key] = cmd.on
    return Outcome(f"Planned '{ev.label}' for {long_date(cmd.on)}.")


def criterion_define(
    state: ReleaseState, actor: Actor, cmd: c.CriterionDefine, ctx: Context
) -> Outcome:
    _frozen(state, "change the acceptance criteria")
    key = cmd.key.strip().lower()
    if not _CRITERION_KEY.match(key):
        raise Refused(
            f"{cmd.key!r} is not a criterion key; keys look like op-3, test-5 or panel-1."
        )
    text = limits.text(cmd.text, "criterion text", limits.TEXT, flag="--text")
    existing = next((x for x in state.criteria if x.key == key), None)
    if existing is not None:
        existing.text = text
        return Outcome(f"Criterion {key} reworded.")
    if len(state.criteria) >= limits.MAX_CRITERIA:
        raise Refused(f"A release holds at most {limits.MAX_CRITERIA} acceptance criteria.")
    state.criteria.append(Criterion(key=key, group=cmd.group, text=text))
    return Outcome(f"Criterion {key} added ({cmd.group}).")


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
    _act(state, "readiness", ctx.today)
    return Outcome("SECAS confirmed the release is ready; the Panel may vote.")


# ---------------------------------------------------------------------------------------------
# The Testing Approach Document (System releases).


def tad_submit(state: ReleaseState, actor: Actor, cmd: c.TadSubmit, ctx: Context) -> Outcome:
    _system_only(state, "submit a TAD")
    tad = state.tad
    if tad.incorporated_on is not None:
        raise Refused(
            f"The TAD was incorporated into the RID on {tad.incorporated_on.isoformat()}; it is final."
        )
    if len(tad.submissions) >= limits.MAX_SUBMISSIONS:
        raise Refused("Too many TAD submissions for one release.")
    doc = limits.text(cmd.doc, "document reference", limits.REF, flag="--doc")
    if cmd.updated:
        if not tad.submissions:
            raise Refused(
                "There is no draft TAD to update; submit the draft first (tad submit --doc REF)."
            )
        if not tad.reviews:
            raise Refused(
                "The TAG has not reviewed the draft TAD yet (tad review); the updated TAD answers its comments."
            )
        if tad.consultation_from is None:
            raise Refused(
                "The DCC has not consulted industry on the draft TAD (tad consult --from DATE --to DATE); "
                "the updated TAD answers the consultation too."
            )
        tad.recommendation = None
    elif tad.submissions:
        raise Refused(
            f"The draft TAD was submitted on {tad.submissions[0].on.isoformat()}; submit changes as an "
            "updated TAD (tad submit --doc REF --updated) once the TAG has reviewed it."
        )
    tad.submissions.append(TadSubmission(doc=doc, on=ctx.today, by=str(actor), updated=cmd.updated))
    _act(state, "tad_updated" if cmd.updated else "tad_draft", ctx.today)
    met = meet(state, DeadlineKey.TAD_TO_TAG.value, ctx.today)
    return Outcome(
        f"{'Updated' if cmd.updated else 'Draft'} TAD {doc} submitted to the TAG"
        + ("; meets tad_to_tag." if met else ".")
    )


def tad_review(state: ReleaseState, actor: Actor, cmd: c.TadReview, ctx: Context) -> Outcome:
    _system_only(state, "review a TAD")
    if not state.tad.submissions:
        raise Refused("There is no TAD to review; the DCC submits it first (tad submit).")
    if state.tad.incorporated_on is not None:
        raise Refused("The TAD is already incorporated into the RID.")
    comments = limits.text(cmd.comments, "comments", limits.TEXT, flag="--comments")
    state.tad.reviews.append(
        Recommendation(favourable=True, comments=comments, on=ctx.today, by=str(actor))
    )
    _act(state, "tad_review", ctx.today)
    return Outcome("The TAG's comments on the TAD are recorded.")


def tad_consult(state: ReleaseState, actor: Actor, cmd: c.TadConsult, ctx: Context) -> Outcome:
    _system_only(state, "consult on a TAD")
    if not state.tad.reviews:
        raise Refused(
            "The TAG has not reviewed the draft TAD yet (tad review); consult industry after its review."
        )
    if cmd.end < cmd.start:
        raise Refused(
            f"The consultation must end on or after it starts; {cmd.end} is before {cmd.start}."
        )
    _date_in_calendar(state, cmd.end, "consultation end")
    state.tad.consultation_from, state.tad.consultation_to = cmd.start, cmd.end
    _act(state, "tad_consult", cmd.start)
    return Outcome(
        f"Industry consultation on the TAD from {cmd.start.isoformat()} to {cmd.end.isoformat()}."
    )


def tad_recommend(state: ReleaseState, actor: Actor, cmd: c.TadRecommend, ctx: Context) -> Outcome:
    _system_only(state, "recommend on a TAD")
    subs = state.tad.submissions
    if not subs or not subs[-1].updated:
        raise Refused(
            "The TAG recommends on the updated TAD; the DCC has not submitted one (tad submit --updated)."
        )
    if state.tad.recommendation is not None:
        raise Refused(
            "The TAG has already recommended on this TAD; the DCC submits an updated TAD for a new recommendation."
        )
    comments = limits.text(cmd.comments, "comments", limits.TEXT, flag="--comments", required=False)
    state.tad.recommendation = Recommendation(
        favourable=cmd.suitable, comments=comments, on=ctx.today, by=str(actor)
    )
    _act(state, "tad_recommend", ctx.today)
    verdict = "suitable" if cmd.suitable else "not suitable"
    return Outcome(f"The TAG recommends the TAD as {verdict}.")


def tad_incorporate(
    state: ReleaseState, actor: Actor, cmd: c.TadIncorporate, ctx: Context
) -> Outcome:
    _system_only(state, "incorporate a TAD")
    _frozen(state, "incorporate the TAD")
    tad = state.tad
    if tad.incorporated_on is not None:
        raise Refused(f"The TAD was already incorporated on {tad.incorporated_on.isoformat()}.")
    if tad.recommendation is None:
        raise Refused(
            "The TAG has not recommended on the updated TAD (tad recommend); incorporate it after."
        )
    if not tad.recommendation.favourable:
        raise Refused(
            "The TAG found the TAD not suitable; the DCC submits an updated TAD for a new recommendation."
        )
    tad.incorporated_on = ctx.today
    version = RidVersion.parse(state.rid_version).next_draft()
    _rid_entry(state, version, ctx.today, "draft", "TAD incorporated as Annex A.")
    met = meet(state, DeadlineKey.TAD_FINAL.value, ctx.today)
    _act(state, "tad_incorporate", ctx.today)
    return Outcome(
        f"The TAD is incorporated into the RID as draft {version}; the Panel's next baseline makes it "
        f"an integer version" + ("; meets tad_final." if met else ".")
    )


# ---------------------------------------------------------------------------------------------
# SIT and UIT.


def _phase_of(state: ReleaseState, kind: str) -> tuple[str, TestPhase]:
    name = kind.split("_", 1)[0]
    return name.upper(), state.sit if name == "sit" else state.uit


def phase_start(state: ReleaseState, actor: Actor, cmd: c.PhaseStart, ctx: Context) -> Outcome:
    name, test = _phase_of(state, cmd.kind)
    _system_only(state, f"start {name}")
    if test.started_on is not None:
        raise Refused(f"{name} already started on {test.started_on.isoformat()}.")
    if name == "UIT":
        if test.planned_start is None:
            raise Refused(
                "Plan the UIT window first (uit plan --start DATE --end DATE); it dates the regression deadlines."
            )
        if state.sit.report is None:
            raise Refused(
                "UIT starts after SIT: the DCC has not submitted the SIT Completion Report (sit report)."
            )
    if cmd.planned_end is not None:
        if cmd.planned_end < ctx.today:
            raise Refused(f"The planned end {cmd.planned_end} is before today ({ctx.today}).")
        test.planned_end = cmd.planned_end
    test.started_on = ctx.today
    _act(state, f"{name.lower()}_start", ctx.today)
    return Outcome(f"{name} started.")


def phase_report(state: ReleaseState, actor: Actor, cmd: c.PhaseReport, ctx: Context) -> Outcome:
    name, test = _phase_of(state, cmd.kind)
    _system_only(state, f"report on {name}")
    if test.started_on is None:
        raise Refused(
            f"{name} has not started ({name.lower()} start); its Completion Report comes after."
        )
    if name == "UIT" and test.closed_on is None:
        raise Refused("The UIT window is still open; close it first (uit close).")
    if test.approved_on is not None:
        raise Refused(
            f"The Panel already approved the {name} Completion Report on {test.approved_on.isoformat()}."
        )
    doc = limits.text(cmd.doc, "document reference", limits.REF, flag="--doc")
    test.report = Submission(doc=doc, on=ctx.today, by=str(actor))
    test.recommendation = None
    _act(state, f"{name.lower()}_report", ctx.today)
    return Outcome(f"{name} Completion Report {doc} submitted; the TAG recommends next.")


def phase_recommend(
    state: ReleaseState, actor: Actor, cmd: c.PhaseRecommend, ctx: Context
) -> Outcome:
    name, test = _phase_of(state, cmd.kind)
    _system_only(state, f"recommend on {name}")
    if test.report is None:
        raise Refused(
            f"There is no {name} Completion Report to recommend on; the DCC submits it first ({name.lower()} report)."
        )
    comments = limits.text(cmd.comments, "comments", limits.TEXT, flag="--comments")
    test.recommendation = Recommendation(
        favourable=cmd.approve, comments=comments, on=ctx.today, by=str(actor)
    )
    if name == "SIT":
        _act(state, "sit_recommend", ctx.today)
    return Outcome(
        f"The TAG recommends {'approving' if cmd.approve else 'rejecting'} the {name} Completion Report."
    )


def phase_approve(state: ReleaseState, actor: Actor, cmd: c.PhaseApprove, ctx: Context) -> Outcome:
    name, test = _phase_of(state, cmd.kind)
    _system_only(state, f"approve {name}")
    if test.approved_on is not None:
        raise Refused(
            f"The {name} Completion Report was already approved on {test.approved_on.isoformat()}."
        )
    if test.report is None:
        raise Refused(
            f"There is no {name} Completion Report to approve; the DCC submits it first ({name.lower()} report)."
        )
    tag = test.recommendation
    go_live_tag = state.recommendations.get("TAG") if name == "UIT" else None
    if go_live_tag is None:
        if tag is None:
            alternative = (
                " or its go-live recommendation (recommend --group TAG)" if name == "UIT" else ""
            )
            raise Refused(
                f"The TAG has not recommended on the {name} Completion Report ({name.lower()} recommend){alternative}."
            )
        if not tag.favourable:
            raise Refused(
                f"The TAG recommended rejecting the {name} Completion Report; the DCC submits a new report."
            )
    test.approved_on = ctx.today
    _act(state, f"{name.lower()}_approve", ctx.today)
    return Outcome(f"The Panel approved the {name} Completion Report.")


def uit_plan(state: ReleaseState, actor: Actor, cmd: c.UitPlan, ctx: Context) -> Outcome:
    _system_only(state, "plan UIT")
    if state.uit.started_on is not None:
        raise Refused(
            f"UIT started on {state.uit.started_on.isoformat()}; its window can no longer be planned."
        )
    if cmd.end <= cmd.start:
        raise Refused(
            f"The UIT window must end after it starts; {cmd.end} is not after {cmd.start}."
        )
    if cmd.end > state.go_live:
        raise Refused(
            f"The UIT window must end before go-live ({state.go_live.isoformat()}); {cmd.end} is after."
        )
    for day in (cmd.start, cmd.end):
        _date_in_calendar(state, day, "UIT date")
    state.uit.planned_start, state.uit.planned_end = cmd.start, cmd.end
    cal = calendar_of(state)
    return Outcome(
        f"UIT planned from {cmd.start.isoformat()} to {cmd.end.isoformat()}: regression plans due "
        f"{cal.add(cmd.start, -10).isoformat()}, results due {cal.add(cmd.end, -5).isoformat()}."
    )


def uit_close(state: ReleaseState, actor: Actor, cmd: c.UitClose, ctx: Context) -> Outcome:
    _system_only(state, "close UIT")
    if state.uit.started_on is None:
        raise Refused("UIT has not started (uit start); the window closes after it starts.")
    if state.uit.closed_on is not None:
        raise Refused(f"The UIT window already closed on {state.uit.closed_on.isoformat()}.")
    state.uit.closed_on = ctx.today
    _act(state, "uit_close", ctx.today)
    return Outcome("The UIT window is closed; the DCC's UIT Completion Report comes next.")


def regression(state: ReleaseState, actor: Actor, cmd: c.Regression, ctx: Context) -> Outcome:
    _system_only(state, "file regression testing")
    doc = limits.text(cmd.doc, "document reference", limits.REF, flag="--doc")
    if cmd.kind == "regression_plans":
        if state.uit.planned_start is None:
            raise Refused(
                "The DCC has not planned the UIT window yet (uit plan); regression plans follow it."
            )
        target = state.regression_plans
        key, what = DeadlineKey.REGRESSION_PLANS.value, "plans"
    else:
        if state.uit.started_on is None:
            raise Refused("UIT has not started (uit start); regression results come during UIT.")
        target = state.regression_results
        key, what = DeadlineKey.REGRESSION_RESULTS.value, "results"
    if len(target) >= limits.MAX_SUBMISSIONS:
        raise Refused(f"Too many regression {what} for one release.")
    target.append(Submission(doc=doc, on=ctx.today, by=str(actor)))
    met = meet(state, key, ctx.today)
    _act(state, key, ctx.today)
    return Outcome(f"Regression testing {what} {doc} filed" + (f"; meets {key}." if met else "."))


def evidence_submit(
    state: ReleaseState, actor: Actor, cmd: c.EvidenceSubmit, ctx: Context
) -> Outcome:
    _system_only(state, "submit go-live evidence")
    _before_go_live_decision(state, "submit go-live evidence", ctx)
    doc = limits.text(cmd.doc, "document reference", limits.REF, flag="--doc")
    sub = Submission(doc=doc, on=ctx.today, by=str(actor))
    if cmd.evidence == "testing":
        state.testing_evidence = sub
    else:
        state.operational_evidence = sub
        _act(state, "operational_evidence", ctx.today)
    both = state.testing_evidence is not None and state.operational_evidence is not None
    met = both and meet(state, DeadlineKey.EVIDENCE.value, ctx.today)
    return Outcome(
        f"The DCC's {cmd.evidence} evidence {doc} is in" + ("; meets evidence." if met else ".")
    )


def recommend(state: ReleaseState, actor: Actor, cmd: c.Recommend, ctx: Context) -> Outcome:
    _system_only(state, "give a go-live recommendation")
    _before_go_live_decision(state, "give a go-live recommendation", ctx)
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
    _act(state, "tag_recommend" if cmd.group == "TAG" else "opsg_recommend", ctx.today)
    return Outcome(f"The {cmd.group} recommends {'GO' if cmd.go else 'NO-GO'}.")


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
        crit.reason = limits.text(cmd.reason, "reason", limits.TEXT, flag="--reason")
        crit.status = CriterionStatus.WAIVED
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


# ---------------------------------------------------------------------------------------------
# Costs.


def costs_report(state: ReleaseState, actor: Actor, cmd: c.CostsReport, ctx: Context) -> Outcome:
    kind = cmd.kind.split("_", 1)[1]
    if cmd.total is None and not cmd.lines:
        raise Refused(
            f"A {kind} cost report gives a total (--total GBP) or line items (--cost LINE=GBP)."
        )
    lines = {line: _money(amount, f"the {line.value} cost") for line, amount in cmd.lines.items()}
    total = _money(cmd.total, "the total") if cmd.total is not None else None
    commentary = limits.text(
        cmd.commentary, "commentary", limits.TEXT, flag="--commentary", required=False
    )
    report = CostReport(kind=kind, on=ctx.today, total=total, lines=lines, commentary=commentary)
    shown = format_gbp(total if total is not None else sum(lines.values(), Decimal(0)))
    if kind == "forecast":
        state.costs.forecast = report
        return Outcome(f"Forecast Release Cost {shown} recorded.")
    if kind == "spend":
        if len(state.costs.spend) >= limits.MAX_SUBMISSIONS:
            raise Refused("Too many spend updates for one release.")
        state.costs.spend.append(report)
        due = next(
            (d for d in state.deadlines if d.key.startswith("spend_update:") and d.status in OPEN),
            None,
        )
        met = due is not None and meet(state, due.key, ctx.today)
        return Outcome(
            f"Spend update {shown} recorded" + (f"; meets {due.key}." if met and due else ".")
        )
    if ctx.today < state.go_live or not (state.deployed_on or state.sec_updated_on):
        raise Refused(
            f"The actual cost report comes after go-live (from {state.go_live.isoformat()}, once the release is live)."
        )
    state.costs.actual = report
    met = meet(state, DeadlineKey.ACTUAL_COSTS.value, ctx.today)
    return Outcome(
        f"Actual cost report {shown} recorded" + ("; meets actual_costs." if met else ".")
    )


def costs_period(state: ReleaseState, actor: Actor, cmd: c.CostsPeriod, ctx: Context) -> Outcome:
    _system_only(state, "set a spend-report period")
    if not 1 <= cmd.months <= 12:
        raise Refused(f"The spend-report period is 1 to 12 months; {cmd.months} is not.")
    state.costs.period_months = cmd.months
    state.costs.period_from = ctx.today
    return Outcome(f"The DCC reports spend every {cmd.months} month(s) until go-live.")


# ---------------------------------------------------------------------------------------------
# Decisions.


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
    _act(state, "vote", ctx.today)
    if cmd.go:
        _decision(
            state, ctx, "vote-go", f"the Panel voted GO for go-live on {long_date(state.go_live)}"
        )
        return Outcome(f"GO: the release is approved to go live on {state.go_live.isoformat()}.")
    _decision(state, ctx, "vote-no-go", f"the Panel voted NO-GO ({reason})")
    return Outcome("NO-GO: the release is replanning; the Panel requests a new date or cancels.")


def redate_request(
    state: ReleaseState, actor: Actor, cmd: c.RedateRequest, ctx: Context
) -> Outcome:
    _before_go_live_decision(state, "re-date it", ctx)
    pending = next((r for r in state.redates if r.approved_on is None), None)
    if pending is not None:
        raise Refused(
            f"A re-date to {pending.go_live.isoformat()} is already waiting for the Authority "
            f"(requested {pending.requested_on.isoformat()})."
        )
    reason = limits.text(cmd.reason, "reason", limits.TEXT, flag="--reason")
    _date_in_calendar(state, cmd.go_live, "go-live date")
    if cmd.mod is not None:
        mod = _mod(state, cmd.mod)
        if cmd.go_live <= state.go_live:
            raise Refused(
                f"{mod.id} would move to {cmd.go_live.isoformat()}, on or before this release's "
                f"go-live ({state.go_live.isoformat()}); a modification is re-dated to a later release."
            )
        state.redates.append(
            Redate(
                go_live=cmd.go_live,
                reason=reason,
                requested_on=ctx.today,
                by=str(actor),
                mod=mod.id,
            )
        )
        return Outcome(
            f"Requested the Authority to move {mod.id}'s implementation date to "
            f"{cmd.go_live.isoformat()}; it stays in scope until the Authority agrees."
        )
    if cmd.go_live == state.go_live:
        raise Refused(f"The release already goes live on {cmd.go_live.isoformat()}.")
    check_go_live(cmd.go_live, _freezes(state), calendar_of(state), ctx.today)
    state.redates.append(
        Redate(go_live=cmd.go_live, reason=reason, requested_on=ctx.today, by=str(actor))
    )
    return Outcome(
        f"Requested the Authority to move go-live to {cmd.go_live.isoformat()}; the release goes on meanwhile."
    )


def _redate_modification(state: ReleaseState, pending: Redate, ctx: Context) -> Outcome:
    """The Authority moves one modification's date: it leaves this release for a later one."""
    mod = next((m for m in state.modifications if m.id == pending.mod), None)
    pending.approved_on = ctx.today
    if mod is None or mod.status is ModStatus.REMOVED:
        return Outcome(f"{pending.mod} is no longer in scope; nothing to move.")
    mod.status = ModStatus.REMOVED
    mod.removed_reason = f"implementation date revised to {pending.go_live.isoformat()} by the Authority ({pending.reason})"
    _decision(
        state,
        ctx,
        f"redate-{mod.id}",
        f"the Authority moved {mod.id}'s implementation date to {long_date(pending.go_live)}; it leaves the release",
    )
    return Outcome(
        f"{mod.id} moves to {pending.go_live.isoformat()} and leaves the scope; a re-baseline records it."
    )


def cancel_request(
    state: ReleaseState, actor: Actor, cmd: c.CancelRequest, ctx: Context
) -> Outcome:
    if is_live(state):
        raise Refused("The release is live; it can be closed after review, not cancelled.")
    if state.cancel_requested is not None:
        raise Refused(
            f"SECAS already asked the Panel to cancel the release on {state.cancel_requested.on.isoformat()}."
        )
    reason = limits.text(cmd.reason, "reason", limits.TEXT, flag="--reason")
    state.cancel_requested = CancelRequested(by=str(actor), on=ctx.today, reason=reason)
    return Outcome(
        "SECAS asked the Panel to cancel the release; the Panel decides (release cancel)."
    )


def _freezes(state: ReleaseState) -> list[FreezeRule]:
    return [FreezeRule(f.start, f.end, f.reason) for f in state.freezes]


def redate_approve(
    state: ReleaseState, actor: Actor, cmd: c.RedateApprove, ctx: Context
) -> Outcome:
    pending = next((r for r in state.redates if r.approved_on is None), None)
    if pending is None:
        raise Refused(
            "There is no re-date request waiting; the Panel requests one first (redate request)."
        )
    _before_go_live_decision(state, "re-date it", ctx)
    if pending.mod is not None:
        return _redate_modification(state, pending, ctx)
    # Checked again: a freeze may have been recorded since the request.
    check_go_live(pending.go_live, _freezes(state), calendar_of(state), ctx.today)
    replanning = phase(state, ctx.today) is Phase.REPLANNING
    pending.approved_on = ctx.today
    pending.previous = state.go_live
    state.go_live = pending.go_live
    if "go_live" in state.timetable:
        state.timetable["go_live"] = pending.go_live
    for v in state.votes:
        v.superseded = True
    if replanning:
        # The lifecycle resumes where evidence must be re-given.
        state.testing_evidence = None
        state.operational_evidence = None
        state.recommendations = {}
        reopen(state, DeadlineKey.EVIDENCE.value, ctx.now)
    if state.rid_frozen_on is not None:
        state.rid_frozen_on = None
        reopen(state, DeadlineKey.NOTICE_1M.value, ctx.now)
    _decision(
        state,
        ctx,
        "redate",
        f"the Authority approved moving go-live from {long_date(pending.previous)} to {long_date(state.go_live)}",
    )
    resume = " Evidence and recommendations must be given again." if replanning else ""
    return Outcome(
        f"Go-live moved to {state.go_live.isoformat()}; every open deadline is recomputed.{resume}"
    )


def waive(state: ReleaseState, actor: Actor, cmd: c.Waive, ctx: Context) -> Outcome:
    found = deadline(state, cmd.deadline.strip())
    if found is None or found.status is DeadlineStatus.NOT_APPLICABLE:
        keys = ", ".join(d.key for d in state.deadlines if d.status in OPEN)
        raise Refused(
            f"{cmd.deadline!r} is not an open deadline of the {state.name} (open: {keys or 'none'})."
        )
    if found.status not in OPEN:
        raise Refused(f"{found.key} is already {found.status.value}.")
    if not found.escalates:
        raise Refused(f"{found.key} is an appeal window, which cannot be waived.")
    reason = limits.text(cmd.reason, "reason", limits.TEXT, flag="--reason")
    found.status = DeadlineStatus.WAIVED
    found.waived_reason = reason
    found.met_on = ctx.today
    _decision(state, ctx, f"waive-{found.key}", f"the Panel waived {found.key} ({reason})")
    return Outcome(f"{found.key} waived; its escalation stops.")


def auditor_appoint(
    state: ReleaseState, actor: Actor, cmd: c.AuditorAppoint, ctx: Context
) -> Outcome:
    state.auditor = Auditor(
        name=limits.text(cmd.name, "auditor's name", limits.TITLE, flag="--name"),
        terms=limits.text(cmd.terms, "terms of reference", limits.REF, flag="--terms"),
        on=ctx.today,
    )
    return Outcome(f"External auditor {state.auditor.name} appointed.")


def appeal_lodge(state: ReleaseState, actor: Actor, cmd: c.AppealLodge, ctx: Context) -> Outcome:
    reasons = limits.text(cmd.reasons, "appeal's reasons", limits.TEXT, flag="--reasons")
    window = _window(state, cmd.version, ctx)
    if len(window.appeals) >= limits.MAX_APPEALS:
        raise Refused("This appeal window holds too many appeals.")
    appeal = Appeal(by=str(actor), reasons=reasons, on=ctx.today)
    window.appeals.append(appeal)
    return Outcome(
        f"Appeal against RID {window.version} lodged; the window closes on {window.closes_on.isoformat()}, "
        "then the appeals go to the Authority.",
        [ForwardAppeal(window.version, appeal)],
    )


def _window(state: ReleaseState, version: str | None, ctx: Context) -> AppealWindow:
    windows = [w for w in state.appeals if version is None or w.version == version]
    if version is not None and not windows:
        raise Refused(f"RID {version} has no appeal window; only Panel baselines start one.")
    open_windows = [
        w for w in windows if w.status is AppealStatus.OPEN and ctx.today <= w.closes_on
    ]
    if open_windows:
        return open_windows[-1]
    if not windows:
        raise Refused("No appeal window is open: the Panel has not baselined the RID.")
    last = windows[-1]
    raise Refused(
        f"The appeal window for RID {last.version} closed on {last.closes_on.isoformat()} "
        f"(10 Working Days after its publication on {last.published_on.isoformat()}); appeals are no longer accepted."
    )


def appeal_determine(
    state: ReleaseState, actor: Actor, cmd: c.AppealDetermine, ctx: Context
) -> Outcome:
    referred = [
        w
        for w in state.appeals
        if w.status is AppealStatus.REFERRED and cmd.version in (None, w.version)
    ]
    if not referred:
        raise Refused(
            "No appeal has been referred to the Authority; appeals are referred when their window closes."
        )
    window = referred[-1]
    notes = limits.text(cmd.notes, "notes", limits.TEXT, flag="--notes", required=False)
    verdict = "upheld" if cmd.upheld else "overturned"
    return Outcome(
        f"Determination on RID {window.version}: the approval is {verdict}.",
        [ForwardDetermination(window.version, cmd.upheld, notes)],
    )


def apply_appeal_outcome(
    state: ReleaseState, version: str, status: AppealStatus, notes: str, ctx: Context
) -> str | None:
    """Record what an appeal window reports (closed unchallenged or referred, or determined).

    Idempotent: a repeated report changes nothing. Overturned revokes that baseline and the
    RID returns to a draft version. Returns a summary, or None when nothing changed.
    """
    window = next((w for w in state.appeals if w.version == version), None)
    if window is None or window.status is status:
        return None
    if window.status in (AppealStatus.UPHELD, AppealStatus.OVERTURNED, AppealStatus.UNCHALLENGED):
        return None  # the determination is final
    window.status = status
    if status is AppealStatus.REFERRED:
        _notice(
            state,
            ctx,
            "appeal",
            f"{state.name}: {len(window.appeals)} appeal(s) against RID {version} referred to the Authority",
            ["AUTHORITY", "PANEL", "SECAS"],
            f"appeal/{version}/referred",
        )
        return f"RID {version}: {len(window.appeals)} appeal(s) referred to the Authority."
    if status is AppealStatus.UNCHALLENGED:
        return f"RID {version}: the appeal window closed unchallenged."
    window.notes = notes
    window.determined_on = ctx.today
    if status is AppealStatus.UPHELD:
        _decision(
            state,
            ctx,
            f"appeal-{version}",
            f"the Authority upheld the Panel's approval of RID {version}",
        )
        return f"RID {version}: the Authority upheld the approval."
    entry = next(e for e in state.rid_history if e.version == version and e.kind == "baseline")
    entry.revoked = True
    draft = RidVersion.parse(state.rid_version).next_draft()
    _rid_entry(
        state, draft, ctx.today, "draft", f"Baseline {version} revoked by the Authority on appeal."
    )
    for key in (DeadlineKey.SCOPE_SYSTEM.value, DeadlineKey.SCOPE_DOCS.value):
        found = deadline(state, key)
        if (
            found is not None
            and found.status is DeadlineStatus.MET
            and found.met_on == entry.on
            and not _met_by_other(state, entry, key)
        ):
            reopen(state, key, ctx.now)
    _decision(
        state,
        ctx,
        f"appeal-{version}",
        f"the Authority overturned the Panel's approval of RID {version}; the RID returns to draft {draft}",
    )
    return f"RID {version} overturned on appeal: the RID returns to draft {draft}."


def _met_by_other(state: ReleaseState, revoked: RidEntry, key: str) -> bool:
    scopes = {"scope_system": ("system", "full"), "scope_docs": ("documentation", "full")}[key]
    return any(
        e.kind == "baseline" and not e.revoked and e is not revoked and e.scope in scopes
        for e in state.rid_history
    )


def golive_confirm(
    state: ReleaseState, actor: Actor, cmd: c.GoLiveConfirm, ctx: Context
) -> Outcome:
    current = standing_vote(state)
    if current is None or not current.go:
        raise Refused(
            "The Panel has not approved go-live (vote go); the release cannot go live yet."
        )
    if ctx.today < state.go_live:
        raise Refused(
            f"Go-live is on {state.go_live.isoformat()}; confirm it on or after that day."
        )
    if cmd.what == "deployed":
        if not is_system(state):
            raise Refused(
                "A Documentation release deploys nothing; SECAS confirms the SEC text (golive confirm --sec-updated)."
            )
        if state.deployed_on is not None:
            raise Refused(f"Deployment was already confirmed on {state.deployed_on.isoformat()}.")
        state.deployed_on = ctx.today
        what = "The DCC confirmed deployment"
    else:
        if state.sec_updated_on is not None:
            raise Refused(
                f"The SEC text update was already confirmed on {state.sec_updated_on.isoformat()}."
            )
        state.sec_updated_on = ctx.today
        what = "SECAS confirmed the SEC text was updated"
    if is_live(state):
        _act(state, "go_live", ctx.today)
        review = early_life_end(state)
        return Outcome(
            f"{what}; the release is LIVE (early-life monitoring to {review.isoformat() if review else '?'})."
        )
    return Outcome(f"{what}.")


def lessons_submit(
    state: ReleaseState, actor: Actor, cmd: c.LessonsSubmit, ctx: Context
) -> Outcome:
    if not is_live(state):
        raise Refused(
            f"Lessons learnt come after go-live (from {state.go_live.isoformat()}, once the release is live)."
        )
    doc = limits.text(cmd.doc, "document reference", limits.REF, flag="--doc")
    state.lessons = Submission(doc=doc, on=ctx.today, by=str(actor))
    return Outcome(f"Lessons learnt {doc} submitted.")


def release_end(state: ReleaseState, actor: Actor, cmd: c.ReleaseEnd, ctx: Context) -> Outcome:
    reason = limits.text(cmd.reason, "reason", limits.TEXT, flag="--reason", required=False)
    if cmd.kind == "release_cancel":
        if is_live(state):
            raise Refused("The release is live; it can be closed after review, not cancelled.")
        state.cancelled_on = ctx.today
        state.end_reason = reason
        for mod in state.modifications:
            if mod.status is not ModStatus.REMOVED:
                mod.status = ModStatus.REMOVED
                mod.removed_reason = "release cancelled: unallocated"
        _decision(
            state,
            ctx,
            "cancel",
            f"the Panel cancelled the release{f' ({reason})' if reason else ''}; its modifications return to unallocated",
        )
        return Outcome(
            "The release is cancelled; its modifications return to unallocated.", [ReleaseEnded()]
        )
    if not is_live(state):
        raise Refused(
            "The release has not gone live; the Panel closes it after go-live and review (or cancels it)."
        )
    review = early_life_end(state)
    if review is not None and ctx.today < review:
        raise Refused(
            f"Early-life monitoring runs until {review.isoformat()}; the release review and closing come after."
        )
    missing = close_blockers(state)
    if missing:
        raise Refused(f"The release cannot close yet: it still needs {' and '.join(missing)}.")
    state.closed_on = ctx.today
    state.end_reason = reason
    _decision(state, ctx, "close", "the Panel closed the release")
    return Outcome("The release is closed; its full record stays available.", [ReleaseEnded()])


# ---------------------------------------------------------------------------------------------
# Panel-wide change freezes.


def learn_freezes(state: ReleaseState, freezes: list[Freeze]) -> bool:
    """Take the Panel's current freezes; True when they changed."""
    if freezes == state.freezes:
        return False
    state.freezes = list(freezes)
    return True


def freeze_warnings(state: ReleaseState) -> list[str]:
    """A go-live date that a later freeze now covers (the Panel should re-date)."""
    if is_ended(state) or is_live(state):
        return []
    hit = next((f for f in state.freezes if f.start <= state.go_live <= f.end), None)
    if hit is None:
        return []
    return [
        f"The go-live date {state.go_live.isoformat()} falls inside the change freeze from "
        f"{long_date(hit.start)} to {long_date(hit.end)} ({hit.reason}); the Panel should request a new date."
    ]


HANDLERS: dict[type, Callable[[ReleaseState, Actor, Any, Context], Outcome]] = {
    c.ModAdd: mod_add,
    c.ModApprove: mod_approve,
    c.ModRemove: mod_remove,
    c.CostsQuote: costs_quote,
    c.RidDraft: rid_draft,
    c.RidBaseline: rid_baseline,
    c.NoticeSend: notice_send,
    c.TimetableSet: timetable_set,
    c.CriterionDefine: criterion_define,
    c.ReadinessConfirm: readiness_confirm,
    c.TadSubmit: tad_submit,
    c.TadReview: tad_review,
    c.TadConsult: tad_consult,
    c.TadRecommend: tad_recommend,
    c.TadIncorporate: tad_incorporate,
    c.PhaseStart: phase_start,
    c.PhaseReport: phase_report,
    c.PhaseRecommend: phase_recommend,
    c.PhaseApprove: phase_approve,
    c.UitPlan: uit_plan,
    c.UitClose: uit_close,
    c.Regression: regression,
    c.EvidenceSubmit: evidence_submit,
    c.Recommend: recommend,
    c.DefectsSet: defects_set,
    c.CriterionSet: criterion_set,
    c.RiskAdd: risk_add,
    c.CostsReport: costs_report,
    c.CostsPeriod: costs_period,
    c.VoteCast: vote,
    c.RedateRequest: redate_request,
    c.RedateApprove: redate_approve,
    c.CancelRequest: cancel_request,
    c.Waive: waive,
    c.AuditorAppoint: auditor_appoint,
    c.AppealLodge: appeal_lodge,
    c.AppealDetermine: appeal_determine,
    c.GoLiveConfirm: golive_confirm,
    c.LessonsSubmit: lessons_submit,
    c.ReleaseEnd: release_end,
}
