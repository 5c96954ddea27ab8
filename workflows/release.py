"""`ReleaseWorkflow`: one SEC Release, from creation to closing, as one durable workflow."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from rules import lifecycle
    from rules.audit import audit
    from rules.context import Context
    from rules.errors import Refused
    from rules.escalation import london
    from rules.phase import phase
    from rules.release_calendar import ReleasePlan
    from rules.status import build_status, has_lapsed, owing_roles
    from rules.tracking import is_ended, next_wake, refresh_deadlines, tick
    from schemas.commands import ActRequest, ActResult
    from schemas.state import AppealStatus, AppealWindow, Delivery, ReleaseState, SentNotice
    from schemas.status import ReleaseStatus
    from schemas.workflow_io import (
        AppealOutcome,
        AppealWindowInput,
        AppealWindowView,
        Determination,
        FreezeSync,
        NoticeReceipt,
        NoticeRequest,
        RecordRequest,
        RegisterRelease,
        ReleaseInput,
        ReleaseResult,
    )
    from workflows import search
    from workflows.appeal import AppealWindowWorkflow

REFUSED = "Refused"

# Delivery and records retry until they succeed: a mail server or database that is down delays
# a notice, never loses it (the activities are idempotent by key).
RETRY_FOR_EVER = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=30),
    maximum_attempts=0,
)
ACTIVITY_TIMEOUT = timedelta(minutes=2)
DETERMINED = (AppealStatus.UPHELD, AppealStatus.OVERTURNED)
AUDIT_SENDS = "audit-reminders-and-escalations"
RECORD_LOCALLY = "record-release-as-local-activity"


def refusal(exc: Refused) -> ApplicationError:
    """A rule's refusal as the failure a client sees: non-retryable, typed, one sentence."""
    return ApplicationError(exc.sentence, type=REFUSED, non_retryable=True)


@workflow.defn
class ReleaseWorkflow:
    """One SEC Release (id `release/<id>`), from creation to closing.

    Handlers:
        - update and signal `act` (`ActRequest`): every lifecycle command of SPEC section 5;
          the validator runs the rules on a copy of the state and refuses with a sentence.
        - signal `freezes` (`FreezeSync`): the Panel's change freezes.
        - signal `appeal_outcome` (`AppealOutcome`): an appeal window's report.
        - queries `status` (`ReleaseStatus`) and `state` (`ReleaseState`).

    Deadlines owned: every deadline of SPEC section 4 (scope, notices, TAD, evidence,
    regression, approval notices, appeal windows, actual costs, spend updates). The workflow
    sleeps until the next reminder, lapse or escalation, wakes early when a command changes the
    picture, and sends each notice through the `send_notice` activity, one at a time in order.
    Time is the business clock: `workflow.now()` plus an offset fixed at start (zero in
    production; a rehearsal runs a past release on a clock that starts today).
    """

    @workflow.init
    def __init__(self, input: ReleaseInput) -> None:
        self._input = input
        self._offset = timedelta(seconds=input.clock_offset_seconds)
        self._recorded_seq = input.recorded_seq
        if input.state is not None:
            self._state = input.state
        elif input.create is not None:
            create = input.create
            plan = ReleasePlan(create.id, create.name, create.type, create.go_live, create.ad_hoc)
            self._state = lifecycle.new_release(
                plan,
                actor=create.actor,
                now=self._now(),
                calendar=create.calendar,
                freezes=create.freezes,
                policy=create.policy,
                audit_sends=workflow.patched(AUDIT_SENDS),
            )
        else:
            raise ApplicationError(
                "A release starts with `create` or continues with `state`.", non_retryable=True
            )
        self._dirty = False
        self._delivering: str | None = None
        self._recording = False
        self._search: dict[str, object] = {}
        self._alarms: set[datetime] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._waited_enough = False
        self._stopping = False  # set before continue-as-new: start no new activity
        self._windows: set[str] = set()  # appeal windows this run started, still running

    # -- the business clock ------------------------------------------------------------------

    def _now(self) -> datetime:
        return workflow.now() + self._offset

    def _ctx(self) -> Context:
        return Context(self._now())

    # -- the main loop -------------------------------------------------------------------------

    @workflow.run
    async def run(self, input: ReleaseInput) -> ReleaseResult:
        if input.state is None:
            await self._signal(
                input.panel_workflow_id,
                "register",
                RegisterRelease(release_id=self._state.id, workflow_id=workflow.info().workflow_id),
            )
        deliveries = asyncio.create_task(self._deliver_notices())
        records = asyncio.create_task(self._record())
        while True:
            now = self._now()
            # Reminders and escalations join the audit trail; releases that started before this
            # change keep the old behaviour when they replay.
            tick(self._state, now, audit_sends=workflow.patched(AUDIT_SENDS))
            self._sync_search_attributes(now)
            if is_ended(self._state):
                break
            if self._should_continue_as_new():
                await self._continue_as_new(deliveries, records)
            wake = next_wake(self._state, now)
            if wake is not None:
                self._set_alarm(wake, "next deadline event")
            self._dirty = False
            await workflow.wait_condition(lambda: self._dirty or self._should_continue_as_new())
        # Ended: let every notice and record go out, then file the full record and stop.
        await workflow.wait_condition(lambda: self._all_delivered() and self._all_recorded())
        await self._hold_for_appeal_windows()
        final = build_status(self._state, self._now())
        await self._record_now(final)
        await self._signal(
            input.panel_workflow_id,
            "unregister",
            RegisterRelease(release_id=self._state.id, workflow_id=workflow.info().workflow_id),
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        deliveries.cancel()
        records.cancel()
        return ReleaseResult(status=final)

    async def _stop_waiting_after(self, delay: timedelta) -> None:
        await workflow.sleep(delay, summary="continue-as-new grace period")
        self._waited_enough = True

    def _set_alarm(self, at: datetime, summary: str) -> None:
        """Wake the main loop at `at` (business time) unless an alarm already wakes it sooner.

        Timers are never cancelled: an alarm that has become early or useless just wakes the loop,
        which recomputes. (Cancelling a timer races with its firing.)
        """
        if any(existing <= at for existing in self._alarms):
            return
        self._alarms.add(at)
        self._spawn(self._alarm(at, summary))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` alongside the main loop, holding a reference only until it is done."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _alarm(self, at: datetime, summary: str) -> None:
        await workflow.sleep(at - self._now(), summary=summary)
        self._alarms.discard(at)
        self._dirty = True

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self._input.max_history_events
            or info.get_current_history_size() >= self._input.max_history_bytes
        )

    async def _continue_as_new(self, *loops: asyncio.Task[None]) -> None:
        # Let handlers finish and any in-flight delivery complete, so the next run starts clean;
        # a delivery still retrying is re-issued by the next run under the same key.
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._hold_for_appeal_windows()
        self._stopping = True
        self._spawn(self._stop_waiting_after(timedelta(minutes=1)))
        await workflow.wait_condition(
            lambda: (self._delivering is None and not self._recording) or self._waited_enough
        )
        for loop in loops:
            loop.cancel()
        self._state.runs += 1
        workflow.continue_as_new(
            ReleaseInput(
                state=self._state,
                clock_offset_seconds=self._input.clock_offset_seconds,
                max_history_events=self._input.max_history_events,
                max_history_bytes=self._input.max_history_bytes,
                recorded_seq=self._recorded_seq,
                panel_workflow_id=self._input.panel_workflow_id,
                hold_for_appeal_windows=self._input.hold_for_appeal_windows,
                notice_heartbeat_seconds=self._input.notice_heartbeat_seconds,
            )
        )

    # -- notices, one at a time in order ---------------------------------------------------------

    def _next_undelivered(self) -> SentNotice | None:
        return next((n for n in self._state.notices if n.delivery is not Delivery.SENT), None)

    def _all_delivered(self) -> bool:
        return self._next_undelivered() is None

    async def _deliver_notices(self) -> None:
        while True:
            await workflow.wait_condition(
                lambda: not self._stopping and self._next_undelivered() is not None
            )
            notice = self._next_undelivered()
            if notice is None:
                continue
            self._delivering = notice.key
            request = NoticeRequest(
                release_id=self._state.id,
                release_name=self._state.name,
                go_live=self._state.go_live,
                notice=notice,
            )
            await workflow.execute_activity(
                "send_notice",
                request,
                result_type=NoticeReceipt,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                heartbeat_timeout=timedelta(seconds=self._input.notice_heartbeat_seconds),
                retry_policy=RETRY_FOR_EVER,
                summary=notice.subject[:200],
            )
            notice.delivery = Delivery.SENT
            self._delivering = None

    # -- the register and audit trail in the store -------------------------------------------

    def _all_recorded(self) -> bool:
        return not self._recording and (
            not self._state.audit or self._state.audit[-1].seq <= self._recorded_seq
        )

    def _record_request(self, final: ReleaseStatus | None = None) -> RecordRequest:
        state = self._state
        return RecordRequest(
            release_id=state.id,
            name=state.name,
            type=state.type,
            phase=phase(state, self._ctx().today).value,
            go_live=state.go_live,
            lapsed=has_lapsed(state),
            audit=[a for a in state.audit if a.seq > self._recorded_seq],
            final=final,
            closed_on=state.closed_on or state.cancelled_on,
        )

    async def _record(self) -> None:
        while True:
            await workflow.wait_condition(lambda: not self._stopping and not self._all_recorded())
            await self._record_now()

    async def _record_now(self, final: ReleaseStatus | None = None) -> None:
        self._recording = True
        request = self._record_request(final)
        # The register write is short and idempotent (by release and audit seq): a local activity
        # spares the server a task per accepted command. If the store is away, a regular activity
        # takes over and retries until it is back (a local one would hold the workflow task).
        # Runs started before this change keep the old way.
        if workflow.patched(RECORD_LOCALLY):
            try:
                await workflow.execute_local_activity(
                    "record_release",
                    request,
                    start_to_close_timeout=timedelta(seconds=20),
                    retry_policy=RetryPolicy(
                        maximum_attempts=2, initial_interval=timedelta(seconds=1)
                    ),
                )
            except ActivityError:
                await self._record_durably(request)
        else:
            await self._record_durably(request)
        if request.audit:
            self._recorded_seq = max(self._recorded_seq, request.audit[-1].seq)
        self._recording = False

    async def _record_durably(self, request: RecordRequest) -> None:
        await workflow.execute_activity(
            "record_release",
            request,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY_FOR_EVER,
        )

    # -- search attributes -----------------------------------------------------------------------

    def _sync_search_attributes(self, now: datetime) -> None:
        state = self._state
        wanted: dict[str, object] = {
            search.PHASE.name: phase(state, Context(now).today).value,
            search.RELEASE_TYPE.name: state.type.value,
            search.GO_LIVE.name: london(state.go_live),
            search.LAPSED.name: has_lapsed(state),
            search.OWES.name: owing_roles(state, now),
        }
        if wanted == self._search:
            return
        self._search = wanted
        workflow.upsert_search_attributes(
            [
                search.PHASE.value_set(str(wanted[search.PHASE.name])),
                search.RELEASE_TYPE.value_set(state.type.value),
                search.GO_LIVE.value_set(london(state.go_live)),
                search.LAPSED.value_set(has_lapsed(state)),
                search.OWES.value_set(owing_roles(state, now)),
            ]
        )

    # -- commands --------------------------------------------------------------------------------

    @workflow.update(name="act")
    async def act(self, request: ActRequest) -> ActResult:
        """Apply one lifecycle command (validated first by `validate_act`)."""
        ctx = self._ctx()
        try:
            outcome = lifecycle.apply(self._state, request.actor, request.command, ctx)
        except Refused as exc:  # a race with another handler since validation
            raise refusal(exc) from exc
        self._dirty = True
        await self._perform(outcome.effects, ctx)
        return ActResult(
            summary=outcome.summary,
            phase=phase(self._state, ctx.today).value,
            rid_version=self._state.rid_version,
        )

    @act.validator
    def validate_act(self, request: ActRequest) -> None:
        try:
            lifecycle.validate(self._state, request.actor, request.command, self._ctx())
        except Refused as exc:
            raise refusal(exc) from exc

    @workflow.signal(name="act")
    async def act_signal(self, request: ActRequest) -> None:
        """The same commands, fire-and-forget: a refusal is recorded in the audit trail."""
        ctx = self._ctx()
        try:
            lifecycle.validate(self._state, request.actor, request.command, ctx)
        except Refused as exc:
            lifecycle.refuse_signal(self._state, request.actor, request.command, ctx, exc.sentence)
            self._dirty = True
            return
        outcome = lifecycle.apply(self._state, request.actor, request.command, ctx)
        self._dirty = True
        await self._perform(outcome.effects, ctx)

    async def _perform(self, effects: list[lifecycle.Effect], ctx: Context) -> None:
        for effect in effects:
            match effect:
                case lifecycle.StartAppealWindow(window=window):
                    await self._start_appeal_window(window)
                case lifecycle.ForwardAppeal(version=version, appeal=appeal):
                    await self._signal(self._window_id(version), "lodge", appeal)
                case lifecycle.ForwardDetermination(version=version, upheld=upheld, notes=notes):
                    determination = Determination(upheld=upheld, notes=notes, on=ctx.today)
                    delivered = await self._signal(
                        self._window_id(version), "determine", determination
                    )
                    if delivered:
                        # The window reports the outcome back by signal; wait for it.
                        await workflow.wait_condition(
                            lambda: self._window_status(version) in DETERMINED
                        )
                    else:  # the window's workflow is gone: apply the determination here
                        status = AppealStatus.UPHELD if upheld else AppealStatus.OVERTURNED
                        lifecycle.apply_appeal_outcome(self._state, version, status, notes, ctx)
                        refresh_deadlines(self._state, ctx.now)
                case lifecycle.ReleaseEnded():
                    for window in self._state.appeals:
                        if window.status in (AppealStatus.OPEN, AppealStatus.REFERRED):
                            await self._signal(window.workflow_id, "release_ended", None)

    def _window_id(self, version: str) -> str:
        return next(w.workflow_id for w in self._state.appeals if w.version == version)

    def _window_status(self, version: str) -> AppealStatus | None:
        return next((w.status for w in self._state.appeals if w.version == version), None)

    async def _start_appeal_window(self, window: AppealWindow) -> None:
        workflow_id = window.workflow_id
        try:
            handle = await workflow.start_child_workflow(
                AppealWindowWorkflow.run,
                AppealWindowInput(
                    release_id=self._state.id,
                    release_name=self._state.name,
                    parent_workflow_id=workflow.info().workflow_id,
                    version=window.version,
                    published_on=window.published_on,
                    closes_on=window.closes_on,
                    clock_offset_seconds=self._input.clock_offset_seconds,
                ),
                id=workflow_id,
                # The window outlives this run when the release continues as new.
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except Exception as exc:  # e.g. already started by an earlier attempt
            workflow.logger.warning("appeal window %s not started: %s", workflow_id, exc)
            return
        self._spawn(self._watch_window(workflow_id, handle))

    async def _hold_for_appeal_windows(self) -> None:
        if self._input.hold_for_appeal_windows:
            await workflow.wait_condition(lambda: not self._windows)

    async def _watch_window(
        self,
        workflow_id: str,
        handle: workflow.ChildWorkflowHandle[AppealWindowWorkflow, AppealWindowView],
    ) -> None:
        self._windows.add(workflow_id)
        try:
            await handle
        except Exception as exc:  # a window that failed or was terminated has ended
            workflow.logger.warning("appeal window %s ended abnormally: %s", workflow_id, exc)
        finally:
            self._windows.discard(workflow_id)
            self._dirty = True

    async def _signal(self, workflow_id: str, name: str, arg: object) -> bool:
        """Signal another workflow by id; False (logged) when it is not there."""
        try:
            handle = workflow.get_external_workflow_handle(workflow_id)
            await handle.signal(name, arg)
        except Exception as exc:
            workflow.logger.warning("signal %s to %s failed: %s", name, workflow_id, exc)
            return False
        return True

    # -- messages from the Panel and from appeal windows ---------------------------------------

    @workflow.signal
    def freezes(self, sync: FreezeSync) -> None:
        """The Panel's change freezes (Panel-wide; validators read them, no I/O)."""
        if lifecycle.learn_freezes(self._state, sync.freezes):
            self._dirty = True

    @workflow.signal
    def appeal_outcome(self, outcome: AppealOutcome) -> None:
        """An appeal window's report: closed unchallenged or referred, or the determination."""
        ctx = self._ctx()
        status = outcome.status
        window = next((w for w in self._state.appeals if w.version == outcome.version), None)
        if status is AppealStatus.UNCHALLENGED and window is not None and window.appeals:
            status = (
                AppealStatus.REFERRED
            )  # an appeal this release recorded reached the window late
        summary = lifecycle.apply_appeal_outcome(
            self._state, outcome.version, status, outcome.notes, ctx
        )
        if summary:
            refresh_deadlines(self._state, ctx.now)
            audit(
                self._state,
                ctx.now,
                f"appeal window {outcome.version}",
                f"appeal {status.value}",
                summary,
            )
            self._dirty = True

    # -- queries ---------------------------------------------------------------------------------

    @workflow.query
    def status(self) -> ReleaseStatus:
        """The status of CLI.md `status --json`."""
        return build_status(self._state, self._now())

    @workflow.query
    def state(self) -> ReleaseState:
        """The whole state (for documents and rehearsals)."""
        return self._state


def initial_search_attributes(create_type: str, go_live: datetime) -> TypedSearchAttributes:
    """Search attributes set at start, so `list` sees a release before its first task runs."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(search.PHASE, "DRAFTING"),
            SearchAttributePair(search.RELEASE_TYPE, create_type),
            SearchAttributePair(search.GO_LIVE, go_live),
            SearchAttributePair(search.LAPSED, False),
            SearchAttributePair(search.OWES, []),
        ]
    )
