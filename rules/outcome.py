"""What a lifecycle handler gives back: a summary for the audit trail, and the effects the
workflow carries out beyond the state (start an appeal window, signal it, end the release).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.state import Appeal, AppealWindow


@dataclass(frozen=True)
class StartAppealWindow:
    window: AppealWindow


@dataclass(frozen=True)
class ForwardAppeal:
    version: str
    appeal: Appeal


@dataclass(frozen=True)
class ForwardDetermination:
    version: str
    upheld: bool
    notes: str


@dataclass(frozen=True)
class ReleaseEnded:
    pass


Effect = StartAppealWindow | ForwardAppeal | ForwardDetermination | ReleaseEnded


@dataclass
class Outcome:
    summary: str
    effects: list[Effect] = field(default_factory=list)
