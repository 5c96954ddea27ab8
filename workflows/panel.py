"""`PanelWorkflow`: the Panel's change freezes, Panel-wide, pushed to every open release."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from rules import limits
    from rules.errors import Refused
    from rules.permissions import check_permission
    from rules.release_calendar import check_freeze, long_date
    from schemas.state import AuditEntry, Freeze
    from schemas.workflow_io import (
        FreezeRequest,
        FreezeSync,
        PanelInput,
        PanelView,
        RegisterRelease,
    )

MAX_FREEZES = 100


@workflow.defn
class PanelWorkflow:
    """The one long-lived Panel workflow (id `sec-release/panel`).

    It records change freezes (`freeze_add` update, PANEL only) and knows the open releases
    (signals `register` / `unregister` from each release). Whenever the freezes change, and to
    each release that registers, it signals `freezes` with the full list, so every release's
    validators know every freeze without I/O. Query `view` (`PanelView`).
    """

    @workflow.init
    def __init__(self, input: PanelInput) -> None:
        self._input = input
        self._freezes: list[Freeze] = list(input.freezes)
        self._releases: dict[str, str] = {r.release_id: r.workflow_id for r in input.releases}
        self._audit: list[AuditEntry] = list(input.audit)
        self._outbox: list[str] = []  # workflow ids to send the freezes to
        self._offset = timedelta(seconds=input.clock_offset_seconds)

    @workflow.run
    async def run(self, input: PanelInput) -> None:
        while True:
            await workflow.wait_condition(
                lambda: bool(self._outbox) or self._should_continue_as_new()
            )
            while self._outbox:
                target = self._outbox.pop(0)
                await self._push(target)
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    PanelInput(
                        freezes=self._freezes,
                        releases=[
                            RegisterRelease(release_id=k, workflow_id=v)
                            for k, v in self._releases.items()
                        ],
                        audit=self._audit[-500:],
                        clock_offset_seconds=self._input.clock_offset_seconds,
                        max_history_events=self._input.max_history_events,
                    )
                )

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self._input.max_history_events
        )

    async def _push(self, workflow_id: str) -> None:
        try:
            await workflow.get_external_workflow_handle(workflow_id).signal(
                "freezes", FreezeSync(freezes=self._freezes)
            )
        except Exception as exc:
            workflow.logger.warning("release %s did not take the freezes: %s", workflow_id, exc)
            self._releases = {k: v for k, v in self._releases.items() if v != workflow_id}

    def _check(self, request: FreezeRequest) -> Freeze:
        check_permission("freeze add", request.actor.role)
        reason = limits.text(request.reason, "reason", limits.TEXT, flag="--reason")
        freeze = check_freeze(request.start, request.end, reason)
        if len(self._freezes) >= MAX_FREEZES:
            raise Refused(f"The Panel holds at most {MAX_FREEZES} change freezes.")
        new = Freeze(start=freeze.start, end=freeze.end, reason=freeze.reason)
        if new in self._freezes:
            raise Refused(
                f"That change freeze ({long_date(new.start)} to {long_date(new.end)}) is already recorded."
            )
        return new

    @workflow.update
    async def freeze_add(self, request: FreezeRequest) -> str:
        """Record a change freeze and tell every open release."""
        try:
            freeze = self._check(request)
        except Refused as exc:
            raise ApplicationError(exc.sentence, type="Refused", non_retryable=True) from exc
        self._freezes.append(freeze)
        self._freezes.sort(key=lambda f: (f.start, f.end))
        now = workflow.now() + self._offset
        seq = self._audit[-1].seq + 1 if self._audit else 1
        detail = f"{freeze.start.isoformat()} to {freeze.end.isoformat()}: {freeze.reason}"
        self._audit.append(
            AuditEntry(
                seq=seq, at=now, actor=str(request.actor), command="freeze add", detail=detail
            )
        )
        self._outbox += [w for w in self._releases.values() if w not in self._outbox]
        return (
            f"Change freeze from {long_date(freeze.start)} to {long_date(freeze.end)} recorded; "
            f"{len(self._releases)} open release(s) told."
        )

    @freeze_add.validator
    def validate_freeze_add(self, request: FreezeRequest) -> None:
        try:
            self._check(request)
        except Refused as exc:
            raise ApplicationError(exc.sentence, type="Refused", non_retryable=True) from exc

    @workflow.signal
    def register(self, release: RegisterRelease) -> None:
        self._releases[release.release_id] = release.workflow_id
        self._outbox.append(release.workflow_id)

    @workflow.signal
    def unregister(self, release: RegisterRelease) -> None:
        self._releases.pop(release.release_id, None)

    @workflow.query
    def view(self) -> PanelView:
        return PanelView(freezes=self._freezes, releases=sorted(self._releases), audit=self._audit)
