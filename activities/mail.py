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
2. SMTP down or refusing for now (a 4xx reply, no connection, a timeout, a configuration the
   server will not take): the row becomes `failed-retrying` with the error, and the activity
   raises `MailUndelivered` so Temporal retries it with backoff until the server takes it.
   Nothing is lost; the workflow keeps the notice undelivered in its status meanwhile.
2a. A message that can never be sent as recorded (it cannot be rendered or built, no recipient
   is a usable address, or the server refuses it permanently: a 5xx to every recipient or to
   its content) is marked `failed` with its error, and the activity raises `MailUndeliverable`,
   which `send_notice` turns into a non-retryable `Undeliverable` error; the release reports it
   and goes on with its next notice. Asked again for that key, it raises the same at once.
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
from email import policy
from email.headerregistry import Address
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
    load_contacts,
    mailbox,
    resolve,
)
from activities.store import Clock, OutboxRow, OutboxStatus, utc_now
from rules.clock import LONDON
from rules.deadlines import WHAT, DeadlineKey
from rules.digest import waits_for_digest
from rules.escalation import PANEL_CHAIR
from rules.release_calendar import long_date
from schemas.digest import DigestReceipt, DigestRequest
from schemas.vocabulary import ROLE_NAMES, Role
from schemas.workflow_io import NoticeReceipt, NoticeRequest

if TYPE_CHECKING:
    from settings import Settings

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "mail"
MESSAGE_ID_DOMAIN = "sec-release"
_ERROR_CHARS = 500
_SUBJECT_CHARS = 300
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
    env.filters["one_line"] = one_line
    return env


def _role_words(role: str) -> str:
    if role == PANEL_CHAIR:
        return "the Panel chair"
    try:
        return ROLE_NAMES[Role(role)]
    except ValueError:
        return role


def deadline_words(key: str | None) -> tuple[str, str]:
    """What a deadline asks and of whom, in words (`approval_notice:MOD` -> its base key)."""
    if not key:
        return "", ""
    try:
        who, what = WHAT[DeadlineKey(key.split(":", 1)[0])]
    except ValueError:
        return key, ""
    return what, " and ".join(_role_words(r.value) for r in who)


_MOD_IN_KEY = re.compile(r"approval_notice:([^/]+)")
# What may not stay in a header line: line breaks and every other control character, the
# Unicode line separators, and bidirectional overrides.
_NOT_IN_A_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def one_line(text: str, limit: int | None = None) -> str:
    """`text` as one line: each control character becomes a space, runs of spaces one space.

    What every header is built from, so no text a release holds (a title or a reason recorded
    before the models refused line breaks) can start a header line of its own or make the email
    API refuse to build the message. `limit` cuts a long text with an ellipsis.
    """
    flat = " ".join(_NOT_IN_A_LINE.sub(" ", text).split())
    if limit is not None and len(flat) > limit:
        return flat[: limit - 1].rstrip() + "\u2026"
    return flat


def render_notice(
    request: NoticeRequest, *, defaulted: Sequence[str] = (), skipped: Sequence[str] = ()
) -> RenderedMail:
    """The plain-text and HTML message for one notice.

    Args:
        request: the notice and its release.
        defaulted: roles with no contact, sent to their default address.
        skipped: roles with an entry in the contacts file that is not a usable address.
    """
    notice = request.notice
    what, owners = deadline_words(notice.deadline)
    mod = _MOD_IN_KEY.search(notice.key)
    context = {
        "release_id": request.release_id,
        "release_name": request.release_name,
        "go_live": request.go_live,
        "key": notice.key,
        "kind": notice.kind,
        "subject": one_line(notice.subject),
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
        "skipped": list(skipped),
        "scope": notice.scope,
    }
    env = mail_templates()
    text = env.select_template([f"{notice.kind}.txt.j2", "generic.txt.j2"]).render(context)
    html = env.select_template([f"{notice.kind}.html.j2", "generic.html.j2"]).render(context)
    return RenderedMail(subject=one_line(notice.subject, _SUBJECT_CHARS), text=text, html=html)


def _digest_item(request: NoticeRequest) -> dict[str, object]:
    from activities.digest import digest_line

    return digest_line(request).model_dump(mode="json")


def message_id_for(key: str) -> str:
    """A stable Message-ID for a notice key: every copy of one notice carries the same one."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    return f"<{digest}@{MESSAGE_ID_DOMAIN}>"


_MESSAGE_ID = re.compile(rf"^<[0-9a-f]{{40}}@{MESSAGE_ID_DOMAIN}>$")
# Headers folded at 78 characters, lines ended by CRLF on the wire: SMTP's own policy.
MAIL_POLICY = policy.SMTP


@dataclass(frozen=True)
class BuiltMail:
    """A message ready for the server: the email, its envelope, and stored recipients that are
    not usable addresses (recorded by an older sec-release) and are left out."""

    message: EmailMessage
    sender: str
    recipients: list[str]
    left_out: list[str]


class MailFromInvalid(ValueError):
    """MAIL_FROM is not one address: a configuration to fix, not a fault of one message."""


def build_message(row: OutboxRow, mail_from: str) -> BuiltMail:
    """The email for an outbox row; the same row always gives the same message.

    Every header goes through the email API from checked parts: the subject and the key as one
    line, each recipient as a parsed `Address` (a stored one that does not parse is left out,
    never written), the Message-ID from the key's digest.

    Raises:
        MailFromInvalid: the configured sender is not a single address.
    """
    sender = mailbox(mail_from)
    if sender is None:
        raise MailFromInvalid(
            f"MAIL_FROM {one_line(mail_from, 80)!r} is not one email address; set it to one, "
            "like 'SEC Release <sec-release@example.org>'."
        )
    to: list[Address] = []
    left_out: list[str] = []
    for recipient in row.recipients:
        address = mailbox(recipient)
        if address is None:
            left_out.append(recipient)
        elif all(a.addr_spec != address.addr_spec for a in to):
            to.append(address)
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = sender
    if to:
        message["To"] = to
    message["Subject"] = one_line(row.subject, _SUBJECT_CHARS)
    message["Date"] = format_datetime(row.at.astimezone(LONDON))
    message_id = row.message_id if _MESSAGE_ID.match(row.message_id) else message_id_for(row.key)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message["X-SEC-Release-Key"] = one_line(row.key)
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    # A fixed boundary too, so that every copy of a notice is the same bytes.
    digest = hashlib.sha256(row.key.encode("utf-8")).hexdigest()[:32]
    message.set_boundary(f"==sec-release-{digest}==")
    return BuiltMail(message, sender.addr_spec, [a.addr_spec for a in to], left_out)


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


class MailUndeliverable(Exception):
    """The notice can never be sent as recorded; its outbox row is marked `failed`.

    `send_notice` raises it as a non-retryable `ApplicationError` of type `Undeliverable`.
    """

    def __init__(self, key: str, error: str) -> None:
        self.key = key
        self.error = error
        self.sentence = (
            f"Notice {key} can never be sent ({error}); it is marked failed in the outbox and "
            "will not be tried again."
        )
        super().__init__(self.sentence)


def _permanent(exc: aiosmtplib.SMTPException) -> bool:
    """Whether a server's refusal is about this message and final (a 5xx reply).

    Only refusals of the message itself count: every recipient refused with a 5xx, or its
    content refused with a 5xx. A 5xx to the sender, the login or the greeting is about the
    configuration and applies to every message, so it stays failed-retrying: fixing the
    configuration then delivers the notice instead of losing it. 4xx replies are temporary.
    """
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(r.code >= 500 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return exc.code >= 500
    return False


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = "; ".join(f"{r.recipient} ({r.code} {r.message})" for r in exc.recipients)
        return f"every recipient refused: {refused}"[:_ERROR_CHARS]
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
        digest: keep reminders and escalations for the morning digest (status `digest`)
            instead of mailing them; `send_digests` mails them (`activities.digest`).
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
        digest: bool = False,
    ) -> None:
        self._sessions = sessions
        self._digest = digest
        self._deliver_within = deliver_within
        self._smtp = smtp
        self._mail_from = mail_from
        self._contacts_file = contacts_file
        self._clock = clock

    async def send(self, request: NoticeRequest) -> NoticeReceipt:
        """Record the notice (once), deliver it unless already delivered, mark it sent.

        Raises:
            MailUndelivered: not delivered yet (retry).
            MailUndeliverable: can never be sent; the row is `failed` (do not retry).
        """
        row = await self.enqueue(request)
        if row.status == OutboxStatus.FAILED:
            raise MailUndeliverable(row.key, row.last_error or "no error was recorded")
        if row.status == OutboxStatus.DIGEST:  # kept: its recipients' morning digest mails it
            return NoticeReceipt(key=row.key, recipients=list(row.recipients))
        if row.status != OutboxStatus.SENT:
            refused = await self.deliver(row)
            row = await self.mark_sent(row.key, refused)
        return NoticeReceipt(key=row.key, recipients=list(row.recipients), delivered_at=row.sent_at)

    async def send_digests(self, request: DigestRequest) -> DigestReceipt:
        """Mail each recipient's digest for one morning, once (see `activities.digest`)."""
        from activities.digest import send_digests

        return await send_digests(self, self._sessions, request)

    def now(self) -> datetime:
        return self._clock()

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
        try:
            rendered = await asyncio.to_thread(
                render_notice,
                request,
                defaulted=resolution.defaulted,
                skipped=resolution.skipped,
            )
        except Exception as exc:  # whatever it is, this notice cannot be written
            # The same text renders the same way on every retry: record it as failed, so the
            # release can report it and go on, rather than retrying it for ever.
            error = f"the message could not be written: {_error_text(exc)}"
            return await self._store(request, resolution, None, error=error, final=True)
        return await self._store(request, resolution, rendered)

    async def deliver(self, row: OutboxRow) -> dict[str, str]:
        """Hand the recorded message to the mail server; returns recipients not sent to.

        Raises:
            MailUndelivered: the server is down or refused the message for now (the row says
                why); the notice is retried.
            MailUndeliverable: the message can never be sent; the row is marked `failed`.
        """
        await self._update(row.key, attempts=OutboxRow.attempts + 1)
        smtp = self._smtp
        try:
            built = build_message(row, self._mail_from)
        except MailFromInvalid as exc:
            await self._retry_later(row.key, str(exc))
            raise MailUndelivered(f"{exc} Notice {row.key} stays queued and is retried.") from exc
        except Exception as exc:  # a message that cannot be built never will be
            raise await self._fail(
                row.key, f"the message could not be built: {_error_text(exc)}"
            ) from exc
        left_out = dict.fromkeys(built.left_out, "not a usable address; left out")
        if not built.recipients:
            raise await self._fail(
                row.key,
                "no recipient is a usable address: "
                + ", ".join(repr(a) for a in built.left_out)[:_ERROR_CHARS],
            )
        try:
            async with asyncio.timeout(self._deliver_within):
                errors, _response = await aiosmtplib.send(
                    built.message,
                    sender=built.sender,
                    recipients=built.recipients,
                    hostname=smtp.host,
                    port=smtp.port,
                    username=smtp.username,
                    password=smtp.password,
                    start_tls=smtp.starttls,
                    timeout=smtp.timeout,
                )
        except aiosmtplib.SMTPException as exc:
            error = _error_text(exc)
            if _permanent(exc):
                raise await self._fail(
                    row.key, f"the mail server {smtp} refused it permanently: {error}"
                ) from exc
            await self._retry_later(row.key, error)
            raise MailUndelivered(
                f"The mail server {smtp} did not take notice {row.key} ({error}); it stays "
                "queued and is retried."
            ) from exc
        except (OSError, TimeoutError) as exc:
            error = _error_text(exc)
            await self._retry_later(row.key, error)
            raise MailUndelivered(
                f"The mail server {smtp} did not take notice {row.key} ({error}); it stays "
                "queued and is retried."
            ) from exc
        refused = {address: f"{r.code} {r.message}" for address, r in errors.items()}
        return {**left_out, **refused}

    async def _retry_later(self, key: str, error: str) -> None:
        await self._update(
            key, status=OutboxStatus.FAILED_RETRYING.value, last_error=error[:_ERROR_CHARS]
        )

    async def _fail(self, key: str, error: str) -> MailUndeliverable:
        """Mark the row `failed` for good; the exception to raise for it."""
        error = one_line(error, _ERROR_CHARS)
        await self._update(key, status=OutboxStatus.FAILED.value, last_error=error)
        return MailUndeliverable(key, error)

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
        final: bool = False,
    ) -> OutboxRow:
        """Insert the row for this key, or fill in a row recorded while contacts were broken.

        With an `error`, the row is `failed-retrying`, or `failed` if `final`.

        Two attempts racing on one key: the unique key lets one insert win; the other reads it.
        """
        notice = request.notice
        waits = waits_for_digest(notice.kind)
        status = OutboxStatus.DIGEST if self._digest and waits else OutboxStatus.QUEUED
        if error:
            status = OutboxStatus.FAILED if final else OutboxStatus.FAILED_RETRYING
        fields: dict[str, object] = {
            "roles": list(notice.to),
            "recipients": resolution.addresses,
            "defaulted": resolution.defaulted,
            "subject": rendered.subject if rendered else one_line(notice.subject, _SUBJECT_CHARS),
            "text_body": rendered.text if rendered else "",
            "html_body": rendered.html if rendered else "",
            "status": status.value,
            "last_error": error[:_ERROR_CHARS] if error else None,
            "item": _digest_item(request) if waits else None,
        }
        existing = await self._find(notice.key)
        if existing is not None:
            if not existing.recipients:  # recorded while the contacts file was broken
                filled = rendered or final
                await self._update(
                    notice.key, **(fields if filled else {"last_error": fields["last_error"]})
                )
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
