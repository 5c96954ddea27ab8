"""The keys a worker trusts, read by its workflows as an activity (ACCESS.md).

Recorded in each workflow's history, so replay sees the keys the run saw; read afresh at each
run's start and when a `keys_changed` hint arrives, so keys rotate without restarting releases.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import activity

from schemas.seal import TrustedKey


class KeyActivities:
    def __init__(self, source: Callable[[], list[TrustedKey]]) -> None:
        self._source = source

    @activity.defn(name="trusted_keys")
    async def trusted_keys(self) -> list[TrustedKey]:
        """The public keys whose signatures the workflows of this worker accept."""
        return list(self._source())
