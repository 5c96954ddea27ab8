"""The generated bank-holiday table is what the `holidays` library says, year by year, and years
outside it are still answered by the library (scripts/generate_bank_holidays.py writes it)."""

from __future__ import annotations

from datetime import date

from holidays.countries.united_kingdom import UnitedKingdom

from rules.bank_holidays_table import DAYS, FIRST_YEAR, LAST_YEAR
from rules.workdays import _bank_holidays, bank_holidays, library_bank_holidays


def test_the_table_equals_the_library_for_every_year_it_covers() -> None:
    assert sorted(DAYS) == list(range(FIRST_YEAR, LAST_YEAR + 1))
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        library = sorted(UnitedKingdom(subdiv="ENG", years=year))  # type: ignore[no-untyped-call]
        assert bank_holidays(year, year) == library, year


def test_the_whole_span_read_from_the_table_equals_the_library() -> None:
    assert bank_holidays(FIRST_YEAR, LAST_YEAR) == list(
        library_bank_holidays(FIRST_YEAR, LAST_YEAR)
    )


def test_years_outside_the_table_come_from_the_library() -> None:
    _bank_holidays.cache_clear()
    before = bank_holidays(FIRST_YEAR - 5, FIRST_YEAR + 1)
    after = bank_holidays(LAST_YEAR - 1, LAST_YEAR + 5)
    assert before == list(library_bank_holidays(FIRST_YEAR - 5, FIRST_YEAR + 1))
    assert after == list(library_bank_holidays(LAST_YEAR - 1, LAST_YEAR + 5))
    assert {d.year for d in before} == set(range(FIRST_YEAR - 5, FIRST_YEAR + 2))
    assert date(FIRST_YEAR - 5, 12, 25) in before
    # The table ends where the library does: after its last year the library lists no holiday.
    assert UnitedKingdom.end_year == LAST_YEAR
    assert {d.year for d in after} == {LAST_YEAR - 1, LAST_YEAR}


def test_known_bank_holidays_are_in_the_table() -> None:
    """Two special ones the library knows: the Queen's funeral and the coronation."""
    assert date(2022, 9, 19) in bank_holidays(2022, 2022)
    assert date(2023, 5, 8) in bank_holidays(2023, 2023)
