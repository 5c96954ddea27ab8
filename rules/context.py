"""The moment a rule is applied at, and the calendar it computes with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from rules.clock import london_today


@dataclass(frozen=True)
class Context:
    """Business time (`now`, timezone-aware) at which a command or a tick is applied."""

    now: datetime

    @property
    def today(self) -> date:
        """The date in London at `now`: deadlines are London dates."""
        return london_today(self.now)
