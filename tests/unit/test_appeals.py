"""Appeal windows (SPEC section 5.4), as pure rules: the release decides every outcome from its
own record; a window's report is at most a hint."""

from __future__ import annotations

from datetime import date

from rules import appeals
from rules.context import Context
from schemas import commands as c
from schemas.state import AppealStatus, ReleaseState
from schemas.workflow_io import AppealOutcome
from tests.unit.release_factory import AUTHORITY, PANEL, PARTY, SECAS, act, at, new

D = date


def _baselined() -> tuple[ReleaseState, Context]:
    state = new()
    act(
        state, at(D(2019, 5, 9)), SECAS, c.ModAdd(mod="SECMP0062", title="Alert Storm", system=True)
    )
    act(state, at(D(2019, 10, 11)), PANEL, c.RidBaseline())
    return state, Context(at(D(2019, 10, 11)))


def test_an_appeal_window_closes_from_the_release_own_record_unchallenged() -> None:
    state, _ = _baselined()
    [window] = state.appeals
    assert window.closes_on == D(2019, 10, 25)
    assert appeals.close_due_windows(state, Context(at(D(2019, 10, 25), 23))) == []
    changed = appeals.close_due_windows(state, Context(at(D(2019, 10, 26), 0)))
    assert changed == ["RID 1.0: the appeal window closed unchallenged."]
    assert window.status is AppealStatus.UNCHALLENGED
    # Closing is idempotent: a second look changes nothing.
    assert appeals.close_due_windows(state, Context(at(D(2019, 10, 28)))) == []


def test_a_window_with_an_appeal_is_referred_and_the_determination_is_applied_by_the_release() -> (
    None
):
    state, _ = _baselined()
    act(state, at(D(2019, 10, 14)), PARTY, c.AppealLodge(reasons="Costs unclear"))
    appeals.close_due_windows(state, Context(at(D(2019, 10, 26), 0)))
    [window] = state.appeals
    assert window.status is AppealStatus.REFERRED
    assert any(n.key == "2020-06/appeal/1.0/referred" for n in state.notices)
    summary = act(state, at(D(2019, 11, 4)), AUTHORITY, c.AppealDetermine(upheld=False))
    assert summary == "Determination on RID 1.0: the approval is overturned."
    assert appeals.determine_appeal(state, "1.0", False, "", Context(at(D(2019, 11, 4)))) == (
        "RID 1.0 overturned on appeal: the RID returns to draft 1.1."
    )
    assert state.appeals[0].status is AppealStatus.OVERTURNED
    assert state.rid_version == "1.1"
    # The determination is final: another changes nothing.
    assert appeals.determine_appeal(state, "1.0", True, "", Context(at(D(2019, 11, 5)))) is None


def test_a_report_that_claims_what_the_record_does_not_hold_is_ignored_with_the_reason() -> None:
    state, _ = _baselined()
    hint = AppealOutcome(version="1.0", status=AppealStatus.OPEN, hint_only=True)
    assert appeals.disbelieved_report(state, hint) is None
    claim = AppealOutcome(version="1.0", status=AppealStatus.OVERTURNED)
    assert appeals.disbelieved_report(state, claim) == (
        "Ignored: the report says RID 1.0 is overturned, but the release's own record says open."
    )
    stranger = AppealOutcome(version="9.0", status=AppealStatus.UPHELD)
    assert appeals.disbelieved_report(state, stranger) == (
        "Ignored: the report says RID 9.0 is upheld, but the release's own record says "
        "there is no such window."
    )
    assert appeals.disbelieved_report(state, None) == "Ignored: the report could not be read."


def test_an_unchallenged_report_for_a_window_holding_an_appeal_is_a_referral() -> None:
    # Releases started before the release decided its windows took the window's report.
    state, _ = _baselined()
    act(state, at(D(2019, 10, 14)), PARTY, c.AppealLodge(reasons="Costs unclear"))
    ctx = Context(at(D(2019, 10, 26), 0))
    report = AppealOutcome(version="1.0", status=AppealStatus.UNCHALLENGED)
    assert appeals.apply_reported_outcome(state, report, ctx)
    assert state.appeals[0].status is AppealStatus.REFERRED
    assert state.audit[-1].command == "appeal referred"
    assert not appeals.apply_reported_outcome(state, report, ctx)  # nothing changes twice


def test_a_window_closes_unchallenged_without_appeals_and_referred_with_one() -> None:
    assert appeals.closing_status([]) is AppealStatus.UNCHALLENGED
    state, _ = _baselined()
    act(state, at(D(2019, 10, 14)), PARTY, c.AppealLodge(reasons="Costs unclear"))
    assert appeals.closing_status(state.appeals[0].appeals) is AppealStatus.REFERRED
    assert appeals.determined_status(True) is AppealStatus.UPHELD
    assert appeals.determined_status(False) is AppealStatus.OVERTURNED
