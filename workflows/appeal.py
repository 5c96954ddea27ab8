"""`AppealWindowWorkflow`: the 10 Working Day appeal window after a Panel approval of the RID."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RawValue

with workflow.unsafe.imports_passed_through():
    from rules.appeals import closing_status, determined_status
    from rules.clock import lapse_moment
    from schemas.base import Model
    from schemas.state import Appeal, AppealStatus
    from schemas.workflow_io import (
        AppealOutcome,
        AppealWindowInput,
        AppealWindowView,
        Determination,
    )

M = TypeVar("M", bound=Model)


@workflow.defn
class AppealWindowWorkflow:
    """One appeal window (id `release/<id>/appeal/<RID version>`), SPEC section 5.4.

    Open from the approval's publication to the end of the 10th Working Day after it. At the
    close: no appeals -> unchallenged; otherwise referred to the Authority, whose determination
    (upheld or overturned) is final. Each outcome is signalled to the release by its workflow
    id, so it arrives even if the release has continued as new meanwhile.

    Handlers: signals `lodge` (`Appeal`), `determine` (`Determination`), `release_ended`;
    query `window` (`AppealWindowView`).

    A window started with `release_decides` (every window a current release starts) is only
    the clock: the release records appeals and determinations itself and closes the window
    from its own record, so the signals above are ignored (nobody can end the window early or
    change its outcome by signalling it) and the report at the close is a hint that claims
    nothing. Windows started before that change keep the old behaviour.
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
        if self._input.release_decides:
            # Only the release knows the outcome; this says "the window has closed".
            await self._report(hint_only=True)
            return self.window()
        if self._ended:
            return self.window()
        self._status = closing_status(self._appeals)
        await self._report()
        if self._status is AppealStatus.UNCHALLENGED:
            return self.window()
        await workflow.wait_condition(lambda: self._determination is not None or self._ended)
        if self._determination is not None:
            self._status = determined_status(self._determination.upheld)
            await self._report()
        return self.window()

    async def _close_after(self, remaining: timedelta) -> None:
        await workflow.sleep(remaining, summary="appeal window closes")
        self._closed = True

    async def _report(self, *, hint_only: bool = False) -> None:
        notes = self._determination.notes if self._determination else ""
        outcome = AppealOutcome(
            version=self._input.version,
            status=self._status,
            appeals=len(self._appeals),
            notes=notes,
            hint_only=hint_only,
        )
        try:
            await workflow.get_external_workflow_handle(self._input.parent_workflow_id).signal(
                "appeal_outcome", outcome
            )
        except Exception as exc:
            workflow.logger.warning(
                "could not report %s to %s: %s", self._status, self._input.parent_workflow_id, exc
            )

    @workflow.signal(name="lodge")
    def lodge(self, raw: RawValue) -> None:
        if self._input.release_decides:
            return  # the release holds the appeals; a signal here changes nothing
        appeal = self._read(raw, Appeal)
        if appeal is not None and self._status is AppealStatus.OPEN:
            self._appeals.append(appeal)

    @workflow.signal(name="determine")
    def determine(self, raw: RawValue) -> None:
        if self._input.release_decides:
            return  # the release applies the Authority's determination itself
        determination = self._read(raw, Determination)
        if (
            determination is not None
            and self._status is AppealStatus.REFERRED
            and self._determination is None
        ):
            self._determination = determination

    @workflow.signal(name="release_ended")
    def release_ended(self) -> None:
        if self._input.release_decides:
            return  # the window runs its 10 Working Days whatever a signal says
        self._ended = True

    def _read(self, raw: RawValue, model: type[M]) -> M | None:
        try:
            return workflow.payload_converter().from_payload(raw.payload, model)
        except Exception as exc:
            workflow.logger.warning("unreadable signal to appeal window dropped: %s", exc)
            return None

    @workflow.query
    def window(self) -> AppealWindowView:
        return AppealWindowView(
            version=self._input.version,
            closes_on=self._input.closes_on,
            status=self._status,
            appeals=self._appeals,
        )
