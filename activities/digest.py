"""The morning digest by email: one message per recipient per morning, exactly once.

With SEC_RELEASE_NOTICE_DELIVERY=digest the outbox keeps each reminder and escalation as
`digest` (recorded once under its notice key, as every notice is) instead of mailing it.
Each morning `DigestWorkflow` runs `send_digests`, which does three things, each safe to repeat:

1. Write the digests (before any SMTP traffic). For each recipient with waiting items recorded
   by the morning's cut-off and not yet carried to them, one outbox row of kind `digest` under
   the key `digest/<morning>/<address>` holds the rendered message, and `digest_items` holds one
   row per (item, recipient) it carries: both in one transaction. The unique keys make a retry
   or a second run find what the first wrote: the same morning never gets a second digest for
   a person, and an item is never carried twice to one person. An item that arrives after its
   recipient's digest was written (a late release) waits for the next morning's: none is lost.
2. Send every digest not sent yet (this morning's, or an earlier one a crash left), through the
   outbox's own delivery: the same statuses, retries, permanent failures and Message-ID (from
   the key) as a notice, and the same one window (a worker dying between the server taking the
   message and the row being marked sent re-sends it with the same Message-ID).
3. Settle the items: an item whose every recipient's digest is sent becomes `sent`; one whose
   digests all failed for good becomes `failed`, with the reason.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.contacts import mailbox
from activities.mail import (
    MailUndeliverable,
    MailUndelivered,
    RenderedMail,
    deadline_words,
    mail_templates,
    message_id_for,
    one_line,
)
from activities.store import DigestItemRow, OutboxRow, OutboxStatus
from rules.clock import LONDON
from rules.digest import by_release, digest_key, digest_subject, lines_for
from schemas.digest import DigestLine, DigestReceipt, DigestRequest
from schemas.workflow_io import NoticeRequest

if TYPE_CHECKING:
    from activities.mail import OutboxSender

DIGEST_KIND = "digest"
_RELEASE_CHARS = 100
_ERROR_CHARS = 500
_SUBJECT_CHARS = 300


def digest_line(request: NoticeRequest) -> DigestLine:
    """The line a reminder or an escalation takes in a morning digest."""
    notice = request.notice
    what, owners = deadline_words(notice.deadline)
    return DigestLine(
        key=notice.key,
        release_id=request.release_id,
        release_name=one_line(request.release_name, 200),
        kind=notice.kind,
        at=notice.at,
        subject=one_line(notice.subject, _SUBJECT_CHARS),
        deadline=notice.deadline,
        what=what,
        owners=owners or "the Code Administrator (SECAS)",
        due=notice.due,
        level=notice.level,
    )


def render_digest(
    key: str, recipient: str, cutoff: datetime, lines: list[DigestLine]
) -> RenderedMail:
    """One recipient's digest for one morning, as plain text and HTML (pure)."""
    morning = cutoff.astimezone(LONDON)
    subject = digest_subject(morning.date(), lines)
    context = {
        "key": key,
        "recipient": recipient,
        "subject": subject,
        "lines": lines,
        "releases": by_release(lines),
        "at": morning.strftime("%H:%M"),
    }
    env = mail_templates()
    return RenderedMail(
        subject=one_line(subject, 300),
        text=env.get_template("digest.txt.j2").render(context),
        html=env.get_template("digest.html.j2").render(context),
    )


def _address(recipient: str) -> str | None:
    found = mailbox(recipient)
    return found.addr_spec.lower() if found is not None else None


async def send_digests(
    sender: OutboxSender, sessions: async_sessionmaker[AsyncSession], request: DigestRequest
) -> DigestReceipt:
    """Write, send and settle one morning's digests (module docstring); safe to repeat.

    Raises:
        MailUndelivered: a digest was not delivered yet (the others were); retry.
    """
    await _write_digests(sender, sessions, request)
    sent: list[str] = []
    waiting: list[str] = []
    for row in await _unsent_digests(sessions):
        try:
            refused = await sender.deliver(row)
        except MailUndelivered as exc:
            waiting.append(str(exc))
            continue
        except MailUndeliverable:
            continue  # marked failed with its reason; its items are settled below
        await sender.mark_sent(row.key, refused)
        sent.append(row.key)
    items = await _settle(sessions)
    if waiting:
        raise MailUndelivered(" ".join(waiting))
    return DigestReceipt(morning=request.morning, sent=sent, items=items)


async def _write_digests(
    sender: OutboxSender, sessions: async_sessionmaker[AsyncSession], request: DigestRequest
) -> None:
    async with sessions() as session:
        kept = list(
            await session.scalars(
                select(OutboxRow).where(
                    OutboxRow.status == OutboxStatus.DIGEST.value,
                    OutboxRow.at <= request.cutoff,
                )
            )
        )
        keys = [row.key for row in kept]
        carried = {
            (item, recipient)
            for item, recipient in (
                await session.execute(
                    select(DigestItemRow.item_key, DigestItemRow.recipient).where(
                        DigestItemRow.item_key.in_(keys)
                    )
                )
            ).all()
        }
        written = set(
            await session.scalars(
                select(OutboxRow.key).where(
                    OutboxRow.kind == DIGEST_KIND,
                    OutboxRow.key.like(f"digest/{request.morning.isoformat()}/%"),
                )
            )
        )
    items = [
        (
            DigestLine.model_validate(row.item),
            [a for a in (_address(r) for r in row.recipients) if a],
        )
        for row in kept
        if row.item is not None
    ]
    for recipient, lines in lines_for(items, request.cutoff, carried).items():
        key = digest_key(request.morning, recipient)
        if key in written:
            continue  # this morning's digest to them is written: these wait for tomorrow's
        rendered = await asyncio.to_thread(render_digest, key, recipient, request.cutoff, lines)
        releases = ", ".join(dict.fromkeys(line.release_id for line in lines))
        row = OutboxRow(
            key=key,
            release_id=one_line(releases, _RELEASE_CHARS),
            kind=DIGEST_KIND,
            deadline=None,
            level=None,
            subject=rendered.subject,
            roles=[],
            recipients=[recipient],
            defaulted=[],
            text_body=rendered.text,
            html_body=rendered.html,
            message_id=message_id_for(key),
            status=OutboxStatus.QUEUED.value,
            attempts=0,
            last_error=None,
            at=request.cutoff,
            created_at=sender.now(),
            sent_at=None,
            item=None,
        )
        links = [
            DigestItemRow(digest_key=key, item_key=line.key, recipient=recipient) for line in lines
        ]
        try:
            async with sessions.begin() as session:
                session.add(row)
                session.add_all(links)
        except IntegrityError:
            continue  # another attempt wrote this digest (or carried these items) first


async def _unsent_digests(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxRow]:
    async with sessions() as session:
        rows = await session.scalars(
            select(OutboxRow)
            .where(
                OutboxRow.kind == DIGEST_KIND,
                OutboxRow.status.in_(
                    [OutboxStatus.QUEUED.value, OutboxStatus.FAILED_RETRYING.value]
                ),
            )
            .order_by(OutboxRow.at, OutboxRow.id)
        )
        return list(rows)


async def _settle(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Mark each kept item whose every recipient's digest is done; how many were marked."""
    async with sessions() as session:
        kept = list(
            await session.scalars(
                select(OutboxRow).where(OutboxRow.status == OutboxStatus.DIGEST.value)
            )
        )
        links = (
            await session.execute(
                select(DigestItemRow.item_key, DigestItemRow.recipient, OutboxRow)
                .join(OutboxRow, OutboxRow.key == DigestItemRow.digest_key)
                .where(DigestItemRow.item_key.in_([row.key for row in kept]))
            )
        ).all()
    digests: dict[str, dict[str, OutboxRow]] = {}
    for item_key, recipient, digest in links:
        digests.setdefault(item_key, {})[recipient] = digest
    settled = 0
    for row in kept:
        usable = {a for a in (_address(r) for r in row.recipients) if a}
        carried = digests.get(row.key, {})
        if not usable <= set(carried):
            continue  # a recipient's digest is not written yet
        done = [d for d in carried.values() if d.status == OutboxStatus.SENT.value]
        failed = [d for d in carried.values() if d.status == OutboxStatus.FAILED.value]
        if len(done) + len(failed) < len(carried):
            continue
        note = "; ".join(f"the digest to {d.recipients[0]} failed: {d.last_error}" for d in failed)
        values: dict[str, object] = {
            "status": (OutboxStatus.SENT if done or not usable else OutboxStatus.FAILED).value,
            "sent_at": max((d.sent_at for d in done if d.sent_at), default=None),
            "last_error": one_line(note, _ERROR_CHARS) if note else None,
        }
        if not usable:
            values["status"] = OutboxStatus.FAILED.value
            values["last_error"] = "no recipient is a usable address"
        async with sessions.begin() as session:
            await session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.key == row.key,
                    OutboxRow.status == OutboxStatus.DIGEST.value,
                )
                .values(**values)
            )
        settled += 1
    return settled
