import pytest

from rules.workdays import WorkingDayCalendar, england_and_wales


@pytest.fixture(scope="session")
def cal() -> WorkingDayCalendar:
    """England and Wales, 2015 to 2035: wide enough for every case below."""
    return england_and_wales(2015, 2035)
