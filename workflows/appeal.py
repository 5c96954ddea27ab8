"""`AppealWindowWorkflow`: the 10 Working Day appeal window after a Panel approval of the RID."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from rules.escalation import lapse_moment
    from schemas.state import Appeal, AppealStatus
    from schemas.workflow_io import (
        AppealOutcome,
        AppealWindowInput,
        AppealWindowView,
        Determination,
    )


@workflow.defn
class AppealWindowWorkflow:
    """One appeal window (id `release/<id>/appeal/<RID version>`), SPEC section 5.4.

    Open from the approval's publication to the end of the 10th Working Day after it. At the
    close: no appeals -> unchallenged; otherwise referred to the Authority, whose determination
    (upheld or overturned) is final. Each outcome is signalled to the release by its workflow
    id, so it arrives even if the release has continued as new meanwhile.

    Handlers: signals `lodge` (`Appeal`), `determine` (`Determination`), `release_ended`;
    query `window` (`AppealWindowView`).
    """

    @workflow.init
    def __init__(self, input: AppealWindowInput) -> None:
        self._input = input
        self._offset = timedelta(seconds=input.clock_offset_seconds)
        self._appeals: list[Appeal] = []
        self._status = AppealStatus.OPEN
        self._determination: Determination | None = None
        self._ended = False
        self._closed = False

    @workflow.run
    async def run(self, input: AppealWindowInput) -> AppealWindowView:
        closes_at = lapse_moment(input.closes_on)
        remaining = closes_at - (workflow.now() + self._offset)
        if remaining > timedelta(0):
            # A timer that is never cancelled (a release ending early just stops the wait).
            closing = asyncio.create_task(self._close_after(remaining))
            await workflow.wait_condition(lambda: self._closed or self._ended)
            del closing
        if self._ended:
            return self.window()
        if not self._appeals:
            self._status = AppealStatus.UNCHALLENGED
            await self._report()
            return self.window()
        self._status = AppealStatus.REFERRED
        await self._report()
        await workflow.wait_condition(lambda: self._determination is not None or self._ended)
        if self._determination is not None:
            self._status = (
                AppealStatus.UPHELD if self._determination.upheld else AppealStatus.OVERTURNED
            )
            await self._report()
        return self.window()

    async def _close_after(self, remaining: timedelta) -> None:
        await workflow.sleep(remaining, summary="appeal window closes")
        self._closed = True

    async def _report(self) -> None:
        notes = self._determination.notes if self._determination else ""
        outcome = AppealOutcome(
            version=self._input.version,
            status=self._status,
            appeals=len(self._appeals),
            notes=notes,
        )
        try:
            await workflow.get_external_workflow_handle(self._input.parent_workflow_id).signal(
                "appeal_outcome", outcome
            )
        except Exception as exc:
            workflow.logger.warning(
                "could not report %s to %s: %s", self._status, self._input.parent_workflow_id, exc
            )

    @workflow.signal
    def lodge(self, appeal: Appeal) -> None:
        if self._status is AppealStatus.OPEN:
            self._appeals.append(appeal)

    @workflow.signal
    def determine(self, determination: Determination) -> None:
        if self._status is AppealStatus.REFERRED and self._determination is None:
            self._determination = determination

    @workflow.signal
    def release_ended(self) -> None:
        self._ended = True

    @workflow.query
    def window(self) -> AppealWindowView:
        return AppealWindowView(
            version=self._input.version,
            closes_on=self._input.closes_on,
            status=self._status,
            appeals=self._appeals,
        )
