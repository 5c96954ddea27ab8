"""Release Implementation Document versions (SPEC section 5.1).

Drafts are minor versions (0.1, 0.2, 1.1, ...); a Panel baseline makes the next integer version
(1.0, 2.0, 3.0, ...). After the one-month notice the RID is frozen: no further versions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from rules.errors import Refused

_VERSION = re.compile(r"^(\d{1,3})\.(\d{1,3})$")


@total_ordering
@dataclass(frozen=True)
class RidVersion:
    major: int = 0
    minor: int = 0

    @classmethod
    def parse(cls, text: str) -> RidVersion:
        match = _VERSION.match(text.strip())
        if not match:
            raise Refused(f"{text!r} is not a RID version; versions look like 0.1, 1.0 or 2.1.")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, RidVersion):
            return NotImplemented
        return (self.major, self.minor) < (other.major, other.minor)

    @property
    def exists(self) -> bool:
        """False before the first draft (0.0)."""
        return (self.major, self.minor) != (0, 0)

    @property
    def is_baseline(self) -> bool:
        return self.major > 0 and self.minor == 0

    def next_draft(self) -> RidVersion:
        """The next minor version: 0.3 -> 0.4, 1.0 -> 1.1."""
        return RidVersion(self.major, self.minor + 1)

    def next_baseline(self) -> RidVersion:
        """The next integer version: 0.3 -> 1.0, 2.0 -> 3.0 (a re-confirmation is allowed)."""
        return RidVersion(self.major + 1, 0)


def check_not_frozen(frozen: bool, what: str) -> None:
    """Refuse a change to RID content once the one-month notice has frozen it."""
    if frozen:
        raise Refused(
            f"The RID is frozen since the one-month notice was sent, so you cannot {what}; "
            "progress records (criteria status, defects, evidence, recommendations, risks, "
            "costs, votes) still go on, and a change of scope needs a re-date first."
        )
