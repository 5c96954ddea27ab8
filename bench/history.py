"""Events and bytes of history for the whole June 2020 path, per run of `release/2020-06`, and
the time to replay them with `temporalio.worker.Replayer`, beside replaying a trivial history.

The path is `examples/june-2020.yaml` run by `run_scenario` on a private time-skipping server
(as `sec-release rehearse` does). Every run is fetched by following `continued_execution_run_id`
back from the last run. Bytes are the sum of the serialized (protobuf) events, which is what the
server counts for its history size limit; the JSON size (`WorkflowHistory.to_json()`, what the
replay tests commit) is beside it. Continue-as-new must keep each run under 2,000 events and
1 MB. Replays use the worker's workflows, data converter and sandboxed runner, as
`tests/replay/test_replay.py` does; the trivial history is a one-step workflow of this module
run on the same server, replayed by the same kind of Replayer.

    .venv/bin/python bench/history.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory

with workflow.unsafe.imports_passed_through():
    import benchlib

SCENARIO = benchlib.ROOT / "examples" / "june-2020.yaml"
RELEASE_WORKFLOW_ID = "release/2020-06"
MAX_EVENTS = 2000
MAX_BYTES = 1_000_000


@workflow.defn
class TrivialWorkflow:
    """The baseline history: started, one workflow task, completed."""

    @workflow.run
    async def run(self) -> str:
        return "done"


@dataclass(frozen=True)
class Run:
    run_id: str
    history: WorkflowHistory
    events: int
    bytes: int
    json_bytes: int
    reported_size: int  # the last `history_size_bytes` a WorkflowTaskStarted event carries

    @classmethod
    def of(cls, run_id: str, history: WorkflowHistory) -> Run:
        reported = 0
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                reported = event.workflow_task_started_event_attributes.history_size_bytes
        return cls(
            run_id=run_id,
            history=history,
            events=len(history.events),
            bytes=sum(e.ByteSize() for e in history.events),
            json_bytes=len(history.to_json().encode()),
            reported_size=reported,
        )


def _started(history: WorkflowHistory) -> HistoryEvent:
    first = history.events[0]
    assert first.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    return first


async def every_run(client: Client, workflow_id: str) -> list[Run]:
    """Every run of `workflow_id`, first to last, following the continue-as-new chain back."""
    handle = client.get_workflow_handle(workflow_id)
    last = await handle.describe()
    runs: list[Run] = []
    run_id: str = last.run_id
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        runs.append(Run.of(run_id, history))
        run_id = _started(
            history
        ).workflow_execution_started_event_attributes.continued_execution_run_id
    return list(reversed(runs))


async def time_replays(
    histories: list[WorkflowHistory], workflows: list[type], repeat: int
) -> float:
    """Median over `repeat` rounds of the seconds to replay every history, one Replayer each."""
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Replayer

    from worker import workflow_runner

    rounds: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        for history in histories:
            replayer = Replayer(
                workflows=workflows,
                data_converter=pydantic_data_converter,
                workflow_runner=workflow_runner(),
            )
            result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
            assert result.replay_failure is None
        rounds.append(time.perf_counter() - start)
    return statistics.median(rounds)


async def main(repeat: int, max_events: int) -> None:
    from temporalio.worker import Worker

    from starter.rehearsal import run_scenario, start_test_server
    from starter.scenario import load_scenario
    from worker import WORKFLOWS, workflow_runner

    env = await start_test_server()
    try:
        start = time.perf_counter()
        report = await run_scenario(
            env, load_scenario(Path(SCENARIO)), max_history_events=max_events
        )
        rehearsed = time.perf_counter() - start
        assert report.status is not None and report.status.phase == "CLOSED", report.status
        runs = await every_run(env.client, RELEASE_WORKFLOW_ID)
        windows = sorted(
            {
                e.start_child_workflow_execution_initiated_event_attributes.workflow_id
                for r in runs
                for e in r.history.events
                if e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
            }
        )
        children = [run for w in windows for run in await every_run(env.client, w)]

        queue = f"bench-history-{uuid.uuid4()}"
        trivial_id = f"trivial-{uuid.uuid4()}"
        async with Worker(
            env.client,
            task_queue=queue,
            workflows=[TrivialWorkflow],
            workflow_runner=workflow_runner(),
        ):
            await env.client.execute_workflow(TrivialWorkflow.run, id=trivial_id, task_queue=queue)
        trivial = await env.client.get_workflow_handle(trivial_id).fetch_history()
    finally:
        await env.shutdown()

    ours_s = await time_replays([r.history for r in runs], list(WORKFLOWS), repeat)
    trivial_s = await time_replays([trivial], [TrivialWorkflow], repeat)

    rows: list[list[object]] = [
        [
            f"{RELEASE_WORKFLOW_ID} run {i}",
            r.events,
            f"{r.bytes:,}",
            f"{r.json_bytes:,}",
            f"{r.reported_size:,}" if r.reported_size else "-",
        ]
        for i, r in enumerate(runs, 1)
    ]
    rows += [
        [f"{w} (child)", r.events, f"{r.bytes:,}", f"{r.json_bytes:,}", "-"]
        for w, r in zip(windows, children, strict=False)
    ]
    rows.append(
        [
            "trivial workflow",
            len(trivial.events),
            f"{sum(e.ByteSize() for e in trivial.events):,}",
            f"{len(trivial.to_json().encode()):,}",
            "-",
        ]
    )
    print(f"June 2020 rehearsed in {rehearsed:.1f} s; {len(runs)} run(s) of {RELEASE_WORKFLOW_ID}")
    print(benchlib.table(["history", "events", "bytes", "JSON bytes", "server size"], rows))
    within = all(r.events < MAX_EVENTS and r.bytes < MAX_BYTES for r in runs)
    most_events = max(r.events for r in runs)
    most_bytes = max(r.bytes for r in runs)
    print(
        f"largest run: {most_events} events ({100 * most_events / MAX_EVENTS:.0f}% of {MAX_EVENTS}), "
        f"{most_bytes:,} bytes ({100 * most_bytes / MAX_BYTES:.0f}% of 1 MB): "
        f"{'within' if within else 'OVER'} the limits"
    )
    print()
    events = sum(r.events for r in runs)
    print(
        benchlib.table(
            [f"replay (median of {repeat})", "ms", "events", "us per event"],
            [
                [
                    "June 2020, every run",
                    f"{1000 * ours_s:.0f}",
                    events,
                    f"{1e6 * ours_s / events:.0f}",
                ],
                [
                    "trivial history",
                    f"{1000 * trivial_s:.0f}",
                    len(trivial.events),
                    f"{1e6 * trivial_s / len(trivial.events):.0f}",
                ],
            ],
        )
    )
    benchlib.write_result(
        "history",
        1000 * ours_s,
        1000 * trivial_s,
        "ms",
        figure="time to replay every run of release/2020-06 after the June 2020 rehearsal",
        baseline_is="time to replay a trivial (5-event) history the same way",
        runs=[
            {
                "run_id": r.run_id,
                "events": r.events,
                "bytes": r.bytes,
                "json_bytes": r.json_bytes,
                "server_reported_bytes": r.reported_size,
            }
            for r in runs
        ],
        children=[
            {"workflow_id": w, "events": r.events, "bytes": r.bytes}
            for w, r in zip(windows, children, strict=False)
        ],
        total_events=events,
        total_bytes=sum(r.bytes for r in runs),
        max_events_per_run=most_events,
        max_bytes_per_run=most_bytes,
        limit_events=MAX_EVENTS,
        limit_bytes=MAX_BYTES,
        within_limits=within,
        trivial_events=len(trivial.events),
        rehearsal_seconds=round(rehearsed, 3),
        max_history_events_setting=max_events,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="replay rounds; the median (3)")
    parser.add_argument(
        "--max-history-events",
        type=int,
        default=MAX_EVENTS,
        help="the release's continue-as-new threshold (production's 2000); lower it to see the chain",
    )
    args = parser.parse_args()
    asyncio.run(main(args.repeat, args.max_history_events))
    benchlib.finish()
