"""The 12-month and 6-month notices set out the scope: they list every modification in scope
(id, title, system-impacting or documentation-only, approved or targeted) and the cut-off dates
of the scope deadlines (issue 11, minor). The June 2020 release as the rules tell it."""

from __future__ import annotations

import pytest

from activities.mail import render_notice
from rules.notices import notice_scope
from schemas.state import DeadlineStatus, ModStatus, ReleaseState
from tests.activities.conftest import notice_request

JUNE_2020_SCOPE = """Modifications in scope:
- SECMP0053: Amend Target Response Times for Service Requests Critical to Installation and Commissioning Processes (system-impacting, approved)
- SECMP0062: Northbound Application Traffic Management – Alert Storm Protection (system-impacting, targeted)
- MP079: Provisions for withdrawing modifications (documentation-only, targeted)
- MP084: Other User Panel Seating Amendment (documentation-only, targeted)
- MP088: Power to raise modifications (documentation-only, targeted)

Cut-off dates:
- System-impacting modifications: 25 June 2019
- Documentation-only modifications: 24 December 2019
"""


@pytest.mark.parametrize("variant", ["12m", "6m"])
def test_the_notice_of_scope_lists_the_modifications_and_the_cut_off_dates(
    june_2020: ReleaseState, variant: str
) -> None:
    request = notice_request(june_2020, f"/notice/notice_{variant}/c1")

    mail = render_notice(request)

    # SECMP0062 is approved later on: each notice lists it as it stood when it was queued.
    assert JUNE_2020_SCOPE in mail.text
    assert "<td>MP084</td><td>Other User Panel Seating Amendment</td>" in mail.html
    assert "<td>documentation-only</td><td>targeted</td>" in mail.html
    assert "Documentation-only modifications: <strong>24 December 2019</strong>" in mail.html


def test_the_one_month_notice_carries_no_scope(june_2020: ReleaseState) -> None:
    one_month = notice_request(june_2020, "/notice/notice_1m/c1")
    assert one_month.notice.scope is None
    assert "Modifications in scope" not in render_notice(one_month).text


def test_a_removed_modification_and_a_cut_off_that_does_not_apply_are_left_out(
    june_2020: ReleaseState,
) -> None:
    state = june_2020.model_copy(deep=True)
    state.modifications[2].status = ModStatus.REMOVED
    next(
        d for d in state.deadlines if d.key == "scope_system"
    ).status = DeadlineStatus.NOT_APPLICABLE

    scope = notice_scope(state)

    assert [m.id for m in scope.modifications] == ["SECMP0053", "SECMP0062", "MP084", "MP088"]
    assert [(c.key, c.due.isoformat() if c.due else None) for c in scope.cut_offs] == [
        ("scope_docs", "2019-12-24")
    ]


def test_a_notice_of_scope_queued_before_scopes_were_recorded_still_renders(
    june_2020: ReleaseState,
) -> None:
    request = notice_request(june_2020, "/notice/notice_12m/c1")
    old = request.model_copy(update={"notice": request.notice.model_copy(update={"scope": None})})

    text = render_notice(old).text

    assert "This is the 12-month notice for the June 2020 SEC Release" in text
    assert "Modifications in scope" not in text


def test_a_title_with_a_line_break_is_listed_on_one_line(june_2020: ReleaseState) -> None:
    request = notice_request(june_2020, "/notice/notice_6m/c1").model_copy(deep=True)
    assert request.notice.scope is not None
    request.notice.scope.modifications[0].title = "Two\r\nlines"

    assert "- SECMP0053: Two lines (system-impacting, approved)" in render_notice(request).text
