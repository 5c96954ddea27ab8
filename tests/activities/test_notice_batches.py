"""`send_notices`: the notices one wake of a release queued, in one activity, each exactly once.

Real parts, as in test_outbox: the outbox on SQLite and PostgreSQL, aiosmtplib to aiosmtpd. A
worker "dies" mid-batch by failing after some notices went out; the retry, on a new worker,
sends the rest and none twice.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.mail import OutboxSender, list_outbox
from activities.notices import NoticeActivities
from schemas.state import ReleaseState
from schemas.workflow_io import NoticeReceipt, NoticeRequest, NoticesRequest
from tests.activities.conftest import MailServer, new_worker

Sessions = async_sessionmaker[AsyncSession]

# Four notices of the June 2020 story, as one wake could queue them (the order is the request's).
SUFFIXES = [
    "/scope_system/c1/L1",
    "/notice_12m/c1/L1",
    "/notice/notice_12m/c1",
    "/scope_system/c1/L2",
]


def batch(state: ReleaseState) -> NoticesRequest:
    notices = [next(n for n in state.notices if n.key.endswith(s)) for s in SUFFIXES]
    return NoticesRequest(
        release_id=state.id, release_name=state.name, go_live=state.go_live, notices=notices
    )


class DyingSender:
    """A worker that dies (raises) when asked for its `after`-th notice, having sent those before."""

    def __init__(self, sender: OutboxSender, after: int) -> None:
        self._sender = sender
        self._left = after

    async def send(self, request: NoticeRequest) -> NoticeReceipt:
        if self._left == 0:
            raise ConnectionError("the worker died")
        self._left -= 1
        return await self._sender.send(request)


async def test_a_batch_goes_out_in_order_once_however_often_it_is_retried(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, june_2020: ReleaseState
) -> None:
    request = batch(june_2020)
    send_notices = NoticeActivities(new_worker(sessions, mail_server, contacts_file)).send_notices

    receipts = [await ActivityEnvironment().run(send_notices, request) for _ in range(3)]

    keys = [n.key for n in request.notices]
    assert mail_server.keys == keys  # in the request's order, once each
    assert all([r.key for r in receipt.sent] == keys for receipt in receipts)
    assert all(receipt.undeliverable == [] for receipt in receipts)
    assert receipts[0] == receipts[1] == receipts[2]


async def test_a_worker_dying_mid_batch_loses_nothing_and_sends_nothing_twice(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, june_2020: ReleaseState
) -> None:
    request = batch(june_2020)
    dying = DyingSender(new_worker(sessions, mail_server, contacts_file), after=2)
    try:
        await ActivityEnvironment().run(NoticeActivities(dying).send_notices, request)  # type: ignore[arg-type]
    except ConnectionError:
        pass
    else:
        raise AssertionError("the dying worker finished its batch")
    keys = [n.key for n in request.notices]
    assert mail_server.keys == keys[:2]

    # Temporal retries the activity on another worker, with the same batch.
    retry = NoticeActivities(new_worker(sessions, mail_server, contacts_file)).send_notices
    receipt = await ActivityEnvironment().run(retry, request)

    assert mail_server.keys == keys  # the first two once, then the other two, in order
    assert [r.key for r in receipt.sent] == keys
    assert {r.status for r in await list_outbox(sessions)} == {"sent"}


async def test_an_undeliverable_notice_in_a_batch_is_reported_by_key_and_the_rest_go(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, june_2020: ReleaseState
) -> None:
    request = batch(june_2020)
    refused = request.notices[1]  # notice_12m level 1
    mail_server.refuse_subjects["notice_12m lapsed"] = "554 5.6.0 message refused"
    send_notices = NoticeActivities(new_worker(sessions, mail_server, contacts_file)).send_notices

    first = await ActivityEnvironment().run(send_notices, request)
    again = await ActivityEnvironment().run(send_notices, request)  # a retry or a replay

    others = [n.key for n in request.notices if n.key != refused.key]
    assert mail_server.keys == others
    assert [r.key for r in first.sent] == others
    [failed] = first.undeliverable
    assert failed.key == refused.key
    assert "can never be sent" in failed.sentence and "554" in failed.sentence
    assert again == first
    rows = {r.key: r.status for r in await list_outbox(sessions)}
    assert rows[refused.key] == "failed"


async def test_in_digest_mode_a_batchs_reminders_and_escalations_are_kept_not_mailed(
    sessions: Sessions, mail_server: MailServer, contacts_file: Path, june_2020: ReleaseState
) -> None:
    request = batch(june_2020)
    sender = new_worker(sessions, mail_server, contacts_file, digest=True)

    receipt = await ActivityEnvironment().run(NoticeActivities(sender).send_notices, request)

    notice_12m = request.notices[2].key  # a notice, not a reminder or escalation: mailed at once
    assert mail_server.keys == [notice_12m]
    kept = [r.key for r in receipt.sent if r.delivered_at is None]
    assert kept == [n.key for n in request.notices if n.key != notice_12m]
    rows = {r.key: r.status for r in await list_outbox(sessions)}
    assert {rows[k] for k in kept} == {"digest"}
