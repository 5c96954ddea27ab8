"""What the API answers, declared, so `/openapi.json` says what each route returns.

The shapes are those of the CLI's `--json` (CLI.md): the API calls the same ops and declares
their output here. Bodies the front door reads that are not commands are here too.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.principal import Principal
from schemas.text import IdText, Prose
from schemas.vocabulary import ReleaseType


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorAnswer(BaseModel):
    """Every refusal: one sentence; a malformed request adds pydantic's list in `detail`."""

    error: str
    detail: list[dict[str, Any]] | None = None


class Health(Answer):
    status: Literal["ok"] = "ok"
    dev_mode: bool = Field(
        False,
        description="a local `sec-release up`: the CLI may act as a local dev user (`--as`); "
        "a production front door refuses that",
    )


class Me(Answer):
    """The caller, as the front door authenticated them, and the actor they act as."""

    principal: Principal
    actor: str = Field(description="ROLE:NAME as the audit trail shows it")


class ReleaseRow(BaseModel):
    """One row of `sec-release list --json`."""

    id: str
    phase: str
    go_live: date | None
    lapsed: bool
    type: str
    workflow: str | None = Field(
        description="how the release's workflow ended outside the rules, if it did"
    )


class TimelineRow(BaseModel):
    """One row of `sec-release timeline ID --json`."""

    event: str
    label: str
    planned: date | None
    minimum: date | None
    actual: date | None
    late: bool


class CommandAnswer(BaseModel):
    """An accepted command (`sec-release ... --json`): what it changed, in a sentence."""

    release: str
    command: str
    summary: str
    phase: str
    rid_version: str


class SignalAnswer(BaseModel):
    """A command forwarded as a signal: its outcome is in the audit under `request_id`."""

    release: str
    command: str
    request_id: str
    signalled: Literal[True] = True


class CreateReleaseBody(Answer):
    """`sec-release release create ID [--go-live DATE] [--type T] [--ad-hoc]`."""

    id: IdText = Field(description="YYYY-MM (scheduled) or YYYY-MM-DD (ad hoc)")
    type: ReleaseType | None = Field(None, description="default: the calendar's type")
    go_live: date | None = Field(None, description="default: the calendar date of a scheduled id")
    ad_hoc: bool = Field(False, description="an ad hoc release (its id carries the day)")


class FreezeBody(Answer):
    """`sec-release freeze add --from DATE --to DATE --reason R`."""

    start: date = Field(description="the freeze's first day")
    end: date = Field(description="the freeze's last day")
    reason: Prose


class FreezeAnswer(BaseModel):
    freeze: dict[str, str]
    summary: str
