"""`ReleaseWorkflow`: one SEC Release, from creation to closing, as one durable workflow."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy, SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from rules import appeals, boundary, pipeline
    from rules.clock import london
    from rules.context import Context
    from rules.errors import Refused
    from rules.outcome import (
        Effect,
        ForwardAppeal,
        ForwardDetermination,
        ReleaseEnded,
        StartAppealWindow,
    )
    from rules.queries import phase
    from rules.redates_and_waivers import learn_freezes
    from rules.release_calendar import ReleasePlan
    from rules.seal import check_seal, remember
    from rules.status import build_status, has_lapsed, owing_roles, portfolio_facts
    from rules.tracking import is_ended, next_wake, tick
    from schemas.commands import ActRequest, ActResult
    from schemas.seal import TrustedKey
    from schemas.state import (
        AppealStatus,
        AppealWindow,
        Delivery,
        Freeze,
        Notice,
        ReleaseState,
    )
    from schemas.status import PortfolioFacts, ReleaseStatus
    from schemas.text import MAX_PAYLOAD_BYTES, TEXT, excerpt, sentence_of
    from schemas.workflow_io import (
        AppealOutcome,
        AppealWindowInput,
        AppealWindowView,
        Determination,
        FreezeSync,
        NoticeReceipt,
        NoticeRequest,
        NoticesReceipt,
        NoticesRequest,
        PanelFreezesRequest,
        RecordReceipt,
        RecordRequest,
        RegisterRelease,
        ReleaseInput,
        ReleaseResult,
    )
    from workflows import search
    from workflows.appeal import AppealWindowWorkflow
    from workflows.panel import MAX_FREEZES

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
# Messages between our own workflows are hints, never facts: the release closes its appeal
# windows from its own record and clock, applies determinations itself, and reads the Panel's
# freezes from the Panel workflow. Runs started before this change keep the old way.
APPEAL_TRUTH = "appeal-windows-decided-by-the-release"
FREEZE_TRUTH = "freezes-read-from-the-panel"
# The escalation ladder has a top (levels repeat there), and after an at-once level 1 the next
# level follows a step of Working Days later (SPEC section 4): it changes the timers and notices
# of a running release, so runs started before it keep the old schedule.
LADDER = "escalation-ladder-top"
# Continue-as-new for size counts what a run has grown by, never what it started with.
GROWTH_NOT_SIZE = "continue-as-new-on-growth"
# The rules a careful Panel would want (issue 15): stricter GO, changes since a baseline,
# waivers mailed, stale notices and early UIT starts refused. Runs recorded before them keep
# the rules they were recorded with.
CAREFUL_PANEL = "careful-panel-rules"
# What each role owes is derived from the lifecycle (rules.owed, issue 15). The status query
# shows it to every release; the roles upserted as SecOwes change only for runs that took this
# decision, so older histories replay with the upserts they recorded.
OWED_FROM_THE_LIFECYCLE = "owed-from-the-lifecycle"
# Commands, and the creation itself, must carry the front door's signature (ACCESS.md). Runs
# started before this change accept unsigned commands until they next continue as new.
SIGNED = "commands-signed-by-the-front-door"
FORGED = "ForgedStart"
# The phase a refused start leaves in visibility, so `list` never shows it as a release.
REFUSED_PHASE = "REFUSED"
# A run held for its appeal windows before continuing as new (the time-skipping server only)
# went on sending reminders; before this change it slept through them until the windows closed.
TICK_WHILE_HOLDING = "remind-while-holding-for-appeal-windows"
UNDELIVERABLE = "Undeliverable"
# The failure type Temporal gives a signal to a workflow that is not running (any more).
GONE = "ExternalWorkflowExecutionNotFound"
# Each record in the register carries what the portfolio shows (name, RID version, freeze,
# open deadlines), so the web portfolio reads the register instead of every release's status.
PORTFOLIO_IN_REGISTER = "portfolio-facts-in-the-register"
# The notices a wake queues go out in one `send_notices` activity, in order, instead of one
# `send_notice` activity each (n + 2 activations a wake become about 3). Runs started before
# this change keep sending them one at a time.
BATCHED_NOTICES = "notices-delivered-in-batches"
# At most this many notices in one `send_notices` (a release created late queues a dozen at
# once; a batch's payload and its start-to-close timeout stay modest). The rest go in the next.
MAX_NOTICES_PER_BATCH = 25
# A run never continues as new for size before this many events, whatever its size.
MIN_EVENTS_BEFORE_CONTINUING = 100
# A command is answered before its audit entry reaches the register: the record waits up to
# RECORD_WINDOW for more commands, so a burst is written in one record (the register trails the
# release by about that much while commands arrive). What the front door reads from the
# register is still written before the answer: the portfolio's facts when a command changes
# them, and everything once the release has ended. Runs started before this change record
# after every command, before answering it.
RECORD_IN_BATCHES = "record-commands-in-batches"
RECORD_WINDOW = timedelta(seconds=1)
# The release reads the Panel's freezes only when a `freezes` hint names a list other than the
# one it holds: not once at start (its creation carried the freezes the front door read and
# signed), and not when the Panel's push on registration repeats them. A hint is still never
# taken on its word: a list that differs is read from the Panel, a false one audited. Runs
# started before this change read at start and on every hint (three Panel queries a creation,
# which stalled the one Panel workflow at a thousand releases).
FREEZES_READ_ON_DIFFERENCE = "freezes-read-only-when-a-hint-differs"
# One patch for all of the above. Every `workflow.patched` call a run makes writes a marker and a
# TemporalChangeVersion search-attribute upsert, and a new release made fourteen of them, a large
# part of what a creation costs. A run that takes GENERATION (asked first, in `__init__`, so a run
# recorded before it has already answered False while it replays) has every patch in
# GENERATION_PATCHES on without asking for it: one marker. A run recorded before GENERATION asks
# for each as it always did, in the same places and order, so its history replays unchanged. A
# patch added later is not in the set: it is asked for on its own in every run, since runs that
# took this generation were recorded without it. GENERATION also reads the trusted keys with a
# local activity (`_load_keys`): no history recorded before it had GENERATION, so no patch more.
GENERATION = "release-generation-2026-12"
GENERATION_PATCHES = frozenset(
    {
        AUDIT_SENDS,
        RECORD_LOCALLY,
        APPEAL_TRUTH,
        FREEZE_TRUTH,
        LADDER,
        GROWTH_NOT_SIZE,
        CAREFUL_PANEL,
        OWED_FROM_THE_LIFECYCLE,
        SIGNED,
        TICK_WHILE_HOLDING,
        PORTFOLIO_IN_REGISTER,
        BATCHED_NOTICES,
        RECORD_IN_BATCHES,
        FREEZES_READ_ON_DIFFERENCE,
    }
)


def read_request(raw: RawValue) -> ActRequest:
    """Decode one command from its payload, refusing oversized or malformed input in a sentence.

    The size is checked before anything is decoded; the models carry every other limit.
    """
    size = len(raw.payload.data)
    if size > MAX_PAYLOAD_BYTES:
        raise Refused(
            f"The command is {size:,} bytes long; the limit is {MAX_PAYLOAD_BYTES:,} bytes."
        )
    try:
        return workflow.payload_converter().from_payload(raw.payload, ActRequest)
    except ValidationError as exc:
        raise Refused(sentence_of(exc)) from None
    except Exception as exc:  # not JSON, wrong encoding, ...
        raise Refused(
            f"The command could not be read ({excerpt(str(exc), 120)}); send an ActRequest as JSON."
        ) from None


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
    picture, and sends the notices a wake queued through one `send_notices` activity, in order
    (runs started before that change: one `send_notice` activity per notice).
    Time is the business clock: `workflow.now()` plus an offset fixed at start (zero in
    production; a rehearsal runs a past release on a clock that starts today).
    """

    @workflow.init
    def __init__(self, input: ReleaseInput) -> None:
        self._input = input
        # First, before any other patch (see GENERATION), on every path.
        self._generation = workflow.patched(GENERATION)
        self._offset = timedelta(seconds=input.clock_offset_seconds)
        self._recorded_seq = input.recorded_seq
        if input.state is not None:
            self._state = input.state
        elif input.create is not None:
            create = input.create
            plan = ReleasePlan(create.id, create.name, create.type, create.go_live, create.ad_hoc)
            self._state = pipeline.new_release(
                plan,
                actor=create.actor,
                now=self._now(),
                calendar=create.calendar,
                freezes=create.freezes,
                policy=create.policy,
                audit_sends=self._on(AUDIT_SENDS),
                ladder=self._on(LADDER),
            )
        else:
            raise ApplicationError(
                "A release starts with `create` or continues with `state`.", non_retryable=True
            )
        self._dirty = False
        self._delivering: str | None = None  # the (first) key being delivered
        self._batched_notices = False  # BATCHED_NOTICES, decided once per run in `run`
        self._recording = False
        self._search: dict[str, object] = {}
        self._alarms: set[datetime] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._waited_enough = False
        self._stopping = False  # set before continue-as-new: start no new activity
        self._windows: set[str] = set()  # appeal windows this run started, still running
        self._size_key: tuple[int, int, int] = (-1, -1, -1)
        self._size = 0
        self._freezes_stale = False
        self._freeze_claims: list[RawValue] = []  # what freezes signals said, to audit the false
        self._start_bytes = 0
        self._growth_not_size = False
        self._tick_while_holding = False
        # PORTFOLIO_IN_REGISTER (decided once per run in `run`): what the portfolio shows, as
        # last seen by the main loop, and whether it changed since the last record.
        self._portfolio_in_register = False
        self._portfolio_seen: dict[str, Any] | None = None
        self._portfolio_stale = False
        # RECORD_IN_BATCHES (decided once per run in `run`): whether a command arrived since
        # the last record, and the portfolio's facts as last recorded (keyed by audit seq).
        self._batch_records = False
        self._commands_unrecorded = False
        self._portfolio_recorded: dict[str, Any] | None = None
        self._portfolio_now: tuple[int, dict[str, Any]] | None = None
        self._careful_panel: bool | None = None
        self._owed_from_lifecycle: bool | None = None
        # Decided once per run, first thing in `run` (SIGNED); handlers wait for it.
        self._sealed: bool | None = None
        # A carried state brings its keys; a new release reads them in `run` before anything.
        self._keys_loaded = input.state is not None
        self._ticked = False  # the main loop has ticked once (see `_sealed_and_known`)

    # -- behaviour that changed under running releases ---------------------------------------

    def _on(self, patch_id: str) -> bool:
        """Whether this run has the change `patch_id`: on, without a marker, in a run that took
        GENERATION; otherwise `workflow.patched` as ever, which a query or a validator may not
        call (see `_careful`)."""
        if self._generation and patch_id in GENERATION_PATCHES:
            return True
        return workflow.patched(patch_id)

    @property
    def _appeal_truth(self) -> bool:
        return self._on(APPEAL_TRUTH)

    @property
    def _freeze_truth(self) -> bool:
        return self._on(FREEZE_TRUTH)

    @property
    def _freezes_on_difference(self) -> bool:
        return self._on(FREEZES_READ_ON_DIFFERENCE)

    def _careful(self) -> bool:
        """Whether this run applies the careful Panel's rules (decided once per run).

        A validator may not patch; it only runs live, where an undecided patch would be on.
        A run that took GENERATION has it on without asking, so a validator decides it too.
        """
        if self._careful_panel is None:
            if workflow.unsafe.is_read_only() and not self._generation:
                return True
            self._careful_panel = self._on(CAREFUL_PANEL)
        return self._careful_panel

    def _lifecycle_owed(self) -> bool:
        """Whether this run upserts SecOwes from the lifecycle's list (decided once per run, in
        the main loop: never in a query or a validator)."""
        if self._owed_from_lifecycle is None:
            self._owed_from_lifecycle = self._on(OWED_FROM_THE_LIFECYCLE)
        return self._owed_from_lifecycle

    @property
    def _ladder(self) -> bool:
        return self._on(LADDER)

    # -- the business clock ------------------------------------------------------------------

    def _now(self) -> datetime:
        return workflow.now() + self._offset

    def _ctx(self) -> Context:
        return Context(self._now(), careful_panel=self._careful())

    # -- the main loop -------------------------------------------------------------------------

    @workflow.run
    async def run(self, input: ReleaseInput) -> ReleaseResult:
        self._sealed = self._on(SIGNED)
        if self._sealed:
            await self._admit_run(input)
        self._growth_not_size = self._on(GROWTH_NOT_SIZE)
        self._tick_while_holding = self._on(TICK_WHILE_HOLDING)
        self._portfolio_in_register = self._on(PORTFOLIO_IN_REGISTER)
        self._batched_notices = self._on(BATCHED_NOTICES)
        self._batch_records = self._on(RECORD_IN_BATCHES)
        self._start_bytes = workflow.info().get_current_history_size()
        if input.state is None:
            await self._signal(
                input.panel_workflow_id,
                "register",
                RegisterRelease(release_id=self._state.id, workflow_id=workflow.info().workflow_id),
            )
        deliveries = asyncio.create_task(self._deliver_notices())
        records = asyncio.create_task(self._record())
        if self._freeze_truth:
            self._spawn(self._read_freezes(at_start=not self._freezes_on_difference))
        try:
            await self._live(deliveries, records)
        except asyncio.CancelledError:
            # `temporal workflow cancel`: the release records that an operator ended it, tells
            # SECAS and the Panel, files its record, and then ends as cancelled.
            boundary.cancelled_by_operator(self._state, self._ctx())
            await self._finish(input, deliveries, records)
            raise
        return await self._finish(input, deliveries, records)

    # -- what the front door signed ----------------------------------------------------------------

    async def _admit_run(self, input: ReleaseInput) -> None:
        """Fail at once a run no front door started: a forged, copied or replayed creation, or a
        carried state that is not this workflow's own continue-as-new."""
        info = workflow.info()
        if input.state is not None and info.continued_run_id is None:
            self._refuse_run(
                "A release's state is carried only by its own continue-as-new; this run was "
                "started with one by a client, so it is refused."
            )
        if input.state is not None:
            return  # its carried keys hold; a `keys_changed` hint has them read again
        await self._load_keys()
        try:
            check_seal(
                input.seal,
                purpose="create",
                target=info.workflow_id,
                body=input.signed_body(),
                keys=self._state.trusted_keys,
                now=self._now(),
                seen={},
            )
        except Refused as exc:
            self._refuse_run(exc.sentence)
        assert input.seal is not None
        key = next(k for k in self._state.trusted_keys if k.id == input.seal.key_id)
        if input.clock_offset_seconds and not key.rehearsal:
            self._refuse_run(
                "A release on a shifted business clock is started only by a rehearsal's own "
                "front door; this creation asks for one, so it is refused."
            )
        boundary.stamp_seal(self._state, input.seal, input.signed_body(), at_seq=1)

    def _refuse_run(self, sentence: str) -> None:
        workflow.upsert_search_attributes([search.PHASE.value_set(REFUSED_PHASE)])
        raise ApplicationError(f"Release refused: {sentence}", type=FORGED, non_retryable=True)

    async def _load_keys(self) -> None:
        """Read the keys this release's worker trusts (recorded in history, so replay agrees).

        A run that took GENERATION reads them with a local activity (a marker in the task that
        asked, instead of an activity task and a workflow task more at every creation); runs
        recorded before it read them with a regular activity.
        """
        execute = workflow.execute_local_activity if self._generation else workflow.execute_activity
        keys: list[TrustedKey] = await execute(
            "trusted_keys",
            result_type=list[TrustedKey],
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )
        self._state.trusted_keys = keys
        self._keys_loaded = True

    @workflow.signal(name="keys_changed")
    def keys_changed(self) -> None:
        """A hint that the trusted keys changed: the release reads them from its worker again."""
        if self._sealed:
            self._spawn(self._load_keys())

    def _check_seal(self, request: ActRequest) -> None:
        """Refuse a command the front door did not sign for this release, as it stands now."""
        if self._sealed is False:
            return  # a run started before signing: its commands were never signed
        if not self._keys_loaded and request.seal is not None and request.seal.signature:
            return  # checked by the handler once the keys are read (the run's first moments)
        check_seal(
            request.seal,
            purpose="act",
            target=workflow.info().workflow_id,
            body=request.signed_body(),
            keys=self._state.trusted_keys,
            now=self._now(),
            seen=self._state.seen_requests,
            actor=request.actor,
        )

    async def _sealed_and_known(self) -> None:
        """Wait until the keys are read and the run has caught up with its clock (its first
        reminders and escalations), so a command lands after them as it would have without
        the keys to read."""
        if self._sealed is None or (self._sealed and not (self._keys_loaded and self._ticked)):
            await workflow.wait_condition(
                lambda: (
                    self._sealed is False
                    or (bool(self._sealed) and self._keys_loaded and self._ticked)
                )
            )

    def _accept_seal(self, request: ActRequest) -> None:
        """Check again (the state may have changed since validation) and remember the id."""
        if not self._sealed:
            return
        self._check_seal(request)
        assert request.seal is not None
        remember(self._state.seen_requests, request.seal, self._now())

    async def _live(self, *loops: asyncio.Task[None]) -> None:
        """Sleep until the next thing due, wake for commands, until the release has ended."""
        while True:
            now = self._now()
            if self._appeal_truth:
                appeals.close_due_windows(self._state, self._ctx())
            # Reminders and escalations join the audit trail; releases that started before this
            # change keep the old behaviour when they replay.
            tick(self._state, now, audit_sends=self._on(AUDIT_SENDS), ladder=self._ladder)
            self._ticked = True
            self._sync_search_attributes(now)
            self._note_portfolio(now)
            if is_ended(self._state):
                return
            if self._continue_now():
                await self._continue_as_new(*loops)
            wake = next_wake(self._state, now, ladder=self._ladder)
            if wake is not None:
                self._set_alarm(wake, "next deadline event")
            self._dirty = False
            await workflow.wait_condition(lambda: self._dirty or self._continue_now())

    async def _finish(
        self, input: ReleaseInput, deliveries: asyncio.Task[None], records: asyncio.Task[None]
    ) -> ReleaseResult:
        """Ended: let every notice and record go out, then file the full record and stop."""
        self._sync_search_attributes(self._now())
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

    def _continue_now(self) -> bool:
        """Time to continue as new: not while a run that must wait for its appeal windows has
        any open (it keeps sending reminders meanwhile; runs from before waited asleep)."""
        if not self._should_continue_as_new():
            return False
        holding = self._input.hold_for_appeal_windows and bool(self._windows)
        return not (holding and self._tick_while_holding)

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        length = info.get_current_history_length()
        size = info.get_current_history_size()
        if not self._growth_not_size:
            return (
                info.is_continue_as_new_suggested()
                or length >= self._input.max_history_events
                or size >= self._input.max_history_bytes
            )
        if length >= self._input.max_history_events:
            return True
        # A run that has just started never continues as new again for size: a large carried
        # state would otherwise make every new run continue at once, for ever.
        if length < MIN_EVENTS_BEFORE_CONTINUING:
            return False
        return (
            info.is_continue_as_new_suggested()
            or size - self._start_bytes >= self._input.max_history_bytes
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
        boundary.compact_for_carry(self._state, self._recorded_seq)
        # Everything the run was given is carried, so a new input field cannot silently reset.
        workflow.continue_as_new(
            self._input.model_copy(
                update={"create": None, "state": self._state, "recorded_seq": self._recorded_seq}
            )
        )

    # -- notices, in order: a wake's worth at a time, or one at a time in older runs -------------

    def _next_undelivered(self) -> Notice | None:
        return next(
            (n for n in self._state.notices if n.delivery not in (Delivery.SENT, Delivery.FAILED)),
            None,
        )

    def _all_delivered(self) -> bool:
        return self._next_undelivered() is None

    async def _deliver_notices(self) -> None:
        if self._batched_notices:
            await self._deliver_batches()
            return
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
            try:
                await workflow.execute_activity(
                    "send_notice",
                    request,
                    result_type=NoticeReceipt,
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                    heartbeat_timeout=timedelta(seconds=self._input.notice_heartbeat_seconds),
                    retry_policy=RETRY_FOR_EVER,
                    summary=excerpt(notice.subject, 200),
                )
            except ActivityError as exc:
                cause = exc.cause
                if not (isinstance(cause, ApplicationError) and cause.type == UNDELIVERABLE):
                    raise
                # It can never be sent: mark it, tell SECAS, and go on with the next notice.
                boundary.undeliverable(self._state, self._ctx(), notice.key, cause.message)
                self._dirty = True
            else:
                notice.delivery = Delivery.SENT
            self._delivering = None

    def _undelivered(self) -> list[Notice]:
        """The next notices to send, in order (at most `MAX_NOTICES_PER_BATCH`)."""
        pending = (
            n for n in self._state.notices if n.delivery not in (Delivery.SENT, Delivery.FAILED)
        )
        return [n for _, n in zip(range(MAX_NOTICES_PER_BATCH), pending, strict=False)]

    async def _deliver_batches(self) -> None:
        """Send what is queued in one `send_notices` activity, then mark each notice by key:
        sent, or failed and reported to SECAS (whose report goes in the next batch, as it went
        after the notices already queued when it was sent one at a time)."""
        while True:
            await workflow.wait_condition(
                lambda: not self._stopping and self._next_undelivered() is not None
            )
            batch = self._undelivered()
            self._delivering = batch[0].key
            request = NoticesRequest(
                release_id=self._state.id,
                release_name=self._state.name,
                go_live=self._state.go_live,
                notices=batch,
            )
            more = f" (+{len(batch) - 1} more)" if len(batch) > 1 else ""
            receipt: NoticesReceipt = await workflow.execute_activity(
                "send_notices",
                request,
                result_type=NoticesReceipt,
                # Each delivery gives up within the one-notice timeout (activities/mail.py), so
                # an attempt gets that much per notice and a timed-out one has stopped sending.
                start_to_close_timeout=ACTIVITY_TIMEOUT * len(batch),
                heartbeat_timeout=timedelta(seconds=self._input.notice_heartbeat_seconds),
                retry_policy=RETRY_FOR_EVER,
                summary=excerpt(batch[0].subject, 180) + more,
            )
            failed = {u.key: u.sentence for u in receipt.undeliverable}
            for notice in batch:
                if notice.key in failed:
                    boundary.undeliverable(self._state, self._ctx(), notice.key, failed[notice.key])
                    self._dirty = True
                else:
                    notice.delivery = Delivery.SENT
            self._delivering = None

    # -- the register and audit trail in the store -------------------------------------------

    def _all_recorded(self) -> bool:
        return not self._recording and (
            not self._state.audit or self._state.audit[-1].seq <= self._recorded_seq
        )

    def _record_request(self, final: ReleaseStatus | None = None) -> RecordRequest:
        state = self._state
        portfolio = None
        if self._portfolio_in_register:
            portfolio = (
                PortfolioFacts.of(final)
                if final is not None
                else portfolio_facts(state, self._now())
            )
            self._portfolio_stale = False
            self._portfolio_recorded = portfolio.model_dump(exclude={"as_of"})
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
            portfolio=portfolio,
        )

    async def _record(self) -> None:
        while True:
            await workflow.wait_condition(
                lambda: not self._stopping and (not self._all_recorded() or self._portfolio_stale)
            )
            if self._batch_records and self._commands_unrecorded and not self._record_at_once():
                # Let the burst's answers go out; its entries are written together.
                with contextlib.suppress(asyncio.TimeoutError):
                    await workflow.wait_condition(
                        self._record_at_once,
                        timeout=RECORD_WINDOW,
                        timeout_summary="record a burst of commands",
                    )
                if self._stopping:
                    continue  # carried with the state: the next run records them
            await self._record_now()

    def _record_at_once(self) -> bool:
        """Whether what is unrecorded must reach the register before the answer goes out:
        the release has ended (its ended row and audit), the portfolio's facts moved (the
        portfolio reads them from the register; the main loop also marks a move no audit entry
        carries as stale), or the run is about to continue as new."""
        return (
            self._stopping
            or self._portfolio_stale
            or is_ended(self._state)
            or self._portfolio_moved()
        )

    def _portfolio_moved(self) -> bool:
        """Whether the portfolio's facts differ from those last recorded (worked out once per
        audit entry: a command always adds one, and the main loop catches the rest)."""
        if not self._portfolio_in_register:
            return False
        seq = self._state.audit[-1].seq if self._state.audit else 0
        if self._portfolio_now is None or self._portfolio_now[0] != seq:
            facts = portfolio_facts(self._state, self._now())
            self._portfolio_now = (seq, facts.model_dump(exclude={"as_of"}))
        return self._portfolio_now[1] != self._portfolio_recorded

    async def _record_now(self, final: ReleaseStatus | None = None) -> None:
        self._recording = True
        self._commands_unrecorded = False
        request = self._record_request(final)
        # The register write is short and idempotent (by release and audit seq): a local activity
        # spares the server a task per accepted command. If the store is away, a regular activity
        # takes over and retries until it is back (a local one would hold the workflow task).
        # Runs started before this change keep the old way.
        receipt: RecordReceipt | None
        if self._on(RECORD_LOCALLY):
            try:
                receipt = await workflow.execute_local_activity(
                    "record_release",
                    request,
                    result_type=RecordReceipt | None,  # type: ignore[arg-type]
                    start_to_close_timeout=timedelta(seconds=20),
                    retry_policy=RetryPolicy(
                        maximum_attempts=2, initial_interval=timedelta(seconds=1)
                    ),
                )
            except ActivityError:
                receipt = await self._record_durably(request)
        else:
            receipt = await self._record_durably(request)
        if request.audit:
            self._recorded_seq = max(self._recorded_seq, request.audit[-1].seq)
        # The store held other entries under these numbers: the workflow was reset.
        if receipt is not None and boundary.audit_diverged(
            self._state, self._ctx(), receipt.diverged
        ):
            self._dirty = True
        self._recording = False

    def _note_portfolio(self, now: datetime) -> None:
        """Record again when what the portfolio shows changed with no audit entry to carry it
        (a freeze learnt from the Panel, a deadline redated by one)."""
        if not self._portfolio_in_register:
            return
        seen = portfolio_facts(self._state, now).model_dump(exclude={"as_of"})
        if self._portfolio_seen is not None and seen != self._portfolio_seen:
            self._portfolio_stale = True
        self._portfolio_seen = seen

    async def _record_durably(self, request: RecordRequest) -> RecordReceipt | None:
        receipt: RecordReceipt | None = await workflow.execute_activity(
            "record_release",
            request,
            result_type=RecordReceipt | None,  # type: ignore[arg-type]
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY_FOR_EVER,
        )
        return receipt

    # -- search attributes -----------------------------------------------------------------------

    def _sync_search_attributes(self, now: datetime) -> None:
        state = self._state
        owing = owing_roles(state, now, lifecycle=self._lifecycle_owed())
        wanted: dict[str, object] = {
            search.PHASE.name: phase(state, Context(now).today).value,
            search.RELEASE_TYPE.name: state.type.value,
            search.GO_LIVE.name: london(state.go_live),
            search.LAPSED.name: has_lapsed(state),
            search.OWES.name: owing,
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
                search.OWES.value_set(owing),
            ]
        )

    # -- commands --------------------------------------------------------------------------------

    @workflow.update(name="act")
    async def act(self, raw: RawValue) -> ActResult:
        """Apply one lifecycle command (`ActRequest`, validated first by `validate_act`)."""
        await self._sealed_and_known()
        ctx = self._ctx()
        try:
            request = read_request(raw)
            self._accept_seal(request)
            outcome = pipeline.apply(self._state, request.actor, request.command, ctx)
        except Refused as exc:  # a race with another handler since validation
            raise refusal(exc) from exc
        self._stamp(request)
        self._dirty = True
        self._commands_unrecorded = True
        await self._perform(outcome.effects, ctx)
        return ActResult(
            summary=outcome.summary,
            phase=phase(self._state, ctx.today).value,
            rid_version=self._state.rid_version,
        )

    @act.validator
    def validate_act(self, raw: RawValue) -> None:
        try:
            request = self._admit(raw)
            self._check_seal(request)
            pipeline.validate(self._state, request.actor, request.command, self._ctx())
        except Refused as exc:
            raise refusal(exc) from exc

    def _stamp(self, request: ActRequest) -> None:
        if self._sealed and request.seal is not None:
            boundary.stamp_seal(self._state, request.seal, request.signed_body())

    def _admit(self, raw: RawValue) -> ActRequest:
        """The command, read within its size, if the release has room to record it."""
        request = read_request(raw)
        full = boundary.check_room(self._state_bytes(), len(raw.payload.data))
        if full:
            raise Refused(full)
        return request

    def _state_bytes(self) -> int:
        """The state's size as JSON, recomputed only when its record has grown."""
        state = self._state
        key = (len(state.audit), len(state.notices), len(state.modifications))
        if key != self._size_key:
            self._size_key = key
            self._size = len(state.model_dump_json())
        return self._size

    @workflow.signal(name="act")
    async def act_signal(self, raw: RawValue) -> None:
        """The same commands, fire-and-forget: a refusal is recorded in the audit trail.

        Refusals are audited with bounded excerpts, up to a budget (then counted), so a flood
        of hostile signals cannot grow the release's record without bound.
        """
        await self._sealed_and_known()
        self._commands_unrecorded = True  # whatever it leaves in the audit trail
        ctx = self._ctx()
        try:
            request = self._admit(raw)
        except Refused as exc:
            boundary.record_refusal(
                self._state, ctx, "unknown", "unreadable command", exc.sentence, outcome="refused"
            )
            self._dirty = True
            return
        try:
            self._accept_seal(request)
        except Refused as exc:  # not signed by the front door for this release, now
            boundary.record_refusal(
                self._state,
                ctx,
                str(request.actor),
                pipeline.command_line(request.command),
                exc.sentence,
                outcome="refused",
            )
            self._dirty = True
            return
        try:
            pipeline.validate(self._state, request.actor, request.command, ctx)
        except Refused as exc:
            if boundary.record_refusal(
                self._state,
                ctx,
                str(request.actor),
                pipeline.command_line(request.command),
                exc.sentence,
                outcome="refused",
            ):
                self._stamp(request)
            self._dirty = True
            return
        outcome = pipeline.apply(self._state, request.actor, request.command, ctx)
        self._stamp(request)
        self._dirty = True
        await self._perform(outcome.effects, ctx)

    async def _perform(self, effects: list[Effect], ctx: Context) -> None:
        for effect in effects:
            match effect:
                case StartAppealWindow(window=window):
                    await self._start_appeal_window(window)
                case ForwardAppeal(version=version, appeal=appeal):
                    await self._signal(self._window_id(version), "lodge", appeal)
                case ForwardDetermination(version=version, upheld=upheld, notes=notes):
                    determination = Determination(upheld=upheld, notes=notes, on=ctx.today)
                    if self._appeal_truth:
                        # The release holds the determination; the window is only told.
                        appeals.determine_appeal(self._state, version, upheld, notes, ctx)
                        await self._signal(self._window_id(version), "determine", determination)
                        continue
                    delivered = await self._signal(
                        self._window_id(version), "determine", determination
                    )
                    if delivered:
                        # The window reports the outcome back by signal; wait for it.
                        await workflow.wait_condition(
                            lambda: self._window_status(version) in DETERMINED
                        )
                    else:  # the window's workflow is gone: the release applies it
                        appeals.determine_without_window(self._state, version, upheld, notes, ctx)
                case ReleaseEnded():
                    if self._appeal_truth:
                        continue  # windows end by their own clock; nothing to tell them
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
                    release_decides=self._appeal_truth,
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
        except ApplicationError as exc:
            if exc.type == GONE:  # e.g. a determination for a window that has closed: expected
                workflow.logger.info("signal %s not sent: %s has ended", name, workflow_id)
            else:
                workflow.logger.warning("signal %s to %s failed: %s", name, workflow_id, exc)
            return False
        except Exception as exc:
            workflow.logger.warning("signal %s to %s failed: %s", name, workflow_id, exc)
            return False
        return True

    # -- messages from the Panel and from appeal windows ---------------------------------------

    @workflow.signal(name="freezes")
    def freezes(self, raw: RawValue) -> None:
        """A hint that the Panel's change freezes changed: the release reads them from the Panel.

        Runs started before this change take the list in the signal (`FreezeSync`) as it is.
        """
        if not self._freeze_truth:
            try:
                sync = workflow.payload_converter().from_payload(raw.payload, FreezeSync)
            except Exception as exc:
                workflow.logger.warning("unreadable freezes signal dropped: %s", exc)
                return
            if learn_freezes(self._state, sync.freezes):
                self._dirty = True
            return
        if self._freezes_on_difference and _freezes_claimed(raw) == self._state.freezes:
            return  # nothing it could teach: the release holds that list already
        if len(self._freeze_claims) < 10:
            self._freeze_claims.append(raw)
        self._freezes_stale = True

    async def _read_freezes(self, *, at_start: bool) -> None:
        """Read the Panel's freezes whenever a hint says they changed (and once at start, in
        runs from before FREEZES_READ_ON_DIFFERENCE)."""
        self._freezes_stale = at_start
        while True:
            await workflow.wait_condition(lambda: self._freezes_stale and not self._stopping)
            self._freezes_stale = False
            claims, self._freeze_claims = self._freeze_claims, []
            truth: FreezeSync | None = await workflow.execute_activity(
                "read_panel_freezes",
                PanelFreezesRequest(panel_workflow_id=self._input.panel_workflow_id),
                result_type=FreezeSync | None,  # type: ignore[arg-type]
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
            )
            if truth is None:
                continue  # no Panel workflow yet: no freezes to learn
            if learn_freezes(self._state, truth.freezes):
                self._dirty = True
            ctx = self._ctx()
            for claim in claims:
                said = _freezes_claimed(claim)
                if said != truth.freezes:
                    boundary.record_refusal(
                        self._state,
                        ctx,
                        "unknown sender",
                        "signal freezes",
                        "Ignored: the signal's change freezes are not the Panel's; the release "
                        f"took the Panel's own list ({len(truth.freezes)} freeze(s)).",
                        outcome="ignored",
                    )
                    self._dirty = True

    @workflow.signal(name="appeal_outcome")
    def appeal_outcome(self, raw: RawValue) -> None:
        """An appeal window's report: a hint to look at the release's own record of the window.

        Runs started before this change apply the reported outcome as it is.
        """
        ctx = self._ctx()
        try:
            outcome = workflow.payload_converter().from_payload(raw.payload, AppealOutcome)
        except Exception:
            outcome = None
        if self._appeal_truth:
            appeals.close_due_windows(self._state, ctx)
            why = appeals.disbelieved_report(self._state, outcome)
            if why is not None:
                boundary.record_refusal(
                    self._state,
                    ctx,
                    "unknown sender",
                    "signal appeal_outcome",
                    why,
                    outcome="ignored",
                )
            self._dirty = True
            return
        if outcome is not None and appeals.apply_reported_outcome(self._state, outcome, ctx):
            self._dirty = True

    @workflow.update(name="admitted")
    async def admitted(self) -> ReleaseStatus:
        """Answers once the run has been admitted (its creation's signature checked), has told
        the Panel and caught up with its clock: what `release create` waits for."""
        await workflow.wait_condition(lambda: self._ticked)
        return build_status(self._state, self._now())

    # -- queries ---------------------------------------------------------------------------------

    @workflow.query
    def status(self) -> ReleaseStatus:
        """The status of CLI.md `status --json`."""
        return build_status(self._state, self._now())

    @workflow.query
    def state(self) -> ReleaseState:
        """The whole state (for documents and rehearsals)."""
        return self._state


# The largest `freezes` hint the Panel sends: its most freezes, each with the longest reason (in
# UTF-8, up to 4 bytes a character). Every hint is read in the signal handler (to see whether it
# differs), so a larger one is taken for a false claim without being decoded.
MAX_FREEZES_HINT_BYTES = MAX_FREEZES * (4 * TEXT + 256)


def _freezes_claimed(raw: RawValue) -> list[Freeze] | None:
    if len(raw.payload.data) > MAX_FREEZES_HINT_BYTES:
        return None
    try:
        return workflow.payload_converter().from_payload(raw.payload, FreezeSync).freezes
    except Exception:
        return None


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
