"""p50 and p95 of one lifecycle update through the CLI's client path (`ReleaseClient.act`), beside
a no-op update through the same function, on the same private dev server, in the same run.

One update in flight at a time. Ours: fresh releases, each taking the 20 commands of
`throughput.twenty_commands` (mod add, costs quote, rid draft, timetable set, criterion define,
risk add), so every sample is a realistic accepted command on a release of realistic size.
No-op: `throughput.MinimalWorkflow` under a release id, taking the same commands. The two
sides alternate release by release.

    .venv/bin/python bench/update_latency.py [--releases 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import benchlib
    from throughput import SECAS, UPDATES, MinimalWorkflow, start_minimal, twenty_commands


async def main(releases: int) -> None:
    from temporalio.worker import Worker

    from activities.notices import RecordingSender
    from activities.records import MemoryRegister
    from schemas.vocabulary import ReleaseType
    from starter.client import Clock, Connection, ReleaseClient, connect
    from worker import build_worker, workflow_runner

    ours_ms: list[float] = []
    noop_ms: list[float] = []
    by_kind: dict[str, list[float]] = {}
    async with benchlib.dev_server() as server:
        client = await connect(Connection(address=server.address))
        task_queue = f"bench-latency-{uuid.uuid4()}"
        minimal_queue = f"{task_queue}-minimal"
        ours_worker = build_worker(
            client,
            task_queue,
            sender=RecordingSender(),
            register=MemoryRegister(),
            keys=benchlib.bench_keys,
        )
        minimal_worker = Worker(
            client,
            task_queue=minimal_queue,
            workflows=[MinimalWorkflow],
            workflow_runner=workflow_runner(),
        )
        deployment = ReleaseClient(
            client=client,
            task_queue=task_queue,
            clock=Clock(),
            panel_id=f"{task_queue}/panel",
            signer=benchlib.bench_signer(),
        )
        days = iter(benchlib.working_days(date(2029, 1, 2), releases + 1))

        async def ours(samples: list[float] | None) -> None:
            go_live = next(days)
            release_id = go_live.isoformat()
            await deployment.create_release(
                release_id,
                actor=SECAS,
                go_live=go_live,
                release_type=ReleaseType.SYSTEM,
                ad_hoc=True,
            )
            for actor, command in twenty_commands(go_live):
                start = time.perf_counter()
                await deployment.act(release_id, actor, command)
                elapsed = 1000 * (time.perf_counter() - start)
                if samples is not None:
                    samples.append(elapsed)
                    by_kind.setdefault(command.kind, []).append(elapsed)

        async def noop(samples: list[float] | None) -> None:
            release_id = f"noop-{uuid.uuid4()}"
            await start_minimal(client, minimal_queue, release_id)
            for actor, command in twenty_commands(date(2029, 6, 1)):
                start = time.perf_counter()
                await deployment.act(release_id, actor, command)
                if samples is not None:
                    samples.append(1000 * (time.perf_counter() - start))

        async with ours_worker, minimal_worker:
            await ours(None)  # warm-up: sandbox imports, the Panel workflow, connections
            await noop(None)
            for _ in range(releases):
                await noop(noop_ms)
                await ours(ours_ms)

    p50, p95 = benchlib.percentile(ours_ms, 50), benchlib.percentile(ours_ms, 95)
    b50, b95 = benchlib.percentile(noop_ms, 50), benchlib.percentile(noop_ms, 95)
    print(
        f"{len(ours_ms)} samples per side ({releases} releases x {UPDATES} updates), one at a time"
    )
    print(
        benchlib.table(
            ["update", "p50 ms", "p95 ms", "mean ms", "max ms"],
            [
                [
                    "ReleaseClient.act -> ReleaseWorkflow",
                    f"{p50:.1f}",
                    f"{p95:.1f}",
                    f"{statistics.mean(ours_ms):.1f}",
                    f"{max(ours_ms):.1f}",
                ],
                [
                    "ReleaseClient.act -> no-op workflow",
                    f"{b50:.1f}",
                    f"{b95:.1f}",
                    f"{statistics.mean(noop_ms):.1f}",
                    f"{max(noop_ms):.1f}",
                ],
                ["ratio", f"{p50 / b50:.2f}", f"{p95 / b95:.2f}", "", ""],
            ],
        )
    )
    print()
    print(
        benchlib.table(
            ["command (ours)", "n", "p50 ms"],
            [
                [kind, len(v), f"{benchlib.percentile(v, 50):.1f}"]
                for kind, v in sorted(by_kind.items())
            ],
        )
    )
    benchlib.write_result(
        "update_latency",
        p50,
        b50,
        "ms",
        figure="p50 of one lifecycle update through ReleaseClient.act",
        baseline_is="p50 of a no-op update through the same ReleaseClient.act",
        p95=round(p95, 3),
        baseline_p95=round(b95, 3),
        ratio_p95=round(p95 / b95, 4),
        samples=len(ours_ms),
        p50_by_command={k: round(benchlib.percentile(v, 50), 3) for k, v in by_kind.items()},
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--releases", type=int, default=10, help="releases per side (10)")
    asyncio.run(main(parser.parse_args().releases))
    benchlib.finish()
