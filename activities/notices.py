"""`send_notice`: deliver one message a release asked for, exactly once per key."""

from __future__ import annotations

from typing import Protocol

from temporalio import activity

from schemas.workflow_io import NoticeReceipt, NoticeRequest


class NoticeSender(Protocol):
    """Delivers a notice; must be idempotent by `request.notice.key`."""

    async def send(self, request: NoticeRequest) -> NoticeReceipt: ...


class NoticeActivities:
    """The `send_notice` activity over a `NoticeSender` (the SQL outbox and SMTP in production)."""

    def __init__(self, sender: NoticeSender) -> None:
        self._sender = sender

    @activity.defn(name="send_notice")
    async def send_notice(self, request: NoticeRequest) -> NoticeReceipt:
        return await self._sender.send(request)


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
