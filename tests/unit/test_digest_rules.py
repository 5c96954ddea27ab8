"""The morning digest's pure rules: what waits, when it goes, who gets which lines, its words;
and its two settings, with a sentence for a bad value."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from pydantic import ValidationError

from rules.clock import london
from rules.digest import (
    by_release,
    digest_key,
    digest_subject,
    lines_for,
    next_digest_at,
    waits_for_digest,
)
from schemas.digest import DigestLine
from settings import NoticeDelivery, Settings

SEVEN = time(7, 0)


def line(
    release_id: str, kind: str, *, at: datetime, due: date, level: int | None = None
) -> DigestLine:
    suffix = f"L{level}" if level else "R"
    return DigestLine(
        key=f"{release_id}/scope_system/c1/{suffix}",
        release_id=release_id,
        release_name=f"SEC Release {release_id}",
        kind=kind,
        at=at,
        subject="s",
        deadline="scope_system",
        due=due,
        level=level,
    )


def test_reminders_and_escalations_wait_and_letters_go_at_once() -> None:
    assert waits_for_digest("reminder") and waits_for_digest("escalation")
    assert not any(waits_for_digest(k) for k in ("notice", "decision", "appeal", "digest"))


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (london(date(2026, 12, 1), 6), datetime(2026, 12, 1, 7, tzinfo=UTC)),  # GMT
        (datetime(2026, 12, 1, 7, tzinfo=UTC), datetime(2026, 12, 2, 7, tzinfo=UTC)),  # at 07:00
        (london(date(2019, 7, 1), 10), datetime(2019, 7, 2, 6, tzinfo=UTC)),  # BST: 07:00 London
        # The night the clocks go forward (Sunday 29 March 2026): still 07:00 on the wall.
        (london(date(2026, 3, 28), 23), datetime(2026, 3, 29, 6, tzinfo=UTC)),
    ],
)
def test_the_digest_goes_at_the_next_seven_o_clock_in_london(
    now: datetime, expected: datetime
) -> None:
    assert next_digest_at(now, SEVEN) == expected


def test_a_recipient_gets_each_waiting_item_by_the_cut_off_once_in_release_order() -> None:
    cutoff = london(date(2019, 7, 2), 7)
    early = cutoff - timedelta(hours=20)
    a = line("2020-06", "escalation", at=early, due=date(2019, 6, 25), level=1)
    b = line("2020-02", "escalation", at=early, due=date(2019, 6, 25), level=1)
    c = line("2020-06", "reminder", at=early, due=date(2019, 7, 9))
    late = line("2020-11", "reminder", at=cutoff + timedelta(minutes=1), due=date(2019, 7, 9))
    items = [
        (a, ["Secas@Secas.example", "chair@secas.example"]),
        (b, ["secas@secas.example", "secas@secas.example"]),
        (c, ["secas@secas.example"]),
        (late, ["secas@secas.example"]),
    ]

    found = lines_for(items, cutoff, carried={(a.key, "chair@secas.example")})

    assert list(found) == ["secas@secas.example"]  # the chair had `a` already
    assert [x.key for x in found["secas@secas.example"]] == [b.key, a.key, c.key]
    assert [
        (rid, [x.kind for x in xs]) for rid, _, xs in by_release(found["secas@secas.example"])
    ] == [
        ("2020-02", ["escalation"]),
        ("2020-06", ["escalation", "reminder"]),
    ]


def test_a_digest_is_keyed_by_morning_and_address_and_says_what_it_holds() -> None:
    at = london(date(2019, 7, 1), 10)
    lines = [
        line("2020-06", "escalation", at=at, due=date(2019, 6, 25), level=1),
        line("2020-02", "escalation", at=at, due=date(2019, 6, 25), level=2),
        line("2020-06", "reminder", at=at, due=date(2019, 7, 9)),
    ]
    assert digest_key(date(2019, 7, 2), " SECAS@secas.example") == (
        "digest/2019-07-02/secas@secas.example"
    )
    assert digest_subject(date(2019, 7, 2), lines) == (
        "Digest for 2 July 2019: 2 escalations and 1 reminder, 2 releases"
    )
    assert digest_subject(date(2019, 7, 2), lines[2:]) == (
        "Digest for 2 July 2019: 1 reminder, 1 release"
    )


@pytest.fixture
def no_digest_settings(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("SEC_RELEASE_NOTICE_DELIVERY", raising=False)
    monkeypatch.delenv("SEC_RELEASE_DIGEST_TIME", raising=False)
    return monkeypatch


def test_by_default_notices_go_at_once_and_a_digest_would_go_at_seven(
    no_digest_settings: pytest.MonkeyPatch,
) -> None:
    settings = Settings()
    assert (settings.notice_delivery, settings.digest_time) == (NoticeDelivery.IMMEDIATE, SEVEN)


def test_the_digest_and_its_time_are_read_from_the_environment(
    no_digest_settings: pytest.MonkeyPatch,
) -> None:
    no_digest_settings.setenv("SEC_RELEASE_NOTICE_DELIVERY", "Digest")
    no_digest_settings.setenv("SEC_RELEASE_DIGEST_TIME", "6:30")
    settings = Settings()
    assert (settings.notice_delivery, settings.digest_time) == (NoticeDelivery.DIGEST, time(6, 30))


@pytest.mark.parametrize(
    ("name", "value", "sentence"),
    [
        ("SEC_RELEASE_NOTICE_DELIVERY", "weekly", "it must be 'immediate'"),
        (
            "SEC_RELEASE_DIGEST_TIME",
            "25:00",
            "it must be a London time of day as HH:MM, like 07:00",
        ),
        ("SEC_RELEASE_DIGEST_TIME", "7am", "it must be a London time of day as HH:MM, like 07:00"),
    ],
)
def test_a_bad_value_is_refused_with_what_would_be_right(
    no_digest_settings: pytest.MonkeyPatch, name: str, value: str, sentence: str
) -> None:
    no_digest_settings.setenv(name, value)
    with pytest.raises(ValidationError, match=f"{name} is '{value}'; {sentence}"):
        Settings()
