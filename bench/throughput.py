"""Releases created and walked through 20 lifecycle updates each, per second, on one worker
against a real dev server, beside a minimal workflow taking the same 20 updates as no-ops.

Both run on the same private `temporal server start-dev` (SQLite file, our search attributes), in
the same process, through the same sandboxed workflow runner (`worker.workflow_runner()`), with
the same number of workflows in flight, in many short alternating rounds so that a neighbour's
load hits both alike. Ours: `ReleaseClient.create_release` (the CLI's path: Panel view query, calendar,
start, status query) then 20 `ReleaseClient.act` Updates, each validated by the rules and applied.
Minimal: `start_workflow` then the same 20 commands through the same `ReleaseClient.act`, to a
workflow whose `act` Update returns a constant `ActResult`.

The figure is wall-clock throughput, as the issue asks. On a shared 2-core machine it swings
with the neighbours' load, so the CPU seconds each side cost (this process plus the dev server,
read from /proc) are printed beside it: their ratio is what the throughput ratio would be on a
machine that did nothing else, since both sides are CPU-bound.

    .venv/bin/python bench/throughput.py [--releases 10] [--rounds 6] [--concurrency 5]
    py-spy record --format raw --threads -o /tmp/ours.txt -- \
        .venv/bin/python bench/throughput.py --side ours --releases 60 --rounds 1
    .venv/bin/python bench/spy_summary.py /tmp/ours.txt
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    import benchlib

    from activities.notices import RecordingSender
    from activities.records import MemoryRegister
    from schemas import commands as c
    from schemas.base import Actor
    from schemas.commands import ActRequest, ActResult
    from schemas.vocabulary import CostLine, ReleaseType
    from schemas.workflow_io import release_workflow_id

if TYPE_CHECKING:
    from temporalio.client import Client

    from starter.client import ReleaseClient

UPDATES = 20
SECAS = Actor.parse("SECAS:Bench")
DCC = Actor.parse("DCC:Bench")
PANEL = Actor.parse("PANEL:Bench")


@workflow.defn
class MinimalWorkflow:
    """The floor: takes `act` Updates with the same payload and answer types as
    `ReleaseWorkflow`, and does nothing with them (no validator, no state, no activity)."""

    def __init__(self) -> None:
        self._done = False

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self._done)

    @workflow.update(name="act")
    async def act(self, request: ActRequest) -> ActResult:
        return ActResult(summary="", phase="DRAFTING", rid_version="0.0")

    @workflow.signal
    def finish(self) -> None:
        self._done = True


async def start_minimal(client: Client, task_queue: str, release_id: str) -> None:
    """Start a `MinimalWorkflow` under a release's workflow id, so `ReleaseClient.act` reaches it."""
    await client.start_workflow(
        MinimalWorkflow.run, id=release_workflow_id(release_id), task_queue=task_queue
    )


def twenty_commands(go_live: date) -> list[tuple[Actor, c.Command]]:
    """The first 20 commands of a System release's life (scope, costs, timetable, criteria),
    each accepted by `rules.pipeline` on a release created well before its cut-offs."""
    mods = [
        ("SECMP0101", "Alert Storm Protection", True, ["Suppliers", "DCC"]),
        ("SECMP0102", "Target Response Times for Install and Commission", True, ["DCC"]),
        ("MP201", "Provisions for withdrawing modifications", False, ["Suppliers"]),
        ("MP202", "Other User Panel Seating Amendment", False, ["Other SEC Parties"]),
        ("MP203", "Power to raise modifications", False, []),
    ]
    steps: list[tuple[Actor, c.Command]] = [
        (
            SECAS,
            c.ModAdd(
                mod=mod,
                title=title,
                system=system,
                impacts=impacts,
                documents=["Section H", "Appendix AB"] if system else ["Section D"],
                costs={CostLine.DESIGN_BUILD_PIT: Decimal("96434"), CostLine.SIT: Decimal("9699")}
                if system
                else {},
            ),
        )
        for mod, title, system, impacts in mods
    ]
    steps += [
        (DCC, c.CostsQuote(total=Decimal("212266"))),
        (SECAS, c.RidDraft(note="First draft issued for comment.")),
    ]
    year = go_live.year - 1
    steps += [
        (SECAS, c.TimetableSet(event=event, on=date(year, month, 15)))
        for event, month in (
            ("baseline_system", 1),
            ("baseline_docs", 3),
            ("uit_report", 5),
            ("operational_evidence", 6),
            ("tag_recommend", 7),
            ("opsg_recommend", 8),
        )
    ]
    steps += [
        (
            PANEL,
            c.CriterionDefine(key=f"panel-{i}", text=f"Panel criterion {i} is evidenced."),
        )
        for i in range(1, 6)
    ]
    steps += [
        (SECAS, c.RidDraft(note="Updated draft after comments.")),
        (
            DCC,
            c.RiskAdd(risk="Alert thresholds too low", mitigation="Configurable without a release"),
        ),
    ]
    assert len(steps) == UPDATES
    return steps


async def history_counts(deployment: ReleaseClient, release_id: str) -> dict[str, int]:
    """Events, workflow tasks and activity tasks in one workflow's history so far."""
    from temporalio.api.enums.v1 import EventType

    history = await deployment.handle(release_id).fetch_history()
    kinds = [e.event_type for e in history.events]
    return {
        "events": len(kinds),
        "bytes": sum(e.ByteSize() for e in history.events),
        "workflow tasks": kinds.count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
        "activity tasks": kinds.count(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
    }


async def in_flight(count: int, concurrency: int, one: Callable[[int], Awaitable[None]]) -> float:
    """Run `one(i)` for i in range(count), at most `concurrency` at a time; the wall seconds."""
    gate = asyncio.Semaphore(concurrency)

    async def guarded(i: int) -> None:
        async with gate:
            await one(i)

    start = time.perf_counter()
    await asyncio.gather(*(guarded(i) for i in range(count)))
    return time.perf_counter() - start


async def main(releases: int, concurrency: int, rounds: int, side: str) -> None:
    from temporalio.worker import Worker

    from starter.client import Clock, Connection, ReleaseClient, connect
    from worker import build_worker, workflow_runner

    async with benchlib.dev_server() as server:
        client = await connect(Connection(address=server.address))
        task_queue = f"bench-throughput-{uuid.uuid4()}"
        # Ours exactly as production wires it (with in-memory adapters); the minimal workflow on
        # its own task queue in the same process, through the same sandboxed runner. Each round
        # loads one of them while the other's worker idles on its long poll.
        ours_worker = build_worker(
            client,
            task_queue,
            sender=RecordingSender(),
            register=MemoryRegister(),
            keys=benchlib.bench_keys,
        )
        minimal_queue = f"{task_queue}-minimal"
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
        # Ad hoc System releases going live on consecutive Working Days from 2029: every
        # deadline is in the future, so the updates (not escalations) are what is measured.
        warmup = 2
        days = iter(benchlib.working_days(date(2029, 1, 2), (releases + warmup) * (rounds + 1)))

        last: dict[str, str] = {}  # the last release id each side ran, to count its events

        async def ours(_: int) -> None:
            go_live = next(days)
            release_id = go_live.isoformat()
            last["ours"] = release_id
            await deployment.create_release(
                release_id,
                actor=SECAS,
                go_live=go_live,
                release_type=ReleaseType.SYSTEM,
                ad_hoc=True,
            )
            for actor, command in twenty_commands(go_live):
                await deployment.act(release_id, actor, command)

        async def minimal(_: int) -> None:
            release_id = f"minimal-{uuid.uuid4()}"
            last["minimal"] = release_id
            await start_minimal(client, minimal_queue, release_id)
            for actor, command in twenty_commands(date(2029, 6, 1)):
                await deployment.act(release_id, actor, command)

        async with ours_worker, minimal_worker:
            # Warm up both (sandbox imports, the Panel workflow, connections), unmeasured.
            await in_flight(warmup, warmup, ours)
            await in_flight(warmup, warmup, minimal)
            ours_s: list[float] = []
            minimal_s: list[float] = []
            # CPU seconds spent by this process (worker and client) and by the server, per side.
            cpu = {"ours": [0.0, 0.0], "minimal": [0.0, 0.0]}

            async def measured(which: str, one: Callable[[int], Awaitable[None]]) -> float:
                me, them = time.process_time(), benchlib.cpu_seconds(server.pid)
                wall = await in_flight(releases, concurrency, one)
                cpu[which][0] += time.process_time() - me
                cpu[which][1] += benchlib.cpu_seconds(server.pid) - them
                return wall

            if side != "both":  # one side alone, e.g. under a profiler; no ratio, no file
                alone = ours if side == "ours" else minimal
                wall = 0.0
                for _ in range(rounds):
                    wall += await measured(side, alone)
                print(
                    f"{side}: {releases * rounds / wall:.2f}/s; CPU s worker {cpu[side][0]:.1f}, "
                    f"server {cpu[side][1]:.1f}"
                )
                return
            for n in range(rounds):
                if n % 2 == 0:
                    minimal_s.append(await measured("minimal", minimal))
                    ours_s.append(await measured("ours", ours))
                else:
                    ours_s.append(await measured("ours", ours))
                    minimal_s.append(await measured("minimal", minimal))
                print(
                    f"round {n + 1}: minimal {releases / minimal_s[-1]:6.2f}/s  "
                    f"ours {releases / ours_s[-1]:6.2f}/s"
                )

            events = {
                side: await history_counts(deployment, release_id)
                for side, release_id in last.items()
            }

    value = releases * rounds / sum(ours_s)
    baseline = releases * rounds / sum(minimal_s)
    ratio = value / baseline
    print()
    print(
        f"{releases * rounds} workflows per side, {concurrency} in flight, {UPDATES} updates each"
    )
    print(
        benchlib.table(
            ["workflow", "per second", "ms per update", "worker CPU s", "server CPU s"],
            [
                [
                    "ReleaseWorkflow (create + 20 act)",
                    f"{value:.2f}",
                    f"{1000 * sum(ours_s) / (releases * rounds * UPDATES) * concurrency:.1f}",
                    f"{cpu['ours'][0]:.1f}",
                    f"{cpu['ours'][1]:.1f}",
                ],
                [
                    "MinimalWorkflow (start + 20 no-op)",
                    f"{baseline:.2f}",
                    f"{1000 * sum(minimal_s) / (releases * rounds * UPDATES) * concurrency:.1f}",
                    f"{cpu['minimal'][0]:.1f}",
                    f"{cpu['minimal'][1]:.1f}",
                ],
            ],
        )
    )
    count = releases * rounds
    cost = {side: 1000 * (w + v) / count for side, (w, v) in cpu.items()}
    cpu_ratio = cost["minimal"] / cost["ours"]
    verdict = "met" if ratio >= 0.7 else "NOT met"
    print(f"ratio ours/minimal {ratio:.2f} (target >= 0.70: {verdict})")
    for side, counted in events.items():
        print(
            f"history of one {side} workflow after its {UPDATES} updates: "
            + ", ".join(f"{n} {what}" for what, n in counted.items())
        )
    print(
        f"CPU per workflow (worker + server): ours {cost['ours']:.0f} ms, minimal "
        f"{cost['minimal']:.0f} ms; CPU-bound ratio {cpu_ratio:.2f}"
    )
    benchlib.write_result(
        "throughput",
        value,
        baseline,
        "releases/s",
        figure="ReleaseWorkflows created and walked through 20 updates, per second",
        baseline_is="minimal workflows started and given the same 20 updates as no-ops",
        target=0.7,
        met=ratio >= 0.7,
        releases_per_round=releases,
        rounds=rounds,
        concurrency=concurrency,
        updates_per_release=UPDATES,
        ours_seconds=[round(s, 3) for s in ours_s],
        minimal_seconds=[round(s, 3) for s in minimal_s],
        history_per_workflow=events,
        cpu_ms_per_workflow={k: round(v, 1) for k, v in cost.items()},
        cpu_ratio=round(cpu_ratio, 4),
        cpu_seconds={
            side: {"worker_and_client": round(w, 2), "dev_server": round(v, 2)}
            for side, (w, v) in cpu.items()
        },
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--releases", type=int, default=10, help="workflows per round (10)")
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds (6)")
    parser.add_argument("--concurrency", type=int, default=5, help="workflows in flight (5)")
    parser.add_argument(
        "--side",
        choices=["both", "ours", "minimal"],
        default="both",
        help="run one side alone (to profile it); prints its rate, writes no result",
    )
    args = parser.parse_args()
    asyncio.run(main(args.releases, args.concurrency, args.rounds, args.side))
    benchlib.finish()
