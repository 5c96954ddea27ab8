"""The client side of sec-release: connect, create a release, send commands, read status.

The CLI, `rehearse` and the tests all go through these functions, so a refusal reads the same
everywhere: a rule's sentence becomes `Refused`, a missing server or release a clear sentence.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import (
    Client,
    TLSConfig,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from rules.clock import london, london_today
from rules.errors import Refused
from rules.release_calendar import ReleasePlan, no_such_release, plan_release, same_day_ids
from rules.workdays import WorkingDayCalendar, bank_holidays
from schemas.base import Actor
from schemas.commands import ActRequest, ActResult, Command
from schemas.principal import Principal
from schemas.seal import Purpose, Seal
from schemas.state import Freeze, Policy, ReleaseState, WorkingDays
from schemas.status import ReleaseStatus
from schemas.vocabulary import ReleaseType
from schemas.workflow_io import (
    PANEL_WORKFLOW_ID,
    CreateRelease,
    FreezeRequest,
    PanelInput,
    PanelView,
    ReleaseInput,
    ReleaseResult,
    release_workflow_id,
)
from settings import Settings
from starter.errors import Unavailable
from starter.keys import Signer, stand_in

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine
from workflows import search
from workflows.panel import PanelWorkflow
from workflows.release import ReleaseWorkflow, initial_search_attributes

# The calendar a release holds: a year before its creation to ten years after its go-live,
# wide enough for any re-date a Panel would approve.
CALENDAR_YEARS_BEFORE = 1
CALENDAR_YEARS_AFTER = 10
# An ad hoc release named by its day alone may take a letter when the day's id is taken.
_AD_HOC_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Connection:
    address: str = "localhost:7233"
    namespace: str = "default"
    tls: bool = False
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_ca: str | None = None
    api_key: str | None = None


_RUNTIME_SET = False


def configure_runtime(core_level: str = "ERROR") -> None:
    """Send Temporal core's own log lines through Python logging (stderr), not stdout.

    The core writes to stdout by default, which would break `--json` (one document on stdout).
    Commands keep only its errors; `up` and `worker` call this with "WARN" first.
    """
    global _RUNTIME_SET
    if _RUNTIME_SET:
        return
    import logging

    from temporalio.runtime import (
        LogForwardingConfig,
        LoggingConfig,
        Runtime,
        TelemetryConfig,
        TelemetryFilter,
    )

    logging_config = LoggingConfig(
        filter=TelemetryFilter(core_level=core_level, other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
    )
    Runtime.set_default(
        Runtime(telemetry=TelemetryConfig(logging=logging_config)), error_if_already_set=False
    )
    _RUNTIME_SET = True


async def connect(conn: Connection) -> Client:
    """A client with the pydantic converter; a server that is not there becomes one sentence."""
    configure_runtime()
    tls: TLSConfig | bool = conn.tls or conn.api_key is not None
    if conn.tls_cert or conn.tls_key or conn.tls_ca:
        tls = TLSConfig(
            client_cert=_read(conn.tls_cert),
            client_private_key=_read(conn.tls_key),
            server_root_ca_cert=_read(conn.tls_ca),
        )
    try:
        return await Client.connect(
            conn.address,
            namespace=conn.namespace,
            data_converter=pydantic_data_converter,
            tls=tls,
            api_key=conn.api_key,
        )
    except RuntimeError as exc:
        reason = "connection refused" if "refused" in str(exc).lower() else _first_line(exc)[:120]
        raise Unavailable(
            f"No Temporal server answers at {conn.address} ({reason}); start one with "
            "`make run` (or `sec-release up`), or point --address / TEMPORAL_ADDRESS at yours."
        ) from None


def _read(path: str | None) -> bytes | None:
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise Unavailable(f"Cannot read {path}: {exc.strerror}.") from None


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


# Pauses before reading the Panel's view again when its query buffer is full (a read only).
PANEL_QUERY_PAUSES = (0.2, 0.5, 1.0, 2.0)


@dataclass
class Clock:
    """The business clock: the server's time plus an offset (zero but in rehearsals).

    `source` reads the server's time (a time-skipping test server runs its own clock); without
    one the machine's clock is the server's.
    """

    offset: timedelta = timedelta(0)
    source: Callable[[], Awaitable[datetime]] | None = None

    async def now(self) -> datetime:
        base = await self.source() if self.source else datetime.now(UTC)
        return base + self.offset

    @property
    def seconds(self) -> float:
        return self.offset.total_seconds()


@dataclass
class ReleaseClient:
    """Where releases run: the client, the task queue and the Panel workflow they talk to."""

    client: Client
    task_queue: str
    clock: Clock
    panel_id: str = PANEL_WORKFLOW_ID
    max_history_events: int = 1800
    max_history_bytes: int | None = None  # None: the release's own default (ReleaseInput)
    policy: Policy | None = None
    hold_for_appeal_windows: bool = False  # True on the time-skipping test server only
    notice_heartbeat_seconds: float = 30.0
    # `status` of a release Temporal no longer holds reads the register in the data dir; a
    # rehearsal has no data dir of its own and must not read (or create) the user's.
    register_fallback: bool = True
    reconcile_every_hours: float = 24.0  # the Panel's sweep of the register (0 in rehearsals)
    # A rehearsal's server is throwaway (in tests, shared by many rehearsals of the same ids);
    # everywhere else a release id is never reused.
    reuse_ids: bool = False
    # Reads the register (which outlives Temporal's retention): why an id is taken, or None.
    id_in_register: Callable[[str], Awaitable[str | None]] | None = None
    # The command's settings: their data dir holds the register that `status` and `list` read
    # once Temporal's retention has dropped an ended release. None (a rehearsal, a test
    # harness): no register is read.
    settings: Settings | None = None
    # An engine on that register kept open by a long-lived process that migrated the store (the
    # front door); None: each read opens a short-lived engine of its own (the CLI).
    store: AsyncEngine | None = None
    # The front door's signer (ACCESS.md): every command, creation and freeze it sends is signed
    # for the principal who acts. None sends unsigned commands, which releases refuse.
    signer: Signer | None = None

    async def _seal(
        self,
        purpose: Purpose,
        target: str,
        who: Principal,
        body: dict[str, Any],
        request_id: str | None = None,
    ) -> Seal | None:
        if self.signer is None:
            return None
        return self.signer.seal(
            purpose=purpose,
            target=target,
            principal=who,
            body=body,
            issued_at=await self.clock.now(),
            request_id=request_id,
        )

    # -- the Panel ---------------------------------------------------------------------------

    async def panel(self) -> WorkflowHandle[PanelWorkflow, None]:
        """The Panel workflow, started if it is not running yet."""
        return await self.client.start_workflow(
            PanelWorkflow.run,
            PanelInput(
                clock_offset_seconds=self.clock.seconds,
                max_history_events=self.max_history_events,
                reconcile_every_hours=self.reconcile_every_hours,
            ),
            id=self.panel_id,
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )

    async def panel_view(self) -> PanelView:
        """The Panel's view. Every release creation and page reads it: when the server says the
        Panel's query buffer is full (it is busy with registrations), the read is tried again
        a few times after a pause rather than failing the request."""
        handle = await self.panel()
        for pause in PANEL_QUERY_PAUSES:
            try:
                return await handle.query(PanelWorkflow.view)
            except RPCError as exc:
                if exc.status != RPCStatusCode.RESOURCE_EXHAUSTED:
                    raise
            await asyncio.sleep(pause)
        return await handle.query(PanelWorkflow.view)

    async def add_freeze(
        self, actor: Actor | Principal, start: date, end: date, reason: str
    ) -> str:
        handle = await self.panel()
        who = principal_of(actor)
        request = FreezeRequest(actor=who.actor(), start=start, end=end, reason=reason)
        request.seal = await self._seal("freeze", self.panel_id, who, request.signed_body())
        try:
            return await handle.execute_update(PanelWorkflow.freeze_add, request)
        except WorkflowUpdateFailedError as exc:
            raise _refusal(exc) from None

    # -- one release -------------------------------------------------------------------------

    async def create_release(
        self,
        release_id: str,
        *,
        actor: Actor | Principal,
        go_live: date | None,
        release_type: ReleaseType | None,
        ad_hoc: bool,
    ) -> ReleaseStatus:
        """Check the request against the calendar rules and start the release's workflow.

        An ad hoc release whose day's id is taken (a release goes live that day, or did) takes
        the next letter: `2026-11-30-b`, then `-c`, ...; the status returned carries the id.
        Returns once the release has been admitted (its signed creation checked).
        """
        from rules.permissions import check_usage
        from schemas.commands import RELEASE_CREATE

        who = principal_of(actor)
        check_usage(RELEASE_CREATE, who.role.role)
        release_id = release_id.strip()
        may_take_a_letter = _AD_HOC_DAY.match(release_id) is not None and ad_hoc
        if not may_take_a_letter:
            await self._refuse_if_registered(release_id)
        now = await self.clock.now()
        today = london_today(now)
        first = today.year - CALENDAR_YEARS_BEFORE
        last = max(today.year, (go_live or today).year) + CALENDAR_YEARS_AFTER
        holidays = bank_holidays(first, last)
        cal = WorkingDayCalendar.from_dates(holidays, first, last)
        view = await self.panel_view()
        freezes = list(view.freezes)
        plan: ReleasePlan = plan_release(
            release_id,
            go_live=go_live,
            release_type=release_type,
            ad_hoc=ad_hoc,
            today=today,
            freezes=freezes,
            cal=cal,
        )
        calendar = WorkingDays(first_year=first, last_year=last, holidays=holidays)
        candidates = same_day_ids(plan) if may_take_a_letter else [plan]
        for candidate in candidates:
            if may_take_a_letter and await self._registered(candidate.id):
                continue
            try:
                handle = await self._start(candidate, who, calendar, freezes)
            except WorkflowAlreadyStartedError:
                if may_take_a_letter:
                    continue
                raise Refused(await self._taken(candidate.id)) from None
            return await self._admitted(handle, candidate.id)
        raise Refused(
            f"Every id for an ad hoc release going live on {plan.go_live.isoformat()} is taken "
            f"({plan.id} to {candidates[-1].id}); choose another day."
        )

    async def _admitted(
        self, handle: WorkflowHandle[ReleaseWorkflow, ReleaseResult], release_id: str
    ) -> ReleaseStatus:
        """Wait until the new release has been admitted (an `admitted` update), its status."""
        try:
            admitted: ReleaseStatus = await handle.execute_update(
                "admitted", result_type=ReleaseStatus
            )
            return admitted
        except WorkflowUpdateFailedError as exc:
            raise _refusal(exc) from None
        except RPCError as exc:  # the run failed at once: its creation was refused
            found = await handle.describe()
            if found.status == WorkflowExecutionStatus.FAILED:
                raise Refused(
                    f"Release {release_id} was refused as it started; the worker's log and "
                    f"`temporal workflow show --workflow-id {handle.id}` say why."
                ) from None
            raise _missing(release_id, exc) from None

    async def _registered(self, release_id: str) -> bool:
        """Whether the register knows the id (a release that exists, or existed)."""
        if self.id_in_register is None or self.reuse_ids:
            return False
        return await self.id_in_register(release_id) is not None

    async def _refuse_if_registered(self, release_id: str) -> None:
        if self.id_in_register is not None and not self.reuse_ids:
            taken = await self.id_in_register(release_id)
            if taken:
                raise Refused(taken)

    async def _start(
        self, plan: ReleasePlan, who: Principal, calendar: WorkingDays, freezes: list[Freeze]
    ) -> WorkflowHandle[ReleaseWorkflow, ReleaseResult]:
        create = CreateRelease(
            id=plan.id,
            name=plan.name,
            type=plan.type,
            go_live=plan.go_live,
            ad_hoc=plan.ad_hoc,
            actor=who.actor(),
            calendar=calendar,
            freezes=freezes,
            policy=self.policy or Policy(),
        )
        release_input = ReleaseInput(
            create=create,
            clock_offset_seconds=self.clock.seconds,
            max_history_events=self.max_history_events,
            panel_workflow_id=self.panel_id,
            hold_for_appeal_windows=self.hold_for_appeal_windows,
            notice_heartbeat_seconds=self.notice_heartbeat_seconds,
            **(
                {"max_history_bytes": self.max_history_bytes}
                if self.max_history_bytes is not None
                else {}
            ),
        )
        workflow_id = release_workflow_id(plan.id)
        release_input.seal = await self._seal(
            "create", workflow_id, who, release_input.signed_body()
        )
        return await self.client.start_workflow(
            ReleaseWorkflow.run,
            release_input,
            id=workflow_id,
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            # A release id is never reused, even once its release has ended.
            id_reuse_policy=(
                WorkflowIDReusePolicy.ALLOW_DUPLICATE
                if self.reuse_ids
                else WorkflowIDReusePolicy.REJECT_DUPLICATE
            ),
            search_attributes=initial_search_attributes(plan.type.value, london(plan.go_live)),
        )

    async def _taken(self, release_id: str) -> str:
        """Why a release id cannot be created: it exists, or existed and has ended."""
        see = f"see it with `sec-release status {release_id}`"
        try:
            found = await self.handle(release_id).describe()
        except RPCError:
            found = None
        if found is None or found.status == WorkflowExecutionStatus.RUNNING:
            return f"Release {release_id} already exists; {see} (a release is never created twice)."
        ended = found.close_time.date().isoformat() if found.close_time else "?"
        how = (found.status.name.lower() if found.status else "ended").replace("_", " ")
        return (
            f"Release {release_id} existed and has ended ({how} on {ended}); a release id is "
            f"never reused, so its record stays unambiguous ({see}). An ad hoc release takes "
            "its own day as its id (e.g. --ad-hoc with an id like 2028-02-24)."
        )

    def handle(self, release_id: str) -> WorkflowHandle[ReleaseWorkflow, ReleaseResult]:
        return self.client.get_workflow_handle_for(
            ReleaseWorkflow.run, release_workflow_id(release_id)
        )

    async def _request(
        self,
        release_id: str,
        actor: Actor | Principal,
        command: Command,
        request_id: str | None = None,
    ) -> ActRequest:
        """The command as the release receives it: for the principal's actor, signed (under
        `request_id` when given, else a fresh one)."""
        who = principal_of(actor)
        request = ActRequest(actor=who.actor(), command=command)
        request.seal = await self._seal(
            "act", release_workflow_id(release_id), who, request.signed_body(), request_id
        )
        return request

    async def act(
        self,
        release_id: str,
        actor: Actor | Principal,
        command: Command,
        *,
        request_id: str | None = None,
    ) -> ActResult:
        """Send one lifecycle command as an Update; returns once the release accepted it.

        `request_id` is the id the command is signed under (and its audit entry carries); the
        front door chooses it so it can answer it in `X-Request-Id`. None: a fresh one.
        """
        handle = self.handle(release_id)
        request = await self._request(release_id, actor, command, request_id)
        update_id = request.seal.request_id if request.seal else f"{command.kind}-{uuid.uuid4()}"
        try:
            result: ActResult = await _with_retries(
                lambda: handle.execute_update("act", request, id=update_id, result_type=ActResult)
            )
        except WorkflowUpdateFailedError as exc:
            raise _refusal(exc) from None
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            raise Unavailable(
                f"Release {release_id} did not answer in time; the command may still apply, check `status`."
            ) from None
        except RPCError as exc:
            raise await self._not_running(release_id, exc) from None
        return result

    async def signal(
        self, release_id: str, actor: Actor | Principal, command: Command
    ) -> str | None:
        """The same command, fire-and-forget (a refusal lands in the audit trail under the
        request id returned)."""
        request = await self._request(release_id, actor, command)
        try:
            await self.handle(release_id).signal("act", request)
        except RPCError as exc:
            raise await self._not_running(release_id, exc) from None
        return request.seal.request_id if request.seal else None

    async def _not_running(self, release_id: str, exc: RPCError) -> Exception:
        """Why a command could not reach a release: none, or one that has ended (and how)."""
        if exc.status == RPCStatusCode.NOT_FOUND:
            with contextlib.suppress(RPCError):
                found = await self.handle(release_id).describe()
                ended = _ended_by_operator(found)
                if ended or found.status != WorkflowExecutionStatus.RUNNING:
                    return Refused(
                        f"Release {release_id} has ended"
                        + (f": {ended}" if ended else "")
                        + f"; nothing more can be done to it (`sec-release status {release_id}` "
                        "shows its record)."
                    )
        return _missing(release_id, exc)

    async def status(self, release_id: str) -> ReleaseStatus:
        """The release's status; one an operator ended outside the rules says so first."""
        handle = self.handle(release_id)
        answer, found = await asyncio.gather(
            handle.query(ReleaseWorkflow.status), handle.describe(), return_exceptions=True
        )
        if isinstance(answer, RPCError):
            raise _missing(release_id, answer) from None
        if isinstance(answer, WorkflowQueryFailedError | WorkflowQueryRejectedError):
            raise Unavailable(
                f"Release {release_id} could not answer ({_first_line(answer)}); its worker may "
                "be down or out of date; try again once `sec-release up` (or a worker) runs."
            ) from None
        if isinstance(answer, BaseException):
            raise answer
        ended = None if isinstance(found, BaseException) else _ended_by_operator(found)
        if ended:
            answer.warnings.insert(
                0,
                f"This release's workflow was {ended}, outside the rules (no Panel decision); "
                f"what follows is its record as it stood then, in phase {answer.phase}.",
            )
        return answer

    async def state(self, release_id: str) -> ReleaseState:
        try:
            return await self.handle(release_id).query(ReleaseWorkflow.state)
        except RPCError as exc:
            raise _missing(release_id, exc) from None


# A workflow task can fail for a moment (a worker starved of CPU trips Temporal's deadlock
# detector, or restarts): the update was then not accepted, nothing was written, and sending it
# again under the same update id is safe (the server runs one update per id).
TASK_FAILURE_RETRIES = (0.5, 1.0, 2.0, 4.0)


async def _with_retries(send: Callable[[], Awaitable[ActResult]]) -> ActResult:
    for pause in (*TASK_FAILURE_RETRIES, None):
        try:
            return await send()
        except RPCError as exc:
            if pause is None or "workflow task failure" not in str(exc):
                raise
            await asyncio.sleep(pause)
    raise AssertionError("unreachable")


def principal_of(actor: Actor | Principal) -> Principal:
    """The principal who acts: given by the front door, or a stand-in for `--as ROLE:NAME`
    where the caller is its own front door (a rehearsal, dev mode, a test)."""
    if isinstance(actor, Principal):
        return actor
    return stand_in(actor.role.value, actor.name)


# How a run ended when an operator, not the release's rules, ended it.
_OPERATOR_ENDINGS = {
    WorkflowExecutionStatus.TERMINATED: "terminated by an operator",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.TIMED_OUT: "timed out",
}


def _ended_by_operator(found: WorkflowExecutionDescription) -> str | None:
    """`terminated by an operator on 2026-12-01`, or None for a run the rules ended."""
    how = _OPERATOR_ENDINGS.get(found.status) if found.status is not None else None
    if how is None:
        return None
    day = f" on {found.close_time.date().isoformat()}" if found.close_time else ""
    return how + day


def _refusal(exc: WorkflowUpdateFailedError) -> Exception:
    cause = exc.cause
    if isinstance(cause, ApplicationError):
        return Refused(cause.message)
    return Refused(_first_line(cause) if cause else _first_line(exc))


def _missing(release_id: str, exc: RPCError) -> Exception:
    if exc.status == RPCStatusCode.NOT_FOUND:
        return Refused(no_such_release(release_id))
    if exc.status == RPCStatusCode.UNAVAILABLE:
        return Unavailable(
            "The Temporal server is not answering; start it with `make run` (or `sec-release up`)."
        )
    return Unavailable(f"The Temporal server refused the request: {_first_line(exc)}")


_INDEXED = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
    "Bool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "KeywordList": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
}


async def register_search_attributes(client: Client) -> None:
    """Register sec-release's search attributes (a server that already has them is fine)."""
    request = AddSearchAttributesRequest(
        namespace=client.namespace,
        search_attributes={name: _INDEXED[kind] for name, kind in search.DEV_SERVER_TYPES.items()},
    )
    try:
        await client.operator_service.add_search_attributes(request)
    except RPCError as exc:
        if "already" not in str(exc).lower():
            raise
