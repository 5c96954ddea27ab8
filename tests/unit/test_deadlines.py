"""The deadlines of a release (SPEC section 4) and the RID timetable beside them."""

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from rules.deadlines import (
    appeal_window_closes,
    approval_notice_due,
    deadlines_for,
    spend_update_dues,
)
from rules.timetable import EVENTS, timeline
from rules.workdays import WorkingDayCalendar, england_and_wales
from schemas.vocabulary import ReleaseType, Role
from tests.seed_data import rid_timetable

JUNE_2020 = date(2020, 6, 25)
CAL = england_and_wales(2015, 2035)


def as_dict(go_live: date, kind: ReleaseType, **uit: date) -> dict[str, date]:
    return {d.key: d.due for d in deadlines_for(go_live, kind, calendar=CAL, **uit)}


def test_june_2020_deadlines_match_the_policy() -> None:
    assert as_dict(JUNE_2020, ReleaseType.SYSTEM) == {
        "scope_system": date(2019, 6, 25),
        "notice_12m": date(2019, 6, 25),
        "tad_to_tag": date(2019, 9, 25),
        "scope_docs": date(2019, 12, 24),
        "notice_6m": date(2019, 12, 24),
        "tad_final": date(2019, 12, 24),
        "evidence": date(2020, 5, 14),
        "notice_1m": date(2020, 5, 22),
        "actual_costs": date(2020, 8, 25),
    }


def test_deadlines_are_soonest_first_and_name_who_acts() -> None:
    specs = deadlines_for(JUNE_2020, ReleaseType.SYSTEM, calendar=CAL)
    assert [d.due for d in specs] == sorted(d.due for d in specs)
    who = {d.key: d.who for d in specs}
    assert who["tad_final"] == (Role.DCC, Role.PANEL)
    assert who["scope_system"] == (Role.PANEL,)
    assert who["notice_1m"] == (Role.SECAS,)


def test_a_documentation_release_has_no_system_deadlines() -> None:
    assert as_dict(date(2020, 2, 27), ReleaseType.DOCUMENTATION) == {
        "notice_12m": date(2019, 2, 27),
        "scope_docs": date(2019, 8, 27),
        "notice_6m": date(2019, 8, 27),
        "notice_1m": date(2020, 1, 27),
    }


def test_regression_deadlines_appear_once_the_uit_window_is_known() -> None:
    dues = as_dict(
        JUNE_2020, ReleaseType.SYSTEM, uit_start=date(2020, 3, 2), uit_end=date(2020, 5, 15)
    )
    assert dues["regression_plans"] == date(2020, 2, 17)  # 10 WD before Monday 2 March
    assert dues["regression_results"] == date(2020, 5, 7)  # 5 WD before 15 May, VE Day skipped
    assert "regression_plans" not in as_dict(JUNE_2020, ReleaseType.SYSTEM)


def test_per_item_deadlines() -> None:
    assert approval_notice_due(date(2020, 2, 21), CAL) == date(2020, 2, 24)
    assert appeal_window_closes(date(2019, 12, 20), CAL) == date(2020, 1, 8)
    assert appeal_window_closes(date(2020, 2, 25), CAL) == date(2020, 3, 10)
    assert spend_update_dues(date(2019, 10, 11), 3, JUNE_2020, CAL) == [
        date(2020, 1, 13),  # 11 January 2020 is a Saturday
        date(2020, 4, 14),  # 11 April is Easter Saturday, 13th Easter Monday
    ]  # 11 July is after go-live: no more updates
    assert spend_update_dues(date(2019, 10, 11), 0, JUNE_2020, CAL) == []


@given(
    st.dates(min_value=date(2018, 1, 1), max_value=date(2032, 12, 31)),
    st.sampled_from(list(ReleaseType)),
)
def test_no_computed_deadline_falls_on_a_non_working_day(go_live: date, kind: ReleaseType) -> None:
    specs = deadlines_for(go_live, kind, uit_start=go_live, uit_end=go_live, calendar=CAL)
    assert specs
    for spec in specs:
        assert CAL.is_working_day(spec.due), spec


def test_every_date_of_the_june_2020_rid_timetable_is_reproduced(cal: WorkingDayCalendar) -> None:
    seed = rid_timetable()
    assert len(seed) == 9  # the dated rows of the seed's timetable
    labels = {e.label: e.key for e in EVENTS}
    planned: dict[str, date] = {}
    for row in seed:
        key = next(key for label, key in labels.items() if row.text.startswith(label))
        planned[key] = row.on
    minimums = {d.key: d.due for d in deadlines_for(JUNE_2020, ReleaseType.SYSTEM, calendar=cal)}
    minimums["go_live"] = JUNE_2020
    rows = {r.key: r for r in timeline(system=True, planned=planned, minimums=minimums, actual={})}
    for row in seed:
        assert any(r.planned == row.on and row.text.startswith(r.label) for r in rows.values()), row
    # The RID planned its system baseline for 11 October 2019, long after the 12-month minimum,
    # and its evidence after the six-week minimum: the timeline shows both as planned late.
    assert rows["baseline_system"].minimum == date(2019, 6, 25)
    assert rows["baseline_system"].planned_after_minimum
    assert rows["operational_evidence"].minimum == date(2020, 5, 14)
    assert rows["operational_evidence"].planned == date(2020, 5, 26)
    assert rows["operational_evidence"].planned_after_minimum
    assert rows["go_live"].planned == rows["go_live"].minimum == JUNE_2020
