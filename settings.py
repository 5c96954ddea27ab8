"""All configuration in one place, read from the environment with defaults that just work.

With nothing set, `make run` starts everything locally: the data directory is the user's data
directory (or `./.data` where that cannot be written), the store is a SQLite file in it, the
Temporal dev server listens on localhost:7233, and mail goes to a local sink that keeps `.eml`
files.
"""

from __future__ import annotations

import os
from datetime import time
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TASK_QUEUE = "sec-release"
# See `Settings.max_cached_workflows` (bench/README.md, `scale`, says why this number: a worker
# with 1,000 open releases after a year held 555 MB with all of them cached, and about 360 MB
# with 250, for the same notices and the same CPU; real deployments have tens of releases open,
# which all stay cached).
DEFAULT_MAX_CACHED_WORKFLOWS = 250


def default_data_dir() -> Path:
    """The per-user data directory, or `./.data` when it cannot be created."""
    from platformdirs import user_data_dir

    preferred = Path(user_data_dir("sec-release", appauthor=False))
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        if os.access(preferred, os.W_OK):
            return preferred
    except OSError:
        pass
    return Path.cwd() / ".data"


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class NoticeDelivery(StrEnum):
    """How reminders and escalations reach people (decisions and letters always go at once)."""

    IMMEDIATE = "immediate"  # each one mailed when the release sends it
    DIGEST = "digest"  # kept for one morning message per recipient (`workflows.digest`)


class Settings(BaseSettings):
    """Every setting the CLI, the worker and the activities read (environment variable names)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        default_factory=default_data_dir, validation_alias=_env("SEC_RELEASE_DATA_DIR")
    )
    # Temporal connection (a remote cluster needs TLS client certificates or an API key).
    temporal_address: str = Field("localhost:7233", validation_alias=_env("TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field("default", validation_alias=_env("TEMPORAL_NAMESPACE"))
    temporal_tls: bool = Field(False, validation_alias=_env("TEMPORAL_TLS"))
    temporal_tls_cert: Path | None = Field(None, validation_alias=_env("TEMPORAL_TLS_CERT"))
    temporal_tls_key: Path | None = Field(None, validation_alias=_env("TEMPORAL_TLS_KEY"))
    temporal_tls_ca: Path | None = Field(None, validation_alias=_env("TEMPORAL_TLS_CA"))
    temporal_api_key: str | None = Field(None, validation_alias=_env("TEMPORAL_API_KEY"))
    task_queue: str = Field(TASK_QUEUE, validation_alias=_env("SEC_RELEASE_TASK_QUEUE"))
    # The embedded dev server (`sec-release up`).
    port: int = Field(7233, validation_alias=_env("SEC_RELEASE_PORT"))
    ui_port: int = Field(8233, validation_alias=_env("SEC_RELEASE_UI_PORT"))
    # The front door (HTTP API): `up` serves it on 127.0.0.1; `serve` on http_host.
    http_host: str = Field("127.0.0.1", validation_alias=_env("SEC_RELEASE_HTTP_HOST"))
    http_port: int = Field(8000, ge=1, le=65535, validation_alias=_env("SEC_RELEASE_HTTP_PORT"))
    # The store: a SQLite file in the data dir unless DATABASE_URL names another database.
    dev_mode: bool = Field(False, validation_alias=_env("SEC_RELEASE_DEV_MODE"))
    """`up` sets it for its own front door (local dev users and tokens); `serve` never does."""
    database_url_setting: str | None = Field(None, validation_alias=_env("DATABASE_URL"))
    # Mail: with no SMTP_HOST, `up` runs a local sink that keeps every message as a .eml file.
    smtp_host: str | None = Field(None, validation_alias=_env("SMTP_HOST"))
    smtp_port: int = Field(25, validation_alias=_env("SMTP_PORT"))
    smtp_username: str | None = Field(None, validation_alias=_env("SMTP_USERNAME"))
    smtp_password: str | None = Field(None, validation_alias=_env("SMTP_PASSWORD"))
    smtp_starttls: bool = Field(False, validation_alias=_env("SMTP_STARTTLS"))
    smtp_timeout_seconds: float = Field(30.0, validation_alias=_env("SMTP_TIMEOUT"))
    mail_from: str = Field("sec-release@localhost", validation_alias=_env("MAIL_FROM"))
    sink_port: int = Field(8025, validation_alias=_env("SEC_RELEASE_SINK_PORT"))
    contacts_file_setting: Path | None = Field(None, validation_alias=_env("SEC_RELEASE_CONTACTS"))
    # Escalation policy given to new releases (each release keeps the policy it started with):
    # the reminder goes this many Working Days before a deadline, and a lapsed deadline goes
    # up one level every step of Working Days (a step of 0 would never reach the next level)
    # until the top of the ladder, where it repeats every step until met or waived.
    reminder_working_days: int = Field(
        5, ge=0, validation_alias=_env("SEC_RELEASE_REMINDER_WORKING_DAYS")
    )
    escalation_step_working_days: int = Field(
        5, ge=1, validation_alias=_env("SEC_RELEASE_ESCALATION_STEP_WORKING_DAYS")
    )
    escalation_top: int = Field(3, ge=1, validation_alias=_env("SEC_RELEASE_ESCALATION_TOP"))
    # Reminders and escalations: mailed at once, or gathered into one message per recipient
    # each morning at SEC_RELEASE_DIGEST_TIME, London time on the business clock (a choice of
    # the deployment: decisions, approvals, waivers and other letters always go at once).
    notice_delivery: NoticeDelivery = Field(
        NoticeDelivery.IMMEDIATE, validation_alias=_env("SEC_RELEASE_NOTICE_DELIVERY")
    )
    digest_time: time = Field(time(7, 0), validation_alias=_env("SEC_RELEASE_DIGEST_TIME"))
    # A release continues as new past this many history events (or when Temporal suggests it).
    max_history_events: int = Field(1800, validation_alias=_env("SEC_RELEASE_MAX_HISTORY_EVENTS"))
    # Open releases the worker keeps in memory between their wakes (Temporal's sticky cache:
    # `max_cached_workflows`). Beyond it the least recently woken is evicted, and replays its
    # history when it next wakes: memory bounded, at the price of that replay's CPU.
    max_cached_workflows: int = Field(
        DEFAULT_MAX_CACHED_WORKFLOWS,
        ge=1,
        validation_alias=_env("SEC_RELEASE_MAX_CACHED_WORKFLOWS"),
    )
    # Single sign-on and bearer JWTs through an OpenID Connect provider (ACCESS.md,
    # Authentication); all unset: no single sign-on, and only the directory's own API tokens.
    oidc_issuer: str | None = Field(None, validation_alias=_env("OIDC_ISSUER"))
    oidc_client_id: str | None = Field(None, validation_alias=_env("OIDC_CLIENT_ID"))
    oidc_client_secret: SecretStr | None = Field(None, validation_alias=_env("OIDC_CLIENT_SECRET"))
    # The `aud` a bearer JWT must carry for the API (default: the client id).
    oidc_audience: str | None = Field(None, validation_alias=_env("OIDC_AUDIENCE"))
    # Where the provider sends the browser back after sign-in (the front door's callback).
    oidc_redirect_url: str | None = Field(None, validation_alias=_env("OIDC_REDIRECT_URL"))

    # The front door's signing key (`KEY_ID:BASE64`, else `keys/signing.key` in the data dir,
    # created on first use) and the public keys workers trust (a JSON list of
    # {"id", "public", "retired"}, else `keys/trusted.json`). See ACCESS.md and `starter.keys`.
    signing_key_setting: str | None = Field(None, validation_alias=_env("SEC_RELEASE_SIGNING_KEY"))
    trusted_keys_setting: str | None = Field(
        None, validation_alias=_env("SEC_RELEASE_TRUSTED_KEYS")
    )

    @field_validator("notice_delivery", mode="before")
    @classmethod
    def _delivery_in_words(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() not in {
            m.value for m in NoticeDelivery
        }:
            raise ValueError(
                f"SEC_RELEASE_NOTICE_DELIVERY is {value[:40]!r}; it must be 'immediate' (each "
                "reminder and escalation mailed at once) or 'digest' (one message per recipient "
                "each morning)"
            )
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("digest_time", mode="before")
    @classmethod
    def _digest_time_in_words(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            hours, sep, minutes = text.partition(":")
            if (
                sep
                and hours.isdigit()
                and minutes.isdigit()
                and len(minutes) == 2
                and int(hours) < 24
                and int(minutes) < 60
            ):
                return time(int(hours), int(minutes))
            raise ValueError(
                f"SEC_RELEASE_DIGEST_TIME is {text[:40]!r}; it must be a London time of day as "
                "HH:MM, like 07:00"
            )
        return value

    @cached_property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @cached_property
    def database_url(self) -> str:
        if self.database_url_setting:
            return self.database_url_setting
        return f"sqlite+aiosqlite:///{self.data_dir / 'sec-release.db'}"

    @cached_property
    def contacts_file(self) -> Path:
        return self.contacts_file_setting or self.data_dir / "contacts.yaml"

    @cached_property
    def mail_dir(self) -> Path:
        """Where the local sink writes `.eml` files."""
        return self.data_dir / "mail"

    @cached_property
    def temporal_db(self) -> Path:
        """The dev server's SQLite file."""
        return self.data_dir / "temporal.db"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir
