"""The year's calendar beside the portfolio: go-lives and cut-offs of the scheduled releases
that fall in the year (next years' cut-offs included), and the freezes overlapping it."""

from __future__ import annotations

from datetime import date

from frontdoor.web.views import year_calendar
from rules.release_calendar import scheduled_go_live


def test_go_lives_cut_offs_and_freezes_by_month() -> None:
    freezes = [
        (date(2027, 12, 20), date(2028, 1, 5), "winter"),
        (date(2025, 1, 1), date(2025, 1, 2), "long ago"),
    ]
    june = scheduled_go_live(2027, 6)
    months = year_calendar(2027, freezes, {june.strftime("%Y-%m")})
    assert [m.label for m in months][:2] == ["January", "February"]
    in_june = [e for e in months[5].entries if e.kind == "go-live"]
    assert [e.day for e in in_june] == [june]
    assert in_june[0].release == june.strftime("%Y-%m")
    kinds = {e.kind for m in months for e in m.entries}
    assert kinds == {"go-live", "cut-off", "freeze"}
    # The June 2028 release's system cut-off (12 months before) falls in June 2027.
    assert any("June 2028" in e.text and "system" in e.text for e in months[5].entries)
    assert [e.text for e in months[11].entries if e.kind == "freeze"] == ["winter"]
    assert all(e.text != "long ago" for m in months for e in m.entries)
