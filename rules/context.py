"""The moment a rule is applied at, and the calendar it computes with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from rules.clock import london_today


@dataclass(frozen=True)
class Context:
    """Business time (`now`, timezone-aware) at which a command or a tick is applied.

    `careful_panel` turns on the rules of issue 15 (SPEC sections 4, 5.1, 5.3 and 5.5 as
    updated): GO needs the RID as it stands baselined, changes since a baseline are marked, a
    documentation-only scope baselined meets `scope_docs`, a criterion's waiver is a decision,
    notices and UIT starts that no longer make sense are refused. Releases whose history was
    recorded before them replay with it off (`workflows.release.CAREFUL_PANEL`).
    """

    now: datetime
    careful_panel: bool = True

    @property
    def today(self) -> date:
        """The date in London at `now`: deadlines are London dates."""
        return london_today(self.now)
