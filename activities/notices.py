"""`send_notice` and `send_notices`: deliver the messages a release asked for, exactly once per
key, one at a time or a wake's worth in order."""

from __future__ import annotations

import asyncio
from typing import Protocol

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.mail import MailUndeliverable
from schemas.digest import DigestReceipt, DigestRequest
from schemas.workflow_io import (
    NoticeReceipt,
    NoticeRequest,
    NoticesReceipt,
    NoticesRequest,
    UndeliverableNotice,
)

UNDELIVERABLE = "Undeliverable"
"""The `ApplicationError` type of a notice that can never be sent (never retried)."""


class NoticeSender(Protocol):
    """Delivers a notice; must be idempotent by `request.notice.key`.

    Raises `MailUndeliverable` for a notice that can never be sent (again on every call for
    that key); any other exception is retried.
    """

    async def send(self, request: NoticeRequest) -> NoticeReceipt: ...

    async def send_digests(self, request: DigestRequest) -> DigestReceipt:
        """Mail each recipient's morning digest of kept reminders and escalations, once."""
        ...


class NoticeActivities:
    """The `send_notice` and `send_notices` activities over a `NoticeSender` (the SQL outbox
    and SMTP in production). Releases started before batching send one notice per activity.

    It heartbeats while the sender works, so a worker that dies mid-delivery is noticed within
    the heartbeat timeout the release sets, and the delivery is retried on another worker.

    A notice that can never be sent fails `send_notice` with a non-retryable `ApplicationError`
    of type `Undeliverable` (details: the key and the error), and is named in `send_notices`'
    receipt, so the release can report it and go on with its next notice instead of waiting
    behind it.
    """

    def __init__(self, sender: NoticeSender, heartbeat_every: float = 1.0) -> None:
        self._sender = sender
        self._heartbeat_every = heartbeat_every

    @activity.defn(name="send_notice")
    async def send_notice(self, request: NoticeRequest) -> NoticeReceipt:
        beating = asyncio.create_task(self._heartbeat())
        try:
            return await self._sender.send(request)
        except MailUndeliverable as exc:
            raise ApplicationError(
                exc.sentence, exc.key, exc.error, type=UNDELIVERABLE, non_retryable=True
            ) from None
        finally:
            beating.cancel()

    @activity.defn(name="send_notices")
    async def send_notices(self, request: NoticesRequest) -> NoticesReceipt:
        """Send a wake's notices in order, each as `send_notice` sends one.

        A notice that can never be sent is reported by key in the receipt and the next one goes
        on, so the release marks it failed and tells SECAS as it does for `send_notice`. Any
        other failure fails the whole attempt, which Temporal retries: the notices this attempt
        already delivered are found delivered by key and not sent again (the sender's
        idempotence, as for a retried `send_notice`), so a worker dying mid-batch loses none
        and sends none twice.
        """
        beating = asyncio.create_task(self._heartbeat())
        receipt = NoticesReceipt()
        try:
            for notice in request.notices:
                try:
                    receipt.sent.append(await self._sender.send(request.one(notice)))
                except MailUndeliverable as exc:
                    receipt.undeliverable.append(
                        UndeliverableNotice(key=notice.key, sentence=exc.sentence)
                    )
            return receipt
        finally:
            beating.cancel()

    @activity.defn(name="send_digests")
    async def send_digests(self, request: DigestRequest) -> DigestReceipt:
        beating = asyncio.create_task(self._heartbeat())
        try:
            return await self._sender.send_digests(request)
        finally:
            beating.cancel()

    async def _heartbeat(self) -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(self._heartbeat_every)


class RecordingSender:
    """Keeps every notice instead of mailing it (rehearsals; tests), once per key."""

    def __init__(self) -> None:
        self.sent: list[NoticeRequest] = []
        self._keys: set[str] = set()

    async def send(self, request: NoticeRequest) -> NoticeReceipt:
        if request.notice.key not in self._keys:
            self._keys.add(request.notice.key)
            self.sent.append(request)
        return NoticeReceipt(key=request.notice.key, recipients=list(request.notice.to))

    async def send_digests(self, request: DigestRequest) -> DigestReceipt:
        """Nothing is kept for a digest here: every notice was recorded as sent."""
        return DigestReceipt(morning=request.morning)
