"""`PanelWorkflow`: the Panel's change freezes, Panel-wide, pushed to every open release."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from rules import boundary, limits
    from rules.errors import Refused
    from rules.permissions import check_usage
    from rules.release_calendar import check_freeze, inside_freeze, long_date
    from rules.seal import check_seal, remember
    from schemas.commands import FREEZE_ADD
    from schemas.seal import TrustedKey
    from schemas.state import AuditEntry, Freeze, Notice
    from schemas.text import excerpt
    from schemas.workflow_io import (
        DescribeRequest,
        FreezeRequest,
        FreezeSync,
        NoticeReceipt,
        NoticeRequest,
        OperatorFinding,
        PanelInput,
        PanelView,
        ReconcileResult,
        RegisterRelease,
        ReleaseRunState,
    )

MAX_FREEZES = 100
MAX_PENDING_CHECKS = 200
RELEASE_PREFIX = "release/"
# Registrations are hints checked against Temporal (is it a running release?), and a daily
# sweep reconciles the register with what Temporal holds. Runs from before keep the old way.
VERIFY = "panel-verifies-registrations"
# Freezes must carry the front door's signature (ACCESS.md); runs from before accept unsigned
# ones until they next continue as new.
SIGNED = "freezes-signed-by-the-front-door"
# A registration is checked with a local activity (`describe_release` asks Temporal about one
# workflow: short, read-only, idempotent), so each release created costs the Panel a marker in
# the task that heard it instead of an activity task and a workflow task more. Runs from before
# keep the regular activity until they next continue as new.
DESCRIBE_LOCALLY = "panel-describes-releases-locally"


@workflow.defn
class PanelWorkflow:
    """The one long-lived Panel workflow (id `sec-release/panel`).

    It records change freezes (`freeze_add` update, PANEL only; its answer names the open
    releases whose go-live falls inside the new freeze, as Temporal gave it when the release's
    registration was verified) and knows the open releases (signals `register` /
    `unregister` from each release). Whenever the freezes change, and to
    each release that registers, it signals `freezes`, so every release's validators know every
    freeze without I/O. Query `view` (`PanelView`).

    Nothing it is sent is taken on its word: `register` and `unregister` are checked against
    Temporal (a running `ReleaseWorkflow`, or one that has ended) through the
    `describe_release` activity, and a signal that does not hold is audited as ignored; the
    `freezes` signal it sends is a hint on which each release reads this workflow's own list.
    Once a day (`reconcile_every_hours`) it reconciles the register with Temporal: a release
    an operator terminated or deleted is marked in the register, and SECAS is told.
    """

    @workflow.init
    def __init__(self, input: PanelInput) -> None:
        self._input = input
        self._freezes: list[Freeze] = list(input.freezes)
        self._releases: dict[str, str] = {r.release_id: r.workflow_id for r in input.releases}
        # Each release's go-live as Temporal said when its registration was verified (the
        # release's own SecGoLive), never a signal's word; read again when it registers again.
        self._go_lives: dict[str, date] = {
            r.release_id: r.go_live for r in input.releases if r.go_live is not None
        }
        self._audit: list[AuditEntry] = list(input.audit)
        self._outbox: list[str] = []  # workflow ids to send the freezes to
        self._offset = timedelta(seconds=input.clock_offset_seconds)
        self._checks: list[tuple[str, str]] = []  # (register | unregister, workflow id)
        self._sweeps: set[asyncio.Task[None]] = set()
        self._keys: list[TrustedKey] = list(input.trusted_keys)
        self._seen = dict(input.seen_requests)
        self._sealed: bool | None = None  # decided once per run, in `run`
        self._describe_locally = False  # DESCRIBE_LOCALLY, decided once per run in `run`
        self._keys_loaded = False

    @property
    def _verify(self) -> bool:
        return workflow.patched(VERIFY)

    @workflow.run
    async def run(self, input: PanelInput) -> None:
        self._sealed = workflow.patched(SIGNED)
        if self._sealed:
            await self._load_keys()
        self._describe_locally = workflow.patched(DESCRIBE_LOCALLY)
        if self._verify and input.reconcile_every_hours > 0:
            sweep = asyncio.create_task(self._reconcile_daily(input.reconcile_every_hours))
            self._sweeps.add(sweep)
        while True:
            await workflow.wait_condition(
                lambda: bool(self._outbox) or bool(self._checks) or self._should_continue_as_new()
            )
            while self._checks:
                kind, workflow_id = self._checks.pop(0)
                await self._verify_registration(kind, workflow_id)
            while self._outbox:
                target = self._outbox.pop(0)
                await self._push(target)
            if self._should_continue_as_new():
                await workflow.wait_condition(workflow.all_handlers_finished)
                # Everything the run was given is carried, so a new field cannot reset.
                workflow.continue_as_new(
                    self._input.model_copy(
                        update={
                            "freezes": self._freezes,
                            "releases": [
                                RegisterRelease(
                                    release_id=k, workflow_id=v, go_live=self._go_lives.get(k)
                                )
                                for k, v in self._releases.items()
                            ],
                            "audit": self._audit[-500:],
                            "trusted_keys": self._keys,
                            "seen_requests": self._seen,
                        }
                    )
                )

    def _should_continue_as_new(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= self._input.max_history_events
        )

    def _now(self) -> datetime:
        return workflow.now() + self._offset

    def _note(self, actor: str, command: str, detail: str, outcome: str = "accepted") -> None:
        seq = self._audit[-1].seq + 1 if self._audit else 1
        self._audit.append(
            AuditEntry(
                seq=seq,
                at=self._now(),
                actor=actor,
                command=command,
                outcome=outcome,
                detail=excerpt(detail, 600),
            )
        )

    async def _describe(self, workflow_id: str) -> ReleaseRunState:
        execute = (
            workflow.execute_local_activity if self._describe_locally else workflow.execute_activity
        )
        run: ReleaseRunState = await execute(
            "describe_release",
            DescribeRequest(workflow_id=workflow_id),
            result_type=ReleaseRunState,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
        )
        return run

    async def _verify_registration(self, kind: str, workflow_id: str) -> None:
        """Believe a registration only if Temporal agrees; audit it as ignored otherwise."""
        run = await self._describe(workflow_id)
        release_id = workflow_id.removeprefix(RELEASE_PREFIX)
        if kind == "register":
            if run.is_release and run.running:
                self._releases[release_id] = workflow_id
                if run.go_live is not None:
                    self._go_lives[release_id] = run.go_live
                self._outbox.append(workflow_id)
                return
            why = "it is not a running release" if run.found else "no such workflow exists"
        else:
            if not run.running:
                self._releases.pop(release_id, None)
                return
            why = "that release is still running"
        self._note(
            "unknown sender",
            f"signal {kind}",
            f"Ignored: {kind} of {workflow_id}: {why}.",
            outcome="ignored",
        )

    async def _reconcile_daily(self, every_hours: float) -> None:
        """Each day: find releases an operator ended outside the rules, and tell SECAS."""
        while True:
            await workflow.sleep(timedelta(hours=every_hours), summary="daily reconciliation")
            result: ReconcileResult = await workflow.execute_activity(
                "reconcile_register",
                result_type=ReconcileResult,
                start_to_close_timeout=timedelta(minutes=10),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=30)),
            )
            for finding in result.findings:
                self._releases.pop(finding.release_id, None)
                self._note("sec-release", "reconcile", f"{finding.name}: {finding.how}.")
                await self._tell_secas(finding)

    async def _tell_secas(self, finding: OperatorFinding) -> None:
        notice = Notice(
            key=f"{finding.release_id}/operator/ended",
            kind="decision",
            at=self._now(),
            subject=excerpt(f"{finding.name}: its workflow was {finding.how}", 200),
            to=["SECAS", "PANEL_CHAIR"],
            detail=(
                f"The {finding.name} has no final record: its workflow was {finding.how}. "
                "The register keeps what it last recorded; no Panel decision ended it."
            ),
        )
        request = NoticeRequest(
            release_id=finding.release_id,
            release_name=finding.name,
            go_live=finding.go_live,
            notice=notice,
        )
        try:
            await workflow.execute_activity(
                "send_notice",
                request,
                result_type=NoticeReceipt,
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=30)),
            )
        except ActivityError as exc:
            workflow.logger.warning("could not tell SECAS of %s: %s", finding.release_id, exc)

    async def _push(self, workflow_id: str) -> None:
        try:
            await workflow.get_external_workflow_handle(workflow_id).signal(
                "freezes", FreezeSync(freezes=self._freezes)
            )
        except Exception as exc:
            workflow.logger.warning("release %s did not take the freezes: %s", workflow_id, exc)
            self._releases = {k: v for k, v in self._releases.items() if v != workflow_id}

    async def _load_keys(self) -> None:
        keys: list[TrustedKey] = await workflow.execute_activity(
            "trusted_keys",
            result_type=list[TrustedKey],
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
        )
        self._keys = keys
        self._keys_loaded = True

    @workflow.signal(name="keys_changed")
    def keys_changed(self) -> None:
        """A hint that the trusted keys changed: the Panel reads them from its worker again."""
        if self._sealed:
            task = asyncio.create_task(self._load_keys())
            self._sweeps.add(task)
            task.add_done_callback(self._sweeps.discard)

    def _check_seal(self, request: FreezeRequest) -> None:
        if self._sealed is False:
            return
        if not self._keys_loaded and request.seal is not None and request.seal.signature:
            return  # checked by the handler once the keys are read
        check_seal(
            request.seal,
            purpose="freeze",
            target=workflow.info().workflow_id,
            body=request.signed_body(),
            keys=self._keys,
            now=self._now(),
            seen=self._seen,
            actor=request.actor,
        )

    def _check(self, request: FreezeRequest) -> Freeze:
        self._check_seal(request)
        check_usage(FREEZE_ADD, request.actor.role)
        reason = limits.text(request.reason, "reason", limits.TEXT, flag="--reason")
        freeze = check_freeze(request.start, request.end, reason)
        if len(self._freezes) >= MAX_FREEZES:
            raise Refused(f"The Panel holds at most {MAX_FREEZES} change freezes.")
        if freeze in self._freezes:
            raise Refused(
                f"That change freeze ({long_date(freeze.start)} to {long_date(freeze.end)}) is already recorded."
            )
        return freeze

    @workflow.update
    async def freeze_add(self, request: FreezeRequest) -> str:
        """Record a change freeze and tell every open release."""
        if self._sealed is None or (self._sealed and not self._keys_loaded):
            await workflow.wait_condition(
                lambda: self._sealed is False or (bool(self._sealed) and self._keys_loaded)
            )
        try:
            freeze = self._check(request)
        except Refused as exc:
            raise ApplicationError(exc.sentence, type="Refused", non_retryable=True) from exc
        if self._sealed and request.seal is not None:
            remember(self._seen, request.seal, self._now())
        self._freezes.append(freeze)
        self._freezes.sort(key=lambda f: (f.start, f.end))
        detail = f"{freeze.start.isoformat()} to {freeze.end.isoformat()}: {freeze.reason}"
        self._note(str(request.actor), "freeze add", detail)
        if self._sealed and request.seal is not None:
            boundary.seal_entry(self._audit[-1], request.seal, request.signed_body())
        self._outbox += [w for w in self._releases.values() if w not in self._outbox]
        told = (
            f"Change freeze from {long_date(freeze.start)} to {long_date(freeze.end)} recorded; "
            f"{len(self._releases)} open release(s) told"
        )
        inside = inside_freeze(
            freeze, [(k, day) for k, day in self._go_lives.items() if k in self._releases]
        )
        return f"{told}; {inside}." if inside else f"{told}."

    @freeze_add.validator
    def validate_freeze_add(self, request: FreezeRequest) -> None:
        try:
            self._check(request)
        except Refused as exc:
            raise ApplicationError(exc.sentence, type="Refused", non_retryable=True) from exc

    @workflow.signal(name="register")
    def register(self, raw: RawValue) -> None:
        """A release says it started (checked against Temporal before it counts)."""
        self._hear("register", raw)

    @workflow.signal(name="unregister")
    def unregister(self, raw: RawValue) -> None:
        """A release says it ended (checked against Temporal before it counts)."""
        self._hear("unregister", raw)

    def _hear(self, kind: str, raw: RawValue) -> None:
        try:
            release = workflow.payload_converter().from_payload(raw.payload, RegisterRelease)
        except Exception:
            if self._verify:
                self._note("unknown sender", f"signal {kind}", "Ignored: unreadable.", "ignored")
            return
        if not self._verify:  # runs from before this change
            if kind == "register":
                self._releases[release.release_id] = release.workflow_id
                self._outbox.append(release.workflow_id)
            else:
                self._releases.pop(release.release_id, None)
            return
        workflow_id = release.workflow_id
        if not workflow_id.startswith(RELEASE_PREFIX) or len(workflow_id) > 120:
            self._note(
                "unknown sender",
                f"signal {kind}",
                f"Ignored: {excerpt(workflow_id, 120)} is not a release's workflow id.",
                "ignored",
            )
            return
        if (kind, workflow_id) in self._checks:
            return
        if len(self._checks) >= MAX_PENDING_CHECKS:
            return  # a flood: what matters is checked by the daily sweep
        self._checks.append((kind, workflow_id))

    @workflow.query
    def view(self) -> PanelView:
        return PanelView(freezes=self._freezes, releases=sorted(self._releases), audit=self._audit)
