"""The directory of principals, and the primitives that prove who is calling (ACCESS.md).

`Directory` is an adapter over the SQL store (`frontdoor.tables`): it adds and disables users and
service accounts, issues and checks API tokens, checks passwords, opens and checks web sessions,
and counts failed sign-ins for the rate limit. The HTTP layer calls it; so do the offline
`sec-release users` and `tokens` commands.

What is stored is never enough to act as anyone: an API token and a session cookie are kept as
their SHA-256 (they are 256 random bits, so a fast hash is enough), a password as its Argon2id
hash. Every bad input is refused with one sentence (`Refused`).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import ValidationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activities.store import Clock, utc_now
from frontdoor.tables import ApiTokenRow, LoginFailureRow, PrincipalRow, WebSessionRow
from schemas.errors import Refused
from schemas.principal import AccessRole, Principal

Kind = Literal["user", "service"]

TOKEN_PREFIX = "sr_"
# A login: lowercase letters, digits and . - _ @, starting with a letter or digit (an IdText).
LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,39}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # hashing a megabyte is a denial of service, not a password
MAX_TOKEN_DAYS = 3650
# A token's last-used time is written when it is this much older than the use (or unset): a
# working token costs one read per request, and a write (SQLite's one writer lock, shared with
# the worker's register) at most once a minute per token. Revocation is still read every time.
LAST_USED_RESOLUTION = timedelta(seconds=60)

# The rate limit on password sign-in: at most this many failures in the window, per key kind.
FAILURE_WINDOW = timedelta(minutes=15)
FAILURE_LIMITS = {"login": 5, "addr": 20}


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def role_named(text: str | AccessRole) -> AccessRole:
    """The role a name stands for (any case), or a sentence listing the roles."""
    if isinstance(text, AccessRole):
        return text
    try:
        return AccessRole(text.strip().upper())
    except ValueError:
        roles = ", ".join(r.value for r in AccessRole)
        raise Refused(f"{text!r} is not a role; the roles are {roles}.") from None


def check_login(login: str) -> str:
    """A login as the directory keeps it, or a sentence saying what a login may hold."""
    if not LOGIN.match(login):
        shown = login if len(login) <= 40 else login[:37] + "..."
        raise Refused(
            f"{shown!r} is not a valid login; use 1 to 40 lowercase letters, digits and . - _ @, "
            "starting with a letter or digit."
        )
    return login


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Refused(f"The password is too short; use at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise Refused(f"The password is too long; use at most {MAX_PASSWORD} characters.")


def _field_sentence(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "value"
    return f"The {where} {error['msg']}."


@dataclass(frozen=True)
class DirectoryEntry:
    """A principal as the directory holds it, with what the `Principal` does not carry."""

    principal: Principal
    email: str
    disabled: bool
    created_at: datetime
    oidc_subject: str | None
    has_password: bool

    @property
    def login(self) -> str:
        return self.principal.login


@dataclass(frozen=True)
class TokenInfo:
    """An API token without its secret."""

    id: str
    login: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> Literal["active", "expired", "revoked"]:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


@dataclass(frozen=True)
class NewToken:
    """A token just issued: `token` is the secret, shown once and kept nowhere."""

    id: str
    token: str
    expires: datetime | None


@dataclass(frozen=True)
class NewSession:
    """A web session just opened: the cookie's value (kept nowhere) and its CSRF token."""

    cookie: str
    csrf_token: str
    expires: datetime


class TooManyFailures(Refused):
    """Password sign-in is paused for a login or an address after too many failures."""

    def __init__(self, seconds: int) -> None:
        minutes = max(1, math.ceil(seconds / 60))
        super().__init__(
            f"Too many failed sign-ins; try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )
        self.seconds = seconds


def _principal(row: PrincipalRow) -> Principal:
    return Principal(
        login=row.login,
        kind="service" if row.kind == "service" else "user",
        role=AccessRole(row.role),
        name=row.name,
        org=row.org,
    )


def _entry(row: PrincipalRow) -> DirectoryEntry:
    return DirectoryEntry(
        principal=_principal(row),
        email=row.email,
        disabled=row.disabled,
        created_at=row.created_at,
        oidc_subject=row.oidc_subject,
        has_password=row.password_hash is not None,
    )


def _token_info(row: ApiTokenRow) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        login=row.login,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class Directory:
    """Principals, tokens, passwords, sessions and the sign-in rate limit, in the SQL store.

    Args:
        sessions: sessions on a store migrated to r0004 or later.
        hasher: the Argon2id hasher (the library's RFC 9106 defaults unless a test passes a
            cheaper one); a stored hash made with other parameters is rehashed on sign-in.
        clock: the time of day (UTC, aware).
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        hasher: PasswordHasher | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._hasher = hasher or PasswordHasher()
        self._clock = clock

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """The store's sessions (the web app reads the outbox of the same store)."""
        return self._sessions

    # -- principals ---------------------------------------------------------------------------

    async def add_user(
        self,
        login: str,
        role: str | AccessRole,
        *,
        name: str = "",
        org: str = "",
        email: str = "",
        password: str | None = None,
        kind: Kind = "user",
        oidc_subject: str | None = None,
    ) -> DirectoryEntry:
        """Add a user or a service account (a service account has no password).

        Raises:
            Refused: a bad login, role, name, organisation, email or password, a PARTY with no
                organisation, or a login (or OIDC subject) that is already in the directory.
        """
        check_login(login)
        access_role = role_named(role)
        email = email.strip().lower()
        if email and not _EMAIL.match(email):
            raise Refused(f"{email!r} is not an email address.")
        if access_role is AccessRole.PARTY and not org.strip():
            raise Refused("A PARTY needs the name of its SEC Party as its organisation (--org).")
        if kind == "service" and password is not None:
            raise Refused("A service account has no password; it signs in with an API token.")
        try:
            principal = Principal(login=login, kind=kind, role=access_role, name=name, org=org)
        except ValidationError as exc:
            raise Refused(_field_sentence(exc)) from None
        password_hash = None
        if password is not None:
            _check_password(password)
            password_hash = await asyncio.to_thread(self._hasher.hash, password)
        async with self._sessions() as session:
            if await session.get(PrincipalRow, login) is not None:
                raise Refused(f"The login {login!r} is already in the directory.")
            session.add(
                PrincipalRow(
                    login=login,
                    kind=kind,
                    role=access_role.value,
                    name=principal.name,
                    org=principal.org,
                    email=email,
                    oidc_subject=oidc_subject,
                    password_hash=password_hash,
                    disabled=False,
                    created_at=self._clock(),
                )
            )
            try:
                await session.commit()
            except IntegrityError:
                # Another writer added the same login (or subject) between the check and here.
                raise Refused(
                    f"The login {login!r} (or its single sign-on subject) is already in the "
                    "directory."
                ) from None
        return await self.get(login)

    async def get(self, login: str) -> DirectoryEntry:
        """The entry for `login`, or a sentence saying there is none."""
        async with self._sessions() as session:
            return _entry(await self._row(session, login))

    async def list_principals(self) -> list[DirectoryEntry]:
        """Every principal, by login."""
        async with self._sessions() as session:
            rows = await session.scalars(select(PrincipalRow).order_by(PrincipalRow.login))
            return [_entry(r) for r in rows]

    async def disable(self, login: str) -> DirectoryEntry:
        """Disable a principal: its tokens and sessions stop working at once (it stays listed,
        so the audit's logins keep their meaning)."""
        now = self._clock()
        async with self._sessions() as session:
            row = await self._row(session, login)
            row.disabled = True
            await session.execute(
                update(WebSessionRow)
                .where(WebSessionRow.login == login, WebSessionRow.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            await session.commit()
            return _entry(row)

    async def set_password(self, login: str, password: str) -> None:
        """Set (or replace) a user's password; every open web session of theirs ends."""
        _check_password(password)
        password_hash = await asyncio.to_thread(self._hasher.hash, password)
        async with self._sessions() as session:
            row = await self._row(session, login)
            if row.kind == "service":
                raise Refused(f"{login!r} is a service account; it signs in with an API token.")
            row.password_hash = password_hash
            await session.execute(
                update(WebSessionRow)
                .where(WebSessionRow.login == login, WebSessionRow.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
            await session.commit()

    async def by_oidc_subject(self, subject: str) -> DirectoryEntry | None:
        """The principal linked to this single sign-on subject, if any."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(PrincipalRow).where(PrincipalRow.oidc_subject == subject)
            )
            return _entry(row) if row is not None else None

    async def by_email(self, email: str) -> list[DirectoryEntry]:
        """The principals with this email address (case does not matter)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(PrincipalRow)
                .where(PrincipalRow.email == email.strip().lower())
                .order_by(PrincipalRow.login)
            )
            return [_entry(r) for r in rows]

    async def link_oidc_subject(self, login: str, subject: str) -> None:
        """Remember the single sign-on subject of a principal (matched once by email)."""
        async with self._sessions() as session:
            row = await self._row(session, login)
            if row.oidc_subject not in (None, subject):
                raise Refused(f"{login!r} is already linked to another single sign-on account.")
            row.oidc_subject = subject
            try:
                await session.commit()
            except IntegrityError:
                raise Refused(
                    "That single sign-on account is already linked to another login."
                ) from None

    # -- API tokens ---------------------------------------------------------------------------

    async def new_token(self, login: str, expires_days: int | None = None) -> NewToken:
        """Issue an API token for `login` (expiring after `expires_days`, or never).

        The secret is returned once and only its SHA-256 is stored.
        """
        if expires_days is not None and not 1 <= expires_days <= MAX_TOKEN_DAYS:
            raise Refused(f"A token expires after 1 to {MAX_TOKEN_DAYS} days, not {expires_days}.")
        now = self._clock()
        expires = now + timedelta(days=expires_days) if expires_days is not None else None
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = "tk_" + secrets.token_hex(6)
        async with self._sessions() as session:
            row = await self._row(session, login)
            if row.disabled:
                raise Refused(f"{login!r} is disabled; a disabled principal gets no token.")
            session.add(
                ApiTokenRow(
                    id=token_id,
                    login=login,
                    token_hash=_sha256(token),
                    created_at=now,
                    expires_at=expires,
                    last_used_at=None,
                    revoked_at=None,
                )
            )
            await session.commit()
        return NewToken(id=token_id, token=token, expires=expires)

    async def revoke_token(self, token_id: str) -> TokenInfo:
        """Revoke a token at once (revoking it again changes nothing)."""
        async with self._sessions() as session:
            row = await session.get(ApiTokenRow, token_id)
            if row is None:
                raise Refused(f"There is no token {token_id!r}; `tokens list LOGIN` shows the ids.")
            if row.revoked_at is None:
                row.revoked_at = self._clock()
                await session.commit()
            return _token_info(row)

    async def tokens_of(self, login: str) -> list[TokenInfo]:
        """The tokens of `login`, oldest first, without their secrets."""
        async with self._sessions() as session:
            await self._row(session, login)
            rows = await session.scalars(
                select(ApiTokenRow)
                .where(ApiTokenRow.login == login)
                .order_by(ApiTokenRow.created_at, ApiTokenRow.id)
            )
            return [_token_info(r) for r in rows]

    async def principal_for_token(self, token: str) -> Principal | None:
        """Who a bearer token belongs to; None for an unknown, revoked or expired token, or a
        disabled owner. Revocation, expiry and disabling are read on every call (they take
        effect at once). A token that works has its last-used time recorded, to within
        `LAST_USED_RESOLUTION` (a minute): the write is skipped while the recorded time is
        more recent than that."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        now = self._clock()
        async with self._sessions() as session:
            found = (
                await session.execute(
                    select(
                        ApiTokenRow.id,
                        ApiTokenRow.revoked_at,
                        ApiTokenRow.expires_at,
                        ApiTokenRow.last_used_at,
                        PrincipalRow,
                    )
                    .join(PrincipalRow, PrincipalRow.login == ApiTokenRow.login)
                    .where(ApiTokenRow.token_hash == _sha256(token))
                )
            ).first()
            if found is None:
                return None
            token_id, revoked_at, expires_at, last_used_at, owner = found
            if revoked_at is not None or owner.disabled:
                return None
            if expires_at is not None and expires_at <= now:
                return None
            if last_used_at is None or now - last_used_at >= LAST_USED_RESOLUTION:
                await session.execute(
                    update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=now)
                )
                await session.commit()
            return _principal(owner)

    # -- passwords ----------------------------------------------------------------------------

    @cached_property
    def _decoy_hash(self) -> str:
        # Verified against when there is no hash to check, so an unknown login costs as much
        # time as a known one and the answer's timing does not say which logins exist.
        return self._hasher.hash(secrets.token_urlsafe(16))

    async def verify_password(self, login: str, password: str) -> Principal | None:
        """The principal when `password` is theirs; None otherwise (unknown login, no password,
        disabled, or wrong), always after one Argon2id verification."""
        if len(password) > MAX_PASSWORD:
            return None
        async with self._sessions() as session:
            row = await session.get(PrincipalRow, login) if LOGIN.match(login) else None
            stored = row.password_hash if row is not None else None
            if row is None or stored is None or row.disabled:
                await asyncio.to_thread(self._verify, self._decoy_hash, password)
                return None
            if not await asyncio.to_thread(self._verify, stored, password):
                return None
            if self._hasher.check_needs_rehash(stored):
                row.password_hash = await asyncio.to_thread(self._hasher.hash, password)
                await session.commit()
            return _principal(row)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    async def password_sign_in(
        self, login: str, password: str, address: str | None
    ) -> Principal | None:
        """Password sign-in with the rate limit: refused while the login or the address has too
        many recent failures; a failure counts against both; success clears the login's count.

        Raises:
            TooManyFailures: wait that many seconds (the password was not even checked).
        """
        keys = [f"login:{login[:100]}"] + ([f"addr:{address[:100]}"] if address else [])
        wait = await self.too_many(keys)
        if wait:
            raise TooManyFailures(wait)
        principal = await self.verify_password(login, password)
        if principal is None:
            await self.record_failure(keys)
            return None
        await self.clear_failures([f"login:{login}"])
        return principal

    # -- web sessions -------------------------------------------------------------------------

    async def new_session(self, login: str, ttl: timedelta) -> NewSession:
        """Open a web session for `login`: the cookie's value and the session's CSRF token."""
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = self._clock()
        async with self._sessions() as session:
            row = await self._row(session, login)
            if row.disabled:
                raise Refused(f"{login!r} is disabled.")
            session.add(
                WebSessionRow(
                    id=_sha256(cookie),
                    login=login,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=now + ttl,
                    revoked_at=None,
                )
            )
            await session.commit()
        return NewSession(cookie=cookie, csrf_token=csrf, expires=now + ttl)

    async def session_principal(self, cookie: str) -> tuple[Principal, str] | None:
        """The principal and CSRF token of a live session; None for an unknown, ended or expired
        one, or a disabled principal."""
        if not cookie or len(cookie) > 200:
            return None
        async with self._sessions() as session:
            found = (
                await session.execute(
                    select(WebSessionRow, PrincipalRow)
                    .join(PrincipalRow, PrincipalRow.login == WebSessionRow.login)
                    .where(WebSessionRow.id == _sha256(cookie))
                )
            ).first()
        if found is None:
            return None
        row, owner = found
        if row.revoked_at is not None or row.expires_at <= self._clock() or owner.disabled:
            return None
        return _principal(owner), row.csrf_token

    async def end_session(self, cookie: str) -> None:
        """Sign out: the session stops working (an unknown cookie is not an error)."""
        async with self._sessions() as session:
            await session.execute(
                update(WebSessionRow)
                .where(WebSessionRow.id == _sha256(cookie), WebSessionRow.revoked_at.is_(None))
                .values(revoked_at=self._clock())
            )
            await session.commit()

    # -- the rate limit on failed sign-ins ----------------------------------------------------

    async def record_failure(self, keys: Iterable[str]) -> None:
        """Count one failed sign-in against each key (and forget failures past the window)."""
        now = self._clock()
        async with self._sessions() as session:
            await session.execute(
                delete(LoginFailureRow).where(LoginFailureRow.at < now - FAILURE_WINDOW)
            )
            session.add_all(LoginFailureRow(key=k, at=now) for k in keys)
            await session.commit()

    async def too_many(self, keys: Sequence[str], now: datetime | None = None) -> int:
        """Seconds to wait before the next sign-in attempt under these keys (0: go ahead).

        A key's limit is by its kind (`login:...` 5, `addr:...` 20) within 15 minutes.
        """
        now = now or self._clock()
        since = now - FAILURE_WINDOW
        wait = 0.0
        async with self._sessions() as session:
            for key in keys:
                limit = FAILURE_LIMITS.get(key.partition(":")[0], FAILURE_LIMITS["login"])
                count = await session.scalar(
                    select(func.count())
                    .select_from(LoginFailureRow)
                    .where(LoginFailureRow.key == key, LoginFailureRow.at > since)
                )
                if not count or count < limit:
                    continue
                # Wait until enough of the failures have left the window to be under the limit.
                times = list(
                    await session.scalars(
                        select(LoginFailureRow.at)
                        .where(LoginFailureRow.key == key, LoginFailureRow.at > since)
                        .order_by(LoginFailureRow.at)
                    )
                )
                leaves = times[len(times) - limit] + FAILURE_WINDOW
                wait = max(wait, (leaves - now).total_seconds())
        return max(1, math.ceil(wait)) if wait > 0 else 0

    async def clear_failures(self, keys: Iterable[str]) -> None:
        """Forget the failures under these keys (a successful sign-in clears its login's)."""
        async with self._sessions() as session:
            await session.execute(
                delete(LoginFailureRow).where(LoginFailureRow.key.in_(list(keys)))
            )
            await session.commit()

    # -- helpers ------------------------------------------------------------------------------

    async def _row(self, session: AsyncSession, login: str) -> PrincipalRow:
        row = await session.get(PrincipalRow, login) if LOGIN.match(login) else None
        if row is None:
            shown = login if len(login) <= 40 else login[:37] + "..."
            raise Refused(f"There is no principal {shown!r}; `sec-release users list` shows them.")
        return row
