"""The release calendar (SPEC section 2)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules.errors import Refused
from rules.release_calendar import (
    check_freeze,
    check_go_live,
    inside_freeze,
    long_date,
    no_such_release,
    plan_release,
    release_id,
    release_name,
    same_day_ids,
    scheduled_releases,
)
from rules.workdays import WorkingDayCalendar
from schemas.state import Freeze
from schemas.vocabulary import ReleaseType

TODAY = date(2019, 5, 9)


def test_the_2020_calendar_has_the_three_scheduled_releases(cal: WorkingDayCalendar) -> None:
    releases = scheduled_releases(2020, cal)
    assert [(r.id, r.name, r.type, r.go_live) for r in releases] == [
        ("2020-02", "February 2020 SEC Release", ReleaseType.DOCUMENTATION, date(2020, 2, 27)),
        ("2020-06", "June 2020 SEC Release", ReleaseType.SYSTEM, date(2020, 6, 25)),
        ("2020-11", "November 2020 SEC Release", ReleaseType.SYSTEM, date(2020, 11, 5)),
    ]
    june = releases[1]
    assert june.scope_system_cutoff == date(2019, 6, 25)
    assert june.scope_docs_cutoff == date(2019, 12, 24)
    assert releases[0].scope_system_cutoff is None


def test_november_2019_was_scheduled_for_the_first_thursday(cal: WorkingDayCalendar) -> None:
    assert scheduled_releases(2019, cal)[2].go_live == date(2019, 11, 7)


@given(st.integers(min_value=2016, max_value=2034))
def test_scheduled_releases_go_live_on_thursdays(year: int) -> None:
    from rules.workdays import england_and_wales

    for release in scheduled_releases(year, england_and_wales(2015, 2035)):
        assert release.go_live.weekday() == 3
        assert release.go_live.year == year


def test_names_and_ids_derive_from_the_go_live_date() -> None:
    assert release_name(date(2020, 6, 25)) == "June 2020 SEC Release"
    assert release_id(date(2020, 6, 25)) == "2020-06"
    assert release_id(date(2020, 3, 12), ad_hoc=True) == "2020-03-12"
    assert long_date(date(2020, 6, 25)) == "25 June 2020"


def test_a_scheduled_id_takes_the_calendar_date(cal: WorkingDayCalendar) -> None:
    plan = plan_release(
        "2020-06", go_live=None, release_type=None, ad_hoc=False, today=TODAY, freezes=[], cal=cal
    )
    assert (plan.name, plan.type, plan.go_live) == (
        "June 2020 SEC Release",
        ReleaseType.SYSTEM,
        date(2020, 6, 25),
    )


def test_an_ad_hoc_release_carries_its_day(cal: WorkingDayCalendar) -> None:
    plan = plan_release(
        "2020-03-12",
        go_live=None,
        release_type=ReleaseType.DOCUMENTATION,
        ad_hoc=True,
        today=TODAY,
        freezes=[],
        cal=cal,
    )
    assert (plan.id, plan.ad_hoc, plan.name) == ("2020-03-12", True, "March 2020 SEC Release")


def test_a_second_ad_hoc_release_on_the_same_day_takes_a_letter(cal: WorkingDayCalendar) -> None:
    plan = plan_release(
        "2020-03-12",
        go_live=None,
        release_type=ReleaseType.SYSTEM,
        ad_hoc=True,
        today=TODAY,
        freezes=[],
        cal=cal,
    )
    ids = [p.id for p in same_day_ids(plan)]
    assert ids[:3] == ["2020-03-12", "2020-03-12-b", "2020-03-12-c"]
    assert ids[-1] == "2020-03-12-z"
    assert {(p.go_live, p.type, p.ad_hoc) for p in same_day_ids(plan)} == {
        (date(2020, 3, 12), ReleaseType.SYSTEM, True)
    }
    lettered = plan_release(
        "2020-03-12-b",
        go_live=date(2020, 3, 12),
        release_type=ReleaseType.SYSTEM,
        ad_hoc=True,
        today=TODAY,
        freezes=[],
        cal=cal,
    )
    assert (lettered.id, lettered.go_live) == ("2020-03-12-b", date(2020, 3, 12))
    assert same_day_ids(lettered) == [lettered]  # the id asked for, letter and all
    scheduled = plan_release(
        "2020-06", go_live=None, release_type=None, ad_hoc=False, today=TODAY, freezes=[], cal=cal
    )
    assert same_day_ids(scheduled) == [scheduled]  # a scheduled id is never lettered


@pytest.mark.parametrize(
    ("rid", "go_live", "kind", "ad_hoc", "sentence"),
    [
        ("2020-07", None, None, False, "not a scheduled release .* e.g. 2020-07-16"),
        ("2020-6", None, None, False, "not a release id; use YYYY-MM"),
        ("2020-13", None, None, False, "month 13, which does not exist"),
        ("2020-06", date(2020, 7, 2), None, False, "goes live in June 2020, not on 2020-07-02"),
        ("2020-02", None, ReleaseType.SYSTEM, False, "February release is a Documentation release"),
        ("2020-06", None, None, True, "ad hoc release id carries its go-live day"),
        ("2020-03-12", None, None, True, "needs its type"),
        ("2020-02-30", None, ReleaseType.SYSTEM, True, "not a real date"),
        ("2020-03-12", date(2020, 3, 13), ReleaseType.SYSTEM, True, "goes live on 2020-03-12"),
        ("2020-03-12-b", date(2020, 3, 13), ReleaseType.SYSTEM, True, "goes live on 2020-03-12"),
        ("2020-03-12-a", None, ReleaseType.SYSTEM, True, "not a release id"),
        ("2020-06-b", None, None, False, "not a release id"),
        ("2019-02", None, None, False, "in the past"),
        ("2020-04-10", None, ReleaseType.SYSTEM, True, "not a Working Day .* 2020-04-14"),
    ],
)
def test_bad_create_requests_are_refused_with_a_sentence(
    cal: WorkingDayCalendar,
    rid: str,
    go_live: date | None,
    kind: ReleaseType | None,
    ad_hoc: bool,
    sentence: str,
) -> None:
    with pytest.raises(Refused, match=sentence):
        plan_release(
            rid, go_live=go_live, release_type=kind, ad_hoc=ad_hoc, today=TODAY, freezes=[], cal=cal
        )


def test_a_go_live_inside_a_freeze_names_the_freeze_and_its_dates(cal: WorkingDayCalendar) -> None:
    freeze = Freeze(start=date(2020, 6, 1), end=date(2020, 7, 31), reason="SMETS1 migration")
    with pytest.raises(Refused) as refused:
        check_go_live(date(2020, 6, 25), [freeze], cal, TODAY)
    assert str(refused.value) == (
        "The go-live date 2020-06-25 falls inside the change freeze from 1 June 2020 to "
        "31 July 2020 (SMETS1 migration); choose a date before 2020-06-01 or from 2020-08-03."
    )
    check_go_live(date(2020, 8, 3), [freeze], cal, TODAY)


def test_a_freeze_needs_ordered_dates_and_a_reason() -> None:
    with pytest.raises(Refused, match="must end on or after it starts"):
        check_freeze(date(2020, 6, 2), date(2020, 6, 1), "x")
    with pytest.raises(Refused, match="needs a reason"):
        check_freeze(date(2020, 6, 1), date(2020, 6, 2), "  ")
    assert check_freeze(date(2020, 6, 1), date(2020, 6, 2), " x ").reason == "x"


def test_freeze_add_names_the_releases_whose_go_live_falls_inside() -> None:
    freeze = Freeze(start=date(2027, 6, 1), end=date(2027, 6, 30), reason="migration")
    assert inside_freeze(freeze, [("2027-11", date(2027, 11, 4))]) is None
    assert (
        inside_freeze(freeze, [("2027-11", date(2027, 11, 4)), ("2027-06", date(2027, 6, 24))])
        == "2027-06 (go-live 24 June 2027) falls inside it"
    )
    both = [
        ("2027-06-30", date(2027, 6, 30)),
        ("2027-06", date(2027, 6, 24)),
        ("x", date(2027, 6, 1)),
    ]
    assert inside_freeze(freeze, both) == (
        "2027-06 (go-live 24 June 2027), 2027-06-30 (go-live 30 June 2027) and x (go-live "
        "1 June 2027) fall inside it"
    )


def test_an_unknown_release_suggests_creating_it_only_when_its_id_would_be_taken() -> None:
    assert no_such_release("2099-02") == (
        "There is no release '2099-02'; `sec-release list` shows the releases, and "
        "`sec-release release create 2099-02 ...` creates one."
    )
    assert no_such_release("2099-01-15").endswith(
        "`sec-release release create 2099-01-15 ...` creates one."
    )
    sentence = no_such_release("2099-01")
    assert "release create" not in sentence
    assert sentence == (
        "There is no release '2099-01'; `sec-release list` shows the releases. No release can be "
        "created under that id: 2099-01 is not a scheduled release (they go live in February, "
        "June and November); for an ad hoc release use its go-live day as the id, e.g. "
        "2099-01-16, with --ad-hoc."
    )
    assert "is not a release id" in no_such_release("june")
