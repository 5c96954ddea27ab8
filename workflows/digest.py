"""`DigestWorkflow`: each morning, one message per recipient of the reminders and escalations
kept for the digest (SEC_RELEASE_NOTICE_DELIVERY=digest), across releases.

One per deployment (id `sec-release/digest`), started by `sec-release up` / `worker` when the
deployment chose the digest. It sleeps until the next digest time (London, on the business
clock: `workflow.now()` plus the offset it was started with, as the releases use), runs the
`send_digests` activity for that morning (idempotent by recipient and morning, retried until
the mail server takes every digest), and continues as new every `mornings_per_run` mornings.
Signal `configure` with a new time of day (what `up` sends each start, so a changed
SEC_RELEASE_DIGEST_TIME applies from the next morning).
"""

from __future__ import annotations

import contextlib
from datetime import time, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from rules.clock import london_today
    from rules.digest import next_digest_at
    from schemas.digest import DigestInput, DigestReceipt, DigestRequest

RETRY_FOR_EVER = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=30),
    maximum_attempts=0,
)
DIGEST_TIMEOUT = timedelta(minutes=30)  # each digest's own delivery gives up within 90 s
HEARTBEAT = timedelta(seconds=30)


@workflow.defn
class DigestWorkflow:
    """The deployment's morning digest (module docstring). Query `next_digest`."""

    @workflow.init
    def __init__(self, input: DigestInput) -> None:
        self._input = input
        self._at: time = input.at
        self._offset = timedelta(seconds=input.clock_offset_seconds)
        self._reconfigured = False
        self._last: DigestReceipt | None = None

    @workflow.run
    async def run(self, input: DigestInput) -> None:
        mornings = 0
        while mornings < input.mornings_per_run:
            now = workflow.now() + self._offset
            due = next_digest_at(now, self._at)
            self._reconfigured = False
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._reconfigured, timeout=due - now)
            if self._reconfigured:
                continue  # a new time of day: sleep until it instead
            self._last = await workflow.execute_activity(
                "send_digests",
                DigestRequest(morning=london_today(due), cutoff=due),
                result_type=DigestReceipt,
                start_to_close_timeout=DIGEST_TIMEOUT,
                heartbeat_timeout=HEARTBEAT,
                retry_policy=RETRY_FOR_EVER,
                summary=f"digest for {london_today(due).isoformat()}",
            )
            mornings += 1
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(
            DigestInput(
                clock_offset_seconds=input.clock_offset_seconds,
                at=self._at,
                mornings_per_run=input.mornings_per_run,
            )
        )

    @workflow.signal
    def configure(self, at: time) -> None:
        """Send each morning's digest at `at` (London) from now on."""
        if at != self._at:
            self._at = at
            self._reconfigured = True

    @workflow.query
    def next_digest(self) -> str:
        """When the next digest goes (business time, ISO 8601)."""
        return next_digest_at(workflow.now() + self._offset, self._at).isoformat()
