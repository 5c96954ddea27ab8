"""`send_notice`: deliver one message a release asked for, exactly once per key."""

from __future__ import annotations

import asyncio
from typing import Protocol

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.mail import MailUndeliverable
from schemas.digest import DigestReceipt, DigestRequest
from schemas.workflow_io import NoticeReceipt, NoticeRequest

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
    """The `send_notice` activity over a `NoticeSender` (the SQL outbox and SMTP in production).

    It heartbeats while the sender works, so a worker that dies mid-delivery is noticed within
    the heartbeat timeout the release sets, and the delivery is retried on another worker.

    A notice that can never be sent fails the activity with a non-retryable `ApplicationError`
    of type `Undeliverable` (details: the key and the error), so the release can report it and
    go on with its next notice instead of waiting behind it.
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
