"""The one place that wires workflows, activities and their adapters into a Temporal worker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.keys import KeyActivities
from activities.notices import NoticeActivities, NoticeSender
from activities.records import RecordActivities, ReleaseRegister
from activities.temporal_reads import Reconciliation, TemporalReads
from schemas.seal import TrustedKey
from settings import DEFAULT_MAX_CACHED_WORKFLOWS
from workflows.appeal import AppealWindowWorkflow
from workflows.digest import DigestWorkflow
from workflows.panel import PanelWorkflow
from workflows.release import ReleaseWorkflow

if TYPE_CHECKING:
    from activities.mail import SmtpTarget
    from settings import Settings

WORKFLOWS: Sequence[type] = (ReleaseWorkflow, AppealWindowWorkflow, PanelWorkflow, DigestWorkflow)

# The pure rules and the message models are deterministic; load them once, outside the sandbox.
PASSTHROUGH = (
    "rules",
    "schemas",
    "pydantic",
    "pydantic_core",
    "holidays",
    "annotated_types",
    "cryptography",
    # Our workflow modules too: the sandbox would otherwise import `workflows.release` again for
    # every run it starts (its code objects, classes and `workflow.defn` processing: ~100 KB
    # and ~20 ms of CPU per open release, bench/README.md `scale`). Loaded once, they are shared
    # by every run, so they hold no module-level state (constants only) and, like the rules, are
    # kept deterministic by review and by the replay tests, which run them under
    # `workflow_runner(strict=True)`: re-imported in the sandbox, where a clock read fails.
    "workflows",
)


def workflow_runner(*, strict: bool = False) -> SandboxedWorkflowRunner:
    """The sandbox the workflows run in.

    `strict` re-imports our workflow modules inside the sandbox for every run, so a clock read
    or I/O in workflow code meets the sandbox's restricted modules and fails; the replay tests
    use it, which keeps that guard in CI while workers save the per-run re-import."""
    modules = tuple(m for m in PASSTHROUGH if not (strict and m == "workflows"))
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*modules)
    )


def activities_for(
    client: Client,
    *,
    sender: NoticeSender,
    register: ReleaseRegister,
    keys: Callable[[], list[TrustedKey]],
) -> list[Any]:
    """Every activity of sec-release, built on its adapters; `keys` reads the trusted keys."""
    notices = NoticeActivities(sender)
    records = RecordActivities(register)
    reads = TemporalReads(client)
    reconciliation = Reconciliation(client, register)
    return [
        notices.send_notice,  # releases started before notices were batched, and the Panel
        notices.send_notices,
        notices.send_digests,
        records.record_release,
        reads.read_panel_freezes,
        reads.describe_release,
        reconciliation.reconcile_register,
        KeyActivities(keys).trusted_keys,
    ]


def build_worker(
    client: Client,
    task_queue: str,
    *,
    sender: NoticeSender,
    register: ReleaseRegister,
    keys: Callable[[], list[TrustedKey]],
    max_cached_workflows: int = DEFAULT_MAX_CACHED_WORKFLOWS,
    stall_seconds: float | None = None,
) -> Worker:
    """A worker serving every workflow and activity of sec-release on `task_queue`, keeping at
    most `max_cached_workflows` workflows in memory (`Settings.max_cached_workflows`).

    `stall_seconds`: how long an activation may run before the SDK fails it as a potential
    deadlock (None: the SDK's 2 s; see `allow_stalls`)."""
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        activities=activities_for(client, sender=sender, register=register, keys=keys),
        workflow_runner=workflow_runner(),
        max_cached_workflows=max_cached_workflows,
    )
    if stall_seconds is not None:
        allow_stalls(worker, stall_seconds)
    return worker


# How long a rehearsal's or a test's activation may run before it is taken for a deadlock.
STARVED_CPU_STALL_SECONDS = 60.0


def allow_stalls(worker: Worker, seconds: float) -> None:
    """Let an activation run `seconds` before the SDK fails it as a potential deadlock.

    The SDK fails an activation that has not yielded within 2 s (TMPRL1101) and has no public
    setting for it. Our longest activations take ~160 ms of CPU (a June 2020 rehearsal, measured
    with a per-activation timer), but on a starved CPU (a load average of 10 on two cores) one
    took over 2 s of wall time; the SDK then failed it, could not evict the run ("Eviction
    processed, but 6 tasks remain") and, on the time-skipping server, whose clock waits for
    outstanding work, the rehearsal stalled for good. A rehearsal (and every test worker) waits
    longer instead: a real deadlock still fails, later. Production workers on a real server keep
    the SDK's 2 s, since there a failed task is retried. Reaches into the SDK's worker, so an
    SDK that renamed the attribute fails here, loudly, rather than silently ignoring it.
    """
    inner = getattr(worker, "_workflow_worker", None)
    if inner is None or not hasattr(inner, "_deadlock_timeout_seconds"):
        raise RuntimeError(
            "temporalio's worker no longer has _workflow_worker._deadlock_timeout_seconds: "
            "worker.allow_stalls needs updating for this SDK version"
        )
    if inner._deadlock_timeout_seconds is not None:  # None: debug mode, no detection at all
        inner._deadlock_timeout_seconds = seconds


@asynccontextmanager
async def production_adapters(
    settings: Settings, *, smtp: SmtpTarget | None = None
) -> AsyncIterator[tuple[NoticeSender, ReleaseRegister]]:
    """The production adapters: the SQL outbox with SMTP, and the SQL register.

    Applies the store's migrations first (raises `StoreNewerThanCode`, an `Unavailable`, for a
    database a newer sec-release upgraded), and disposes of the engine on exit. Mail goes to
    `smtp`, else to SMTP_HOST, else to the local sink on `settings.sink_port` (see
    `activities.sink.local_mail_sink`, which `sec-release up` runs when SMTP_HOST is unset).
    """
    # Imported here so that commands which never touch the store start fast.
    from activities.mail import OutboxSender
    from activities.mail import SmtpTarget as Target
    from activities.register import SqlRegister
    from activities.store import open_engine, session_factory, upgrade_store
    from settings import NoticeDelivery

    engine = open_engine(settings.database_url)
    try:
        await upgrade_store(engine)
        sessions = session_factory(engine)
        sender = OutboxSender(
            sessions,
            smtp=smtp or Target.from_settings(settings),
            mail_from=settings.mail_from,
            contacts_file=settings.contacts_file,
            digest=settings.notice_delivery is NoticeDelivery.DIGEST,
        )
        yield sender, SqlRegister(sessions)
    finally:
        await engine.dispose()
