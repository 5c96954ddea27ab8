"""Worker memory (RSS) and CPU with N open releases whose timers fire over a simulated year,
beside the same process with the worker idle.

On a private time-skipping server (`starter.rehearsal`), with the worker in this process:
1. idle: the worker running, no release, for a few seconds: RSS and CPU per second;
2. N ad hoc System releases created through `ReleaseClient.create_release` (id = go-live day),
   their go-live days spread evenly from 13 months to 13 months + 4 years after the start, so
   that no deadline is past at creation, and about a quarter of the releases meet their first
   deadlines within the year; nobody acts on them, so each such deadline is reminded, lapses and
   then escalates every 5 Working Days (the worst case: a year of unmet deadlines);
3. a year of business time skipped (`env.sleep`, a week at a time): every reminder, lapse and
   escalation fires.
RSS is read from /proc/self/status (VmRSS, and VmHWM for the peak), CPU from
`time.process_time()` (this process: worker and client), and the server's from /proc.

    .venv/bin/python bench/scale.py [--releases 100] [--days 365] [--unsandboxed]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING

import benchlib

if TYPE_CHECKING:
    from activities.notices import RecordingSender

START = date(2030, 1, 2)  # a Wednesday; the business clock starts at 10:00 London time
IDLE_SECONDS = 5.0
SPREAD_DAYS = 4 * 365
FIRST_GO_LIVE = timedelta(days=396)  # 13 months: no deadline is past at creation


def go_live_days(count: int) -> list[date]:
    """`count` distinct Working Days spread evenly over the four years after FIRST_GO_LIVE."""
    from rules.workdays import england_and_wales

    first = START + FIRST_GO_LIVE
    span = max(SPREAD_DAYS, count * 7 // 5 + 30)  # room for `count` Working Days
    cal = england_and_wales(first.year, first.year + span // 365 + 1)
    days: list[date] = []
    for i in range(count):
        day = cal.on_or_after(first + timedelta(days=span * i // count))
        if days and day <= days[-1]:
            day = cal.add(days[-1], 1)
        days.append(day)
    return days


def counting_sender() -> tuple[RecordingSender, dict[str, int]]:
    """A sink that, like the production worker (which mails a notice and forgets it; the
    outbox is in SQL), keeps no notice in memory: only each key, once, and a count per kind.
    The rehearsals' `RecordingSender` keeps every notice, which at a thousand releases is the
    bench's memory (about 17,750 notices a year), not the worker's."""
    from activities.notices import RecordingSender
    from schemas.workflow_io import NoticeReceipt, NoticeRequest

    kinds: dict[str, int] = {}

    class CountingSender(RecordingSender):
        async def send(self, request: NoticeRequest) -> NoticeReceipt:
            key = request.notice.key
            if key not in self._keys:
                self._keys.add(key)
                kinds[request.notice.kind] = kinds.get(request.notice.kind, 0) + 1
            return NoticeReceipt(key=key, recipients=list(request.notice.to))

    return CountingSender(), kinds


def rss_mb() -> float:
    return benchlib.proc_status_kb("VmRSS") / 1024


def run_without_sandbox() -> None:
    """Make `Rehearsal` build its worker with Temporal's unsandboxed runner (same workflows and
    activities), to see what the sandbox costs per open release. For measurement only."""
    from temporalio.client import Client
    from temporalio.worker import UnsandboxedWorkflowRunner, Worker

    import starter.rehearsal
    from activities.notices import NoticeSender
    from activities.records import ReleaseRegister
    from schemas.seal import TrustedKey
    from worker import WORKFLOWS, activities_for

    def build_unsandboxed(
        client: Client,
        task_queue: str,
        *,
        sender: NoticeSender,
        register: ReleaseRegister,
        keys: Callable[[], list[TrustedKey]],
        max_cached_workflows: int,
    ) -> Worker:
        return Worker(
            client,
            task_queue=task_queue,
            workflows=list(WORKFLOWS),
            activities=activities_for(client, sender=sender, register=register, keys=keys),
            workflow_runner=UnsandboxedWorkflowRunner(),
            max_cached_workflows=max_cached_workflows,
        )

    vars(starter.rehearsal)["build_worker"] = build_unsandboxed


async def main(releases: int, days: int, concurrency: int, sandbox: bool, max_cached: int) -> None:
    from rules.clock import london
    from schemas.base import Actor
    from schemas.vocabulary import ReleaseType
    from starter.rehearsal import Rehearsal, skip_time, start_test_server

    secas = Actor.parse("SECAS:Bench")
    env = await start_test_server()
    server_pids = benchlib.children()
    try:

        def server_cpu() -> float:
            return sum(benchlib.cpu_seconds(pid) for pid in server_pids)

        r = Rehearsal(env, london(START, 10), max_cached_workflows=max_cached)
        r.sender, counted = counting_sender()
        async with r:
            # 1. idle: the worker polling, nothing to do.
            await r.deployment.panel()  # the Panel workflow every release registers with
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(IDLE_SECONDS)
            idle_cpu_per_s = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
            idle_rss = rss_mb()

            # 2. N releases created, `concurrency` at a time.
            gate = asyncio.Semaphore(concurrency)

            async def create(day: date) -> None:
                async with gate:
                    await r.deployment.create_release(
                        day.isoformat(),
                        actor=secas,
                        go_live=day,
                        release_type=ReleaseType.SYSTEM,
                        ad_hoc=True,
                    )
                    r.release_ids.append(day.isoformat())

            cpu0, srv0, wall0 = time.process_time(), server_cpu(), time.perf_counter()
            await asyncio.gather(*(create(d) for d in go_live_days(releases)))
            create_cpu = time.process_time() - cpu0
            create_server_cpu = server_cpu() - srv0
            create_wall = time.perf_counter() - wall0
            created_rss = rss_mb()

            # 3. a year of business time.
            # A week per `env.sleep`: one call for a whole year is one RPC that can outlast the
            # connection's patience (seen: "h2 protocol error" after minutes with 300 releases).
            cpu0, srv0, wall0 = time.process_time(), server_cpu(), time.perf_counter()
            rss_by_week: list[float] = []
            for week in range(0, days, 7):
                await skip_time(env, timedelta(days=min(7, days - week)))
                rss_by_week.append(round(rss_mb(), 1))
            year_cpu = time.process_time() - cpu0
            year_server_cpu = server_cpu() - srv0
            year_wall = time.perf_counter() - wall0
            year_rss = rss_mb()
            peak_rss = benchlib.proc_status_kb("VmHWM") / 1024
            kinds = dict(counted)
            sent = sum(kinds.values())
            r.release_ids.clear()  # terminating 1,000 releases one by one is not measured
    finally:
        await env.shutdown()

    print(
        f"{releases} open releases ({'sandboxed' if sandbox else 'UNSANDBOXED'} workflows), "
        f"{days} days of business time; {sent} notices sent "
        f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})"
    )
    print(
        benchlib.table(
            ["phase", "wall s", "worker CPU s", "server CPU s", "worker RSS MB"],
            [
                [
                    f"idle worker ({IDLE_SECONDS:.0f} s)",
                    f"{IDLE_SECONDS:.1f}",
                    f"{idle_cpu_per_s * IDLE_SECONDS:.2f}",
                    "-",
                    f"{idle_rss:.0f}",
                ],
                [
                    f"create {releases} releases",
                    f"{create_wall:.1f}",
                    f"{create_cpu:.1f}",
                    f"{create_server_cpu:.1f}",
                    f"{created_rss:.0f}",
                ],
                [
                    f"{days} days of timers",
                    f"{year_wall:.1f}",
                    f"{year_cpu:.1f}",
                    f"{year_server_cpu:.1f}",
                    f"{year_rss:.0f}",
                ],
                ["peak (VmHWM)", "", "", "", f"{peak_rss:.0f}"],
            ],
        )
    )
    per_release_kb = 1024 * (year_rss - idle_rss) / releases
    print(
        f"memory per open release: {per_release_kb:.0f} KB; worker CPU per release-year: "
        f"{1000 * year_cpu / releases:.0f} ms; per notice: {1000 * year_cpu / max(sent, 1):.1f} ms"
    )
    benchlib.write_result(
        "scale",
        year_rss,
        idle_rss,
        "MB",
        figure=f"worker RSS with {releases} open releases after {days} days of timers",
        baseline_is="RSS of the same process with the worker idle",
        releases=releases,
        days=days,
        sandboxed=sandbox,
        max_cached_workflows=max_cached,
        peak_rss_mb=round(peak_rss, 1),
        created_rss_mb=round(created_rss, 1),
        per_release_kb=round(per_release_kb, 1),
        notices_sent=sent,
        notices_by_kind=kinds,
        create_wall_s=round(create_wall, 2),
        create_worker_cpu_s=round(create_cpu, 2),
        create_server_cpu_s=round(create_server_cpu, 2),
        year_wall_s=round(year_wall, 2),
        year_worker_cpu_s=round(year_cpu, 2),
        year_server_cpu_s=round(year_server_cpu, 2),
        idle_worker_cpu_per_s=round(idle_cpu_per_s, 4),
        worker_cpu_ms_per_notice=round(1000 * year_cpu / max(sent, 1), 2),
        rss_mb_by_week=rss_by_week,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--releases", type=int, default=100, help="open releases (100)")
    parser.add_argument("--days", type=int, default=365, help="business days to skip (365)")
    parser.add_argument("--concurrency", type=int, default=10, help="creations in flight (10)")
    parser.add_argument(
        "--unsandboxed",
        action="store_true",
        help="run the workflows without Temporal's sandbox, to see what it costs (not production)",
    )
    parser.add_argument(
        "--max-cached",
        type=int,
        default=None,
        help="workflows the worker keeps in memory (default: Settings.max_cached_workflows's)",
    )
    args = parser.parse_args()
    if args.unsandboxed:
        run_without_sandbox()
    from settings import DEFAULT_MAX_CACHED_WORKFLOWS

    max_cached = args.max_cached or DEFAULT_MAX_CACHED_WORKFLOWS
    asyncio.run(main(args.releases, args.days, args.concurrency, not args.unsandboxed, max_cached))
    benchlib.finish()
