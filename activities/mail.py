"""Notices by email, exactly once per key: templates, the outbox and SMTP delivery.

`render_notice` is a pure function from a `NoticeRequest` to a plain-text and HTML message,
from the Jinja2 templates in `templates/mail/` (one per kind: reminder, escalation, notice with
its 12m/6m/1m/approval variants, decision, appeal referral). `OutboxSender` is the production
`NoticeSender`: it records each message in the outbox under its key before sending it, and
marks it sent once the mail server took it.

Exactly once, and the one window left:

1. The outbox row is written (status `queued`) before any SMTP traffic. A retry, a worker that
   died, or a continued-as-new release asking again under the same key finds the row: if it
   is `sent`, nothing is sent again and the same receipt is returned; otherwise the recorded
   message (same recipients, same bytes) is sent.
2. SMTP down or refusing: the row becomes `failed-retrying` with the error, and the activity
   raises `MailUndelivered` so Temporal retries it with backoff until the server takes it.
   Nothing is lost; the workflow keeps the notice undelivered in its status meanwhile.
3. The window: if the worker dies after the server accepted the message but before the row is
   marked `sent`, the retry sends it a second time. Both copies carry the same `Message-ID`
   (`<sha256(key)@sec-release>`), so a receiving system that de-duplicates on Message-ID (most
   mail stores and list servers do) shows it once. No protocol closes this window: SMTP has no
   way to ask "did you already take this message?".
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.contacts import (
    ContactsInvalid,
    Resolution,
    bare_address,
    load_contacts,
    resolve,
)
from activities.store import Clock, OutboxRow, OutboxStatus, utc_now
from rules.deadlines import WHAT, DeadlineKey
from rules.escalation import LONDON, PANEL_CHAIR
from rules.permissions import ROLE_NAMES, Role
from rules.release_calendar import long_date
from schemas.workflow_io import NoticeReceipt, NoticeRequest

if TYPE_CHECKING:
    from settings import Settings

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "mail"
MESSAGE_ID_DOMAIN = "sec-release"
_ERROR_CHARS = 500
# One delivery attempt gives up well inside the activity's start-to-close timeout (2 minutes),
# so a timed-out attempt is never still talking to the server while its retry sends again.
DELIVER_WITHIN_SECONDS = 90.0


# -- rendering (pure) ------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def _long_date(value: date | datetime | None) -> str:
    if value is None:
        return "an unset date"
    if isinstance(value, datetime):
        # A moment is dated where the release lives: London (a naive one is taken as London).
        value = value.astimezone(LONDON).date() if value.tzinfo else value.date()
    return long_date(value)


@lru_cache(maxsize=1)
def mail_templates() -> Environment:
    """The template environment: autoescaping for `.html.j2`, none for `.txt.j2`."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["long_date"] = _long_date
    return env


def _role_words(role: str) -> str:
    if role == PANEL_CHAIR:
        return "the Panel chair"
    try:
        return ROLE_NAMES[Role(role)]
    except ValueError:
        return role


def _deadline_words(key: str | None) -> tuple[str, str]:
    """What a deadline asks and of whom, in words (`approval_notice:MOD` -> its base key)."""
    if not key:
        return "", ""
    try:
        who, what = WHAT[DeadlineKey(key.split(":", 1)[0])]
    except ValueError:
        return key, ""
    return what, " and ".join(_role_words(r.value) for r in who)


_MOD_IN_KEY = re.compile(r"approval_notice:([^/]+)")


def render_notice(request: NoticeRequest, *, defaulted: Sequence[str] = ()) -> RenderedMail:
    """The plain-text and HTML message for one notice (`defaulted`: roles with no contact)."""
    notice = request.notice
    what, owners = _deadline_words(notice.deadline)
    mod = _MOD_IN_KEY.search(notice.key)
    context = {
        "release_id": request.release_id,
        "release_name": request.release_name,
        "go_live": request.go_live,
        "key": notice.key,
        "kind": notice.kind,
        "subject": notice.subject,
        "at": notice.at,
        "deadline": notice.deadline,
        "due": notice.due,
        "level": notice.level or 1,
        "variant": notice.notice,
        "mod": mod.group(1) if mod else None,
        "detail": notice.detail,
        "what": what,
        "owner_words": owners or "the Code Administrator (SECAS)",
        "defaulted": list(defaulted),
    }
    env = mail_templates()
    text = env.select_template([f"{notice.kind}.txt.j2", "generic.txt.j2"]).render(context)
    html = env.select_template([f"{notice.kind}.html.j2", "generic.html.j2"]).render(context)
    return RenderedMail(subject=notice.subject, text=text, html=html)


def message_id_for(key: str) -> str:
    """A stable Message-ID for a notice key: every copy of one notice carries the same one."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    return f"<{digest}@{MESSAGE_ID_DOMAIN}>"


def build_message(row: OutboxRow, mail_from: str) -> EmailMessage:
    """The email for an outbox row; the same row always gives the same message."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = ", ".join(row.recipients)
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.at.astimezone(LONDON))
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    message["X-SEC-Release-Key"] = row.key
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    # A fixed boundary too, so that every copy of a notice is the same bytes.
    digest = hashlib.sha256(row.key.encode("utf-8")).hexdigest()[:32]
    message.set_boundary(f"==sec-release-{digest}==")
    return message


# -- delivery ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpTarget:
    """Where mail goes. With no SMTP_HOST: the local sink that `sec-release up` runs."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTarget:
        if settings.smtp_host is None:
            return cls(host="127.0.0.1", port=settings.sink_port, timeout=10.0)
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


class MailUndelivered(Exception):
    """The notice is recorded but not delivered yet; the activity retries it (not a refusal)."""


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:_ERROR_CHARS]


class OutboxSender:
    """`NoticeSender` over the SQL outbox and SMTP: at most one delivery per key but for the
    crash window described in this module's docstring (same Message-ID on both copies).

    Args:
        sessions: sessions on a store prepared by `activities.store.prepare_store`.
        smtp: the mail server (see `SmtpTarget.from_settings`).
        mail_from: the From address (its domain also names default addresses).
        contacts_file: the contacts directory, read at each new notice (so `contacts set`
            applies to the next notice without restarting the worker).
        deliver_within: seconds one delivery attempt may take in all before it gives up.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        smtp: SmtpTarget,
        mail_from: str,
        contacts_file: Path,
        clock: Clock = utc_now,
        deliver_within: float = DELIVER_WITHIN_SECONDS,
    ) -> None:
        self._sessions = sessions
        self._deliver_within = deliver_within
        self._smtp = smtp
        self._mail_from = mail_from
        self._contacts_file = contacts_file
        self._clock = clock

    async def send(self, request: NoticeRequest) -> NoticeReceipt:
        """Record the notice (once), deliver it unless already delivered, mark it sent."""
        row = await self.enqueue(request)
        if row.status != OutboxStatus.SENT:
            refused = await self.deliver(row)
            row = await self.mark_sent(row.key, refused)
        return NoticeReceipt(key=row.key, recipients=list(row.recipients), delivered_at=row.sent_at)

    # The three steps are public so that tests can stop a "worker" between any two of them.

    async def enqueue(self, request: NoticeRequest) -> OutboxRow:
        """The outbox row for this notice's key, written now if it was not there yet."""
        key = request.notice.key
        row = await self._find(key)
        if row is not None and row.recipients:
            return row  # recorded before: keep its recipients and text, whatever changed since
        try:
            contacts = await asyncio.to_thread(load_contacts, self._contacts_file)
        except ContactsInvalid as exc:
            # Keep the notice visible as undelivered, and retry: fixing the file delivers it.
            await self._store(request, Resolution([], []), None, error=exc.sentence)
            raise MailUndelivered(exc.sentence) from None
        resolution = resolve(contacts, request.notice.to or ["SECAS"], self._mail_from)
        rendered = await asyncio.to_thread(render_notice, request, defaulted=resolution.defaulted)
        return await self._store(request, resolution, rendered)

    async def deliver(self, row: OutboxRow) -> dict[str, str]:
        """Hand the recorded message to the mail server; returns recipients it refused.

        Raises:
            MailUndelivered: the server is down or refused the message (the row says why).
        """
        await self._update(row.key, attempts=OutboxRow.attempts + 1)
        message = build_message(row, self._mail_from)
        smtp = self._smtp
        try:
            async with asyncio.timeout(self._deliver_within):
                errors, _response = await aiosmtplib.send(
                    message,
                    sender=bare_address(self._mail_from),
                    recipients=[bare_address(a) for a in row.recipients],
                    hostname=smtp.host,
                    port=smtp.port,
                    username=smtp.username,
                    password=smtp.password,
                    start_tls=smtp.starttls,
                    timeout=smtp.timeout,
                )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            error = _error_text(exc)
            await self._update(row.key, status=OutboxStatus.FAILED_RETRYING.value, last_error=error)
            raise MailUndelivered(
                f"The mail server {smtp} did not take notice {row.key} ({error}); it stays "
                "queued and is retried."
            ) from exc
        return {address: f"{r.code} {r.message}" for address, r in errors.items()}

    async def mark_sent(self, key: str, refused: dict[str, str] | None = None) -> OutboxRow:
        """The server took the message: record it as sent (with any refused recipients)."""
        note = None
        if refused:
            note = "refused by the server: " + "; ".join(f"{a} ({m})" for a, m in refused.items())
        await self._update(
            key,
            status=OutboxStatus.SENT.value,
            sent_at=self._clock(),
            last_error=note[:_ERROR_CHARS] if note else None,
        )
        row = await self._find(key)
        assert row is not None
        return row

    # -- the outbox table ----------------------------------------------------------------------

    async def _find(self, key: str) -> OutboxRow | None:
        async with self._sessions() as session:
            row: OutboxRow | None = await session.scalar(
                select(OutboxRow).where(OutboxRow.key == key)
            )
            return row

    async def _update(self, key: str, **values: object) -> None:
        async with self._sessions.begin() as session:
            await session.execute(update(OutboxRow).where(OutboxRow.key == key).values(**values))

    async def _store(
        self,
        request: NoticeRequest,
        resolution: Resolution,
        rendered: RenderedMail | None,
        *,
        error: str | None = None,
    ) -> OutboxRow:
        """Insert the row for this key, or fill in a row recorded while contacts were broken.

        Two attempts racing on one key: the unique key lets one insert win; the other reads it.
        """
        notice = request.notice
        fields: dict[str, object] = {
            "roles": list(notice.to),
            "recipients": resolution.addresses,
            "defaulted": resolution.defaulted,
            "subject": rendered.subject if rendered else notice.subject,
            "text_body": rendered.text if rendered else "",
            "html_body": rendered.html if rendered else "",
            "status": (OutboxStatus.FAILED_RETRYING if error else OutboxStatus.QUEUED).value,
            "last_error": error,
        }
        existing = await self._find(notice.key)
        if existing is not None:
            if not existing.recipients:  # recorded while the contacts file was broken
                await self._update(notice.key, **(fields if rendered else {"last_error": error}))
            found = await self._find(notice.key)
            assert found is not None
            return found
        row = OutboxRow(
            key=notice.key,
            release_id=request.release_id,
            kind=notice.kind,
            deadline=notice.deadline,
            level=notice.level,
            message_id=message_id_for(notice.key),
            attempts=0,
            at=notice.at,
            created_at=self._clock(),
            sent_at=None,
            **fields,
        )
        try:
            async with self._sessions.begin() as session:
                session.add(row)
        except IntegrityError:
            found = await self._find(notice.key)
            if found is None:
                raise
            return found
        return row


async def list_outbox(sessions: async_sessionmaker[AsyncSession]) -> list[OutboxRow]:
    """Every message in the outbox, oldest first (by business time, then by recording)."""
    async with sessions() as session:
        result = await session.scalars(select(OutboxRow).order_by(OutboxRow.at, OutboxRow.id))
        return list(result)
