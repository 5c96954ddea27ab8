"""Scope and the RID (SPEC section 5.1): modifications, RID drafts and baselines, the timetable.

SECAS prepares the scope and the drafts; the Panel baselines, and each baseline starts an
appeal window. After the one-month notice the RID is frozen.
"""

from __future__ import annotations

from datetime import date

from rules import limits
from rules.context import Context
from rules.deadlines import DeadlineKey, appeal_window_closes
from rules.errors import Refused
from rules.guards import MOD_ID, date_in_calendar, money, not_frozen, not_future, scoped_mod
from rules.outcome import Outcome, StartAppealWindow
from rules.queries import has_baseline, is_system
from rules.registry import handles
from rules.release_calendar import long_date
from rules.rid import RidVersion
from rules.timetable import event as timetable_event
from rules.timetable import record_actual
from rules.tracking import calendar_of, deadline, meet
from schemas import commands as c
from schemas.base import Actor
from schemas.state import (
    AppealWindow,
    Deadline,
    Modification,
    ModStatus,
    ReleaseState,
    RidEntry,
    RidSnapshot,
)
from schemas.vocabulary import PARTY_CATEGORIES


def new_rid_version(
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


# The changes since a baseline that status and the GO refusal list one by one; more are counted.
MAX_CHANGES_LISTED = 10


def mark_changed(state: ReleaseState, ctx: Context, what: str) -> None:
    """Record a change to baselined RID content (SPEC section 5.1): until the Panel baselines
    again, the RID is "changed since its baseline" and GO counts it as unmet."""
    if not ctx.careful_panel or not has_baseline(state) or what in state.rid_changes:
        return
    changes = state.rid_changes
    if len(changes) < MAX_CHANGES_LISTED:
        changes.append(what)
        return
    more = int(changes[-1].split()[1]) + 1 if changes[-1].startswith("and ") else 1
    changes[MAX_CHANGES_LISTED:] = [f"and {more} more change{'s' if more > 1 else ''}"]


def _scope_cutoff(state: ReleaseState, system: bool) -> Deadline | None:
    return deadline(
        state, DeadlineKey.SCOPE_SYSTEM.value if system else DeadlineKey.SCOPE_DOCS.value
    )


@handles(c.ModAdd)
def mod_add(state: ReleaseState, actor: Actor, cmd: c.ModAdd, ctx: Context) -> Outcome:
    not_frozen(state, "add a modification")
    mod_id = cmd.mod.strip().upper()
    if not MOD_ID.match(mod_id):
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
    costs = {line: money(amount, f"the {line.value} cost") for line, amount in cmd.costs.items()}
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
        not_future(cmd.approved_on, "approval date", ctx)
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
    mark_changed(state, ctx, f"{mod_id} added")
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


@handles(c.ModApprove)
def mod_approve(state: ReleaseState, actor: Actor, cmd: c.ModApprove, ctx: Context) -> Outcome:
    not_frozen(state, "record a modification's approval")
    mod = scoped_mod(state, cmd.mod)
    if mod.status is ModStatus.APPROVED:
        raise Refused(
            f"{mod.id} was already approved on {mod.approved_on.isoformat() if mod.approved_on else '?'}."
        )
    mod.approved_on = not_future(cmd.on, "approval date", ctx)
    mod.status = ModStatus.APPROVED
    mark_changed(state, ctx, f"{mod.id} approved")
    due = calendar_of(state).add(cmd.on, 1)
    return Outcome(
        f"{mod.id} approved on {cmd.on.isoformat()}; SECAS owes the approval notice by {due.isoformat()}."
    )


@handles(c.ModRemove)
def mod_remove(state: ReleaseState, actor: Actor, cmd: c.ModRemove, ctx: Context) -> Outcome:
    not_frozen(state, "remove a modification")
    mod = scoped_mod(state, cmd.mod)
    mod.removed_reason = limits.text(cmd.reason, "reason", limits.TEXT, flag="--reason")
    mod.status = ModStatus.REMOVED
    mark_changed(state, ctx, f"{mod.id} removed")
    return Outcome(
        f"Removed {mod.id} from the scope ({mod.removed_reason}); a re-baseline will record it."
    )


@handles(c.RidDraft)
def rid_draft(state: ReleaseState, actor: Actor, cmd: c.RidDraft, ctx: Context) -> Outcome:
    not_frozen(state, "issue a new RID draft")
    note = limits.text(cmd.note, "note", limits.TEXT, flag="--note", required=False)
    version = RidVersion.parse(state.rid_version).next_draft()
    new_rid_version(state, version, ctx.today, "draft", note)
    mark_changed(state, ctx, f"draft {version} issued")
    return Outcome(f"RID draft {version} issued.")


@handles(c.RidBaseline)
def rid_baseline(state: ReleaseState, actor: Actor, cmd: c.RidBaseline, ctx: Context) -> Outcome:
    not_frozen(state, "baseline the RID")
    published = not_future(cmd.published_on or ctx.today, "publication date", ctx)
    if published < state.created_at.date():
        raise Refused(
            f"The publication date {published.isoformat()} is before the release was created "
            f"({state.created_at.date().isoformat()})."
        )
    note = limits.text(cmd.note, "note", limits.TEXT, flag="--note", required=False)
    first = not has_baseline(state)
    scope = cmd.scope or _default_scope(state, first, ctx)
    if scope != "documentation" and not is_system(state):
        raise Refused(
            "A Documentation release's baseline covers documentation scope only (--scope documentation)."
        )
    version = RidVersion.parse(state.rid_version).next_baseline()
    new_rid_version(state, version, published, "baseline", note, scope)
    if ctx.careful_panel:
        state.rid_changes = []
    met = []
    if scope in ("system", "full") and meet(state, DeadlineKey.SCOPE_SYSTEM.value, published):
        met.append("scope_system")
        record_actual(state, "baseline_system", published)
    if scope in ("documentation", "full") and meet(state, DeadlineKey.SCOPE_DOCS.value, published):
        met.append("scope_docs")
        record_actual(state, "baseline_docs", published)
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


def _default_scope(state: ReleaseState, first: bool, ctx: Context) -> str:
    """What a baseline covers when the Panel does not say (`--scope`).

    A Documentation release's baselines cover documentation scope. A System release's first
    baseline covers the system scope, unless its RID already holds documentation-only
    modifications: then it covers both and meets `scope_docs` too (SPEC section 5.1). Later
    baselines cover the full scope. The Panel may still say `--scope system` to baseline the
    system scope alone, as June 2020's 1.0 did.
    """
    if not is_system(state):
        return "documentation"
    docs_only = any(not m.system and m.status is not ModStatus.REMOVED for m in state.modifications)
    if first and not (ctx.careful_panel and docs_only):
        return "system"
    return "full"


@handles(c.TimetableSet)
def timetable_set(state: ReleaseState, actor: Actor, cmd: c.TimetableSet, ctx: Context) -> Outcome:
    not_frozen(state, "change the timetable")
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
    date_in_calendar(state, cmd.on, "planned date")
    if state.timetable.get(ev.key) != cmd.on:
        mark_changed(state, ctx, f"'{ev.label}' planned for {cmd.on.isoformat()}")
    state.timetable[ev.key] = cmd.on
    return Outcome(f"Planned '{ev.label}' for {long_date(cmd.on)}.")
