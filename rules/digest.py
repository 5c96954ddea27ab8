"""The morning digest (a deployment's choice, SEC_RELEASE_NOTICE_DELIVERY=digest): which
notices wait for it, when it goes, and what each recipient's one message lists.

Reminders and escalations wait; every other message (the 12/6/1-month notices, approval notices,
decisions and waivers, appeal letters) is a letter and goes at once. A digest goes each day at
the deployment's time of day, London time on the business clock, and lists every waiting item
recorded up to then for that recipient, across releases.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from rules.clock import LONDON
from rules.release_calendar import long_date
from schemas.digest import DigestLine

DIGEST_KINDS = frozenset({"reminder", "escalation"})
"""The kinds of notice that wait for the digest; the rest are letters and go at once."""


def waits_for_digest(kind: str) -> bool:
    return kind in DIGEST_KINDS


def next_digest_at(now: datetime, at: time) -> datetime:
    """The first moment strictly after `now` that is `at` o'clock in London (an aware time).

    A day the clocks change keeps its wall-clock hour (07:00 is 07:00 GMT or BST).
    """
    local = now.astimezone(LONDON)
    day = local.date()
    while True:
        moment = datetime.combine(day, at, tzinfo=LONDON)
        if moment > now:
            return moment
        day += timedelta(days=1)


def digest_key(morning: date, recipient: str) -> str:
    """The outbox key of one recipient's digest for one morning: one message, ever."""
    return f"digest/{morning.isoformat()}/{recipient.strip().lower()}"


def lines_for(
    items: Iterable[tuple[DigestLine, Iterable[str]]],
    cutoff: datetime,
    carried: set[tuple[str, str]],
) -> dict[str, list[DigestLine]]:
    """Each recipient's lines for a digest: items recorded by `cutoff` not yet carried to them.

    Args:
        items: each waiting item with the addresses it goes to.
        cutoff: the morning's moment; later items wait for the next morning.
        carried: (item key, recipient) pairs already in a digest.

    Returns:
        recipient -> lines by release, then due date, then level and key; recipients sorted.
    """
    found: dict[str, list[DigestLine]] = {}
    for line, recipients in items:
        if line.at > cutoff:
            continue
        for recipient in dict.fromkeys(r.strip().lower() for r in recipients if r.strip()):
            if (line.key, recipient) not in carried:
                found.setdefault(recipient, []).append(line)
    return {recipient: sorted(lines, key=_order) for recipient, lines in sorted(found.items())}


def _order(line: DigestLine) -> tuple[str, date, int, str]:
    return (line.release_id, line.due or date.max, line.level or 0, line.key)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def digest_subject(morning: date, lines: list[DigestLine]) -> str:
    """`Digest for 2 July 2019: 2 escalations and 1 reminder, 2 releases`."""
    escalations = sum(1 for line in lines if line.kind == "escalation")
    reminders = len(lines) - escalations
    parts = [
        _count(n, one, many)
        for n, one, many in (
            (escalations, "escalation", "escalations"),
            (reminders, "reminder", "reminders"),
        )
        if n
    ]
    releases = len({line.release_id for line in lines})
    return (
        f"Digest for {long_date(morning)}: {' and '.join(parts) or 'nothing'}, "
        f"{_count(releases, 'release', 'releases')}"
    )


def by_release(lines: list[DigestLine]) -> list[tuple[str, str, list[DigestLine]]]:
    """The lines grouped by release, in order: (release id, release name, its lines)."""
    groups: dict[str, tuple[str, str, list[DigestLine]]] = {}
    for line in lines:
        groups.setdefault(line.release_id, (line.release_id, line.release_name, []))[2].append(line)
    return list(groups.values())
