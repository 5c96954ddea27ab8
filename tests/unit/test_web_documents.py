"""The RID comparison of the web app: lines paired side by side, only the changes and their
context kept; the version before another is the latest earlier one recorded with its content."""

from __future__ import annotations

from datetime import date

from frontdoor.web.documents import DiffLine, previous_version, side_by_side
from schemas.state import RidEntry, RidSnapshot


def test_changes_are_paired_and_unchanged_lines_left_out() -> None:
    old = "\n".join(["a", "b", "c", "d", "e", "f", "g", "h"])
    new = "\n".join(["a", "B", "c", "d", "e", "f", "g", "h", "i"])
    rows = side_by_side(old, new, context=1)
    assert rows == [
        DiffLine("same", 1, "a", 1, "a"),
        DiffLine("changed", 2, "b", 2, "B"),
        DiffLine("same", 3, "c", 3, "c"),
        DiffLine("gap", None, "", None, ""),
        DiffLine("same", 8, "h", 8, "h"),
        DiffLine("added", None, "", 9, "i"),
    ]
    assert side_by_side("x\ny", "x") == [
        DiffLine("same", 1, "x", 1, "x"),
        DiffLine("removed", 2, "y", None, ""),
    ]
    assert side_by_side("same", "same") == []


def test_the_previous_version_has_content_and_another_number() -> None:
    snap = RidSnapshot(go_live=date(2027, 6, 24))
    history = [
        RidEntry(version="0.1", on=date(2026, 1, 5), kind="draft", snapshot=snap),
        RidEntry(version="0.2", on=date(2026, 2, 5), kind="draft"),  # no content recorded
        RidEntry(version="1.0", on=date(2026, 3, 5), kind="baseline", snapshot=snap),
    ]
    assert previous_version(history, "1.0") == history[0]
    assert previous_version(history, None) == history[2]
    assert previous_version(history, "0.1") is None
    assert previous_version(history, "9.9") is None
