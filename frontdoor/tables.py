"""The directory's tables in the SQL store: principals, API tokens, web sessions, failed logins.

They share `activities.store.Base` (and so its UTC timestamps and constraint names), and their
schema is owned by the migration `r0004_directory`. No secret is kept in the clear: a token and a
session cookie are stored as their SHA-256, a password as its Argon2id hash.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from activities.store import Base

LOGIN_LENGTH = 100


class PrincipalRow(Base):
    """A user or a service account (ACCESS.md, Principals)."""

    __tablename__ = "principals"

    login: Mapped[str] = mapped_column(String(LOGIN_LENGTH), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # user | service
    role: Mapped[str] = mapped_column(String(20))  # an AccessRole
    name: Mapped[str] = mapped_column(String(100))
    org: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320))  # lowercase; "" when none
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str | None] = mapped_column(Text)  # Argon2id; None: no web sign-in
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class ApiTokenRow(Base):
    """An API token: its public id and the SHA-256 of the secret, never the secret itself."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_login", "login"),)

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    login: Mapped[str] = mapped_column(
        String(LOGIN_LENGTH), ForeignKey("principals.login", name="fk_api_tokens_login")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class WebSessionRow(Base):
    """A signed-in browser: the id is the SHA-256 of the cookie's value."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_login", "login"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    login: Mapped[str] = mapped_column(
        String(LOGIN_LENGTH), ForeignKey("principals.login", name="fk_web_sessions_login")
    )
    csrf_token: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginFailureRow(Base):
    """One failed sign-in, under each key it counts against (`login:alice`, `addr:1.2.3.4`)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime]
