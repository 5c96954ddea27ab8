"""Wall time of `sec-release rehearse examples/june-2020.yaml`, beside rehearsing the same 14
months with no release (the floor: CLI start, time-skipping server start, worker, time skipped
with nothing scheduled) and with the release alone (its timers and escalations, no commands).

Measured two ways, in the same run, in alternation:
- as a process, exactly as a user runs it (`sec-release rehearse FILE --json`, median of
  `--repeat` runs), which includes Python start-up, imports and the server's start;
- in this process with `starter.rehearsal.run_scenario` on one time-skipping server already up,
  which is the workflows' own time.

    .venv/bin/python bench/rehearsal.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import time
from pathlib import Path

import benchlib

SCENARIOS = {
    "june-2020": benchlib.ROOT / "examples" / "june-2020.yaml",
    "release only": benchlib.ROOT / "bench" / "scenarios" / "june-2020-release-only.yaml",
    "no release (floor)": benchlib.ROOT / "bench" / "scenarios" / "no-release.yaml",
}


def rehearse_as_process(scenario: Path) -> tuple[float, int, int]:
    """Seconds, exit status and size of the JSON report of one `sec-release rehearse`."""
    start = time.perf_counter()
    done = subprocess.run(
        [str(benchlib.BIN / "sec-release"), "rehearse", str(scenario), "--json"],
        cwd=benchlib.ROOT,
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - start, done.returncode, len(done.stdout)


async def rehearse_in_process(repeat: int) -> dict[str, dict[str, float]]:
    """Per scenario, the medians of `run_scenario` on one time-skipping server: wall seconds,
    CPU seconds of this process (worker and client), CPU seconds of the server."""
    from starter.rehearsal import run_scenario, start_test_server
    from starter.scenario import load_scenario

    loaded = {name: load_scenario(path) for name, path in SCENARIOS.items()}
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in SCENARIOS}
    env = await start_test_server()
    try:
        for _ in range(repeat):
            for name, scenario in loaded.items():
                servers = benchlib.children()
                server_cpu = sum(benchlib.cpu_seconds(pid) for pid in servers)
                cpu, start = time.process_time(), time.perf_counter()
                await run_scenario(env, scenario)
                runs[name].append(
                    (
                        time.perf_counter() - start,
                        time.process_time() - cpu,
                        sum(benchlib.cpu_seconds(pid) for pid in servers) - server_cpu,
                    )
                )
                # `release/2020-06` now exists on this server, and a release is never created
                # twice: the next scenario that creates it gets a fresh server (not timed).
                if name != "no release (floor)":
                    await env.shutdown()
                    env = await start_test_server()
    finally:
        await env.shutdown()
    return {
        name: {
            what: statistics.median(r[i] for r in rs)
            for i, what in enumerate(("wall", "worker_cpu", "server_cpu"))
        }
        for name, rs in runs.items()
    }


def main(repeat: int) -> None:
    process: dict[str, list[float]] = {name: [] for name in SCENARIOS}
    failures: dict[str, list[int]] = {name: [] for name in SCENARIOS}
    sizes: dict[str, int] = {}
    for _ in range(repeat):
        for name, path in SCENARIOS.items():
            seconds, code, size = rehearse_as_process(path)
            process[name].append(seconds)
            sizes[name] = size
            if code != 0:
                failures[name].append(code)
    in_process = asyncio.run(rehearse_in_process(repeat))

    median = {name: statistics.median(t) for name, t in process.items()}
    floor = median["no release (floor)"]
    rows = [
        [
            name,
            f"{median[name]:.2f}",
            f"{min(process[name]):.2f}",
            f"{median[name] / floor:.1f}x",
            f"{in_process[name]['wall']:.2f}",
            f"{in_process[name]['worker_cpu']:.2f}",
            f"{in_process[name]['server_cpu']:.2f}",
            ", ".join(map(str, failures[name])) or "-",
        ]
        for name in SCENARIOS
    ]
    print(f"sec-release rehearse, median of {repeat} (seconds)")
    print(
        benchlib.table(
            [
                "scenario",
                "process",
                "best",
                "vs floor",
                "in-process",
                "its CPU",
                "server CPU",
                "bad exits",
            ],
            rows,
        )
    )
    for name, codes in failures.items():
        if codes:
            print(f"note: `rehearse` of {name} exited {codes} after printing its report")
    value = median["june-2020"]
    benchlib.write_result(
        "rehearsal",
        value,
        floor,
        "s",
        figure="median wall time of `sec-release rehearse examples/june-2020.yaml`",
        baseline_is="the same for the same 14 months with no release (the floor)",
        repeat=repeat,
        process_seconds={k: [round(s, 3) for s in v] for k, v in process.items()},
        release_only_seconds=round(median["release only"], 3),
        ratio_to_release_only=round(value / median["release only"], 4),
        in_process_seconds={
            k: {what: round(x, 3) for what, x in v.items()} for k, v in in_process.items()
        },
        bad_exit_codes=failures,
        json_report_bytes=sizes,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median (3)")
    main(parser.parse_args().repeat)
    benchlib.finish()
