"""Appeals (SPEC section 5.4): lodged during a RID approval's window, referred to the Authority
at its close, determined upheld or overturned.

The release decides every outcome from its own record; the window's workflow is only its clock.
"""

from __future__ import annotations

from rules import limits
from rules.audit import audit
from rules.clock import lapse_moment
from rules.context import Context
from rules.deadlines import DeadlineKey
from rules.errors import Refused
from rules.notices import queue_decision, queue_notice
from rules.outcome import ForwardAppeal, ForwardDetermination, Outcome
from rules.registry import handles
from rules.rid import RidVersion
from rules.scope_and_rid import mark_changed, new_rid_version
from rules.tracking import deadline, refresh_deadlines, reopen
from schemas import commands as c
from schemas.base import Actor
from schemas.state import Appeal, AppealStatus, AppealWindow, DeadlineStatus, ReleaseState, RidEntry
from schemas.text import excerpt
from schemas.workflow_io import AppealOutcome


@handles(c.AppealLodge)
def appeal_lodge(state: ReleaseState, actor: Actor, cmd: c.AppealLodge, ctx: Context) -> Outcome:
    reasons = limits.text(
        cmd.reasons, "appeal's reasons", limits.TEXT, flag="--reasons", plural=True
    )
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


@handles(c.AppealDetermine)
def appeal_determine(
    state: ReleaseState, actor: Actor, cmd: c.AppealDetermine, ctx: Context
) -> Outcome:
    referred = [
        w
        for w in state.appeals
        if w.status is AppealStatus.REFERRED and cmd.version in (None, w.version)
    ]
    if not referred:
        determined = [
            w
            for w in state.appeals
            if w.status in (AppealStatus.UPHELD, AppealStatus.OVERTURNED)
            and cmd.version in (None, w.version)
        ]
        if determined:
            last = determined[-1]
            on = f" on {last.determined_on.isoformat()}" if last.determined_on else ""
            raise Refused(
                f"The Authority already determined the appeal against RID {last.version}{on} "
                f"(the approval was {last.status.value}); the determination is final."
            )
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
        queue_notice(
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
        queue_decision(
            state,
            ctx,
            f"appeal-{version}",
            f"the Authority upheld the Panel's approval of RID {version}",
        )
        return f"RID {version}: the Authority upheld the approval."
    entry = next(e for e in state.rid_history if e.version == version and e.kind == "baseline")
    entry.revoked = True
    draft = RidVersion.parse(state.rid_version).next_draft()
    new_rid_version(
        state, draft, ctx.today, "draft", f"Baseline {version} revoked by the Authority on appeal."
    )
    mark_changed(state, ctx, f"baseline {version} revoked on appeal (draft {draft})")
    for key in (DeadlineKey.SCOPE_SYSTEM.value, DeadlineKey.SCOPE_DOCS.value):
        found = deadline(state, key)
        if (
            found is not None
            and found.status is DeadlineStatus.MET
            and found.met_on == entry.on
            and not _met_by_other(state, entry, key)
        ):
            reopen(state, key, ctx.now)
    queue_decision(
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


def closing_status(appeals: list[Appeal]) -> AppealStatus:
    """How a window closes: unchallenged with no appeal, otherwise referred to the Authority."""
    return AppealStatus.REFERRED if appeals else AppealStatus.UNCHALLENGED


def determined_status(upheld: bool) -> AppealStatus:
    """The Authority's determination: the approval stands (upheld) or is revoked (overturned)."""
    return AppealStatus.UPHELD if upheld else AppealStatus.OVERTURNED


def close_due_windows(state: ReleaseState, ctx: Context) -> list[str]:
    """Close every appeal window whose 10 Working Days have ended, from the release's own record.

    No appeals recorded -> unchallenged; otherwise referred to the Authority. The release
    records every appeal itself (a PARTY's `appeal lodge`), so no message from the window's
    workflow is needed or believed. Returns what changed.
    """
    changed: list[str] = []
    for window in state.appeals:
        if window.status is not AppealStatus.OPEN or ctx.now < lapse_moment(window.closes_on):
            continue
        status = closing_status(window.appeals)
        summary = apply_appeal_outcome(state, window.version, status, "", ctx)
        if summary:
            audit(
                state, ctx.now, f"appeal window {window.version}", f"appeal {status.value}", summary
            )
            changed.append(summary)
    if changed:
        refresh_deadlines(state, ctx.now)
    return changed


def determine_appeal(
    state: ReleaseState, version: str, upheld: bool, notes: str, ctx: Context
) -> str | None:
    """Apply the Authority's determination (already validated by `appeal determine`)."""
    summary = apply_appeal_outcome(state, version, determined_status(upheld), notes, ctx)
    if summary:
        refresh_deadlines(state, ctx.now)
    return summary


def disbelieved_report(state: ReleaseState, outcome: AppealOutcome | None) -> str | None:
    """Why a window's report is ignored (it could not be read, or it claims an outcome the
    release's own record does not hold), or None when it is only a hint to look again."""
    window = next((w for w in state.appeals if outcome and w.version == outcome.version), None)
    claimed = outcome.status if outcome and not outcome.hint_only else None
    if outcome is not None and (
        claimed is None or (window is not None and window.status is claimed)
    ):
        return None
    return "Ignored: " + (
        f"the report says RID {excerpt(outcome.version, 20)} is {claimed.value if claimed else '?'}, "
        f"but the release's own record says "
        f"{window.status.value if window else 'there is no such window'}."
        if outcome
        else "the report could not be read."
    )


# Releases started before the release decided its appeal windows itself (workflow patch
# `appeal-windows-decided-by-the-release`) took each window's report as the outcome; they
# replay through these two.


def apply_reported_outcome(state: ReleaseState, outcome: AppealOutcome, ctx: Context) -> bool:
    """Apply what a window reported; an appeal this release recorded that reached the window
    late makes an "unchallenged" report a referral. True when the state changed."""
    status = outcome.status
    window = next((w for w in state.appeals if w.version == outcome.version), None)
    if status is AppealStatus.UNCHALLENGED and window is not None and window.appeals:
        status = AppealStatus.REFERRED
    summary = apply_appeal_outcome(state, outcome.version, status, outcome.notes, ctx)
    if not summary:
        return False
    refresh_deadlines(state, ctx.now)
    audit(state, ctx.now, f"appeal window {outcome.version}", f"appeal {status.value}", summary)
    return True


def determine_without_window(
    state: ReleaseState, version: str, upheld: bool, notes: str, ctx: Context
) -> None:
    """The determination applied by the release when the window's workflow is gone."""
    apply_appeal_outcome(state, version, determined_status(upheld), notes, ctx)
    refresh_deadlines(state, ctx.now)
