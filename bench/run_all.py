"""Run every benchmark (each as its own process, with its defaults), then print one summary
table from the result files they wrote in `bench/results/`. `make bench` runs this.

    .venv/bin/python bench/run_all.py [NAME ...]     # e.g. `throughput history`; default: all

Exits 1 when a benchmark failed to write a fresh result file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

import benchlib

# Quick ones first; `scale` (the longest) last.
BENCHMARKS = (
    "rules_cost",
    "cli_latency",
    "update_latency",
    "throughput",
    "history",
    "frontdoor_load",
    "web_pages",
    "rehearsal",
    "scale",
)

SCALE_GOAL_RELEASES = 1000

# Shorter than each script's own defaults, so `make bench` on a fresh clone (its `.venv` built
# first, about 75 s here) stays under 10 minutes: 552 s of benchmarks with these options was
# too close, and 652 s (2026-12-01, after the third wave: rehearsal 154 s, web_pages 128 s,
# throughput 103 s) too long. Each script alone keeps its defaults.
OPTIONS: dict[str, list[str]] = {
    "frontdoor_load": ["--seconds", "6"],
    "rehearsal": ["--repeat", "1"],
    "throughput": ["--rounds", "4"],
    "web_pages": ["--rounds", "6"],
    "scale": ["--releases", str(SCALE_GOAL_RELEASES)],  # the goal's size: about 150 s here
}


def rows_of(result: dict[str, Any]) -> list[list[object]]:
    """The summary's rows for one result: figure, value, baseline, ratio, goal, met.

    Most results are one row; `cli_latency` is two (the offline command, and `status` over the
    front door beside the Go CLI's query)."""
    name = result["name"]
    ratio = result["ratio"]
    unit = result["unit"]
    value = f"{result['value']:.4g} {unit}"
    baseline = f"{result['baseline']:.4g} {unit}"
    shown = f"{ratio:.3g}" if ratio is not None else "-"
    details = result.get("details", {})

    def row(goal: str, met: bool | None) -> list[object]:
        return [name, value, baseline, shown, goal, "-" if met is None else "yes" if met else "NO"]

    if name == "throughput":
        return [row("ratio >= 0.70", ratio >= result.get("target", 0.7))]
    if name == "history":
        return [row("each run < 2,000 events, < 1 MB", bool(result.get("within_limits")))]
    if name == "rehearsal":
        return [row("ratio <= 3", ratio <= 3)]
    if name == "scale":
        releases = result.get("releases", 0)
        if releases >= SCALE_GOAL_RELEASES:
            return [row(f"< 400 MB at {releases} releases", result["value"] < 400)]
        return [row(f"< 400 MB at 1,000 (this run: {releases}; --releases 1000)", None)]
    if name == "cli_latency":
        versus = details.get("status_vs_go_query")
        status_row: list[object] = [
            "cli_latency: status",
            f"{details.get('status_over_http_ms', 0):.4g} ms",
            f"{details.get('go_query_ms', 0):.4g} ms (Go query)",
            f"{versus:.3g}" if versus is not None else "-",
            "ratio <= 2",
            "-" if versus is None else "yes" if versus <= 2 else "NO",
        ]
        return [row("ratio <= 3", ratio <= 3), status_row]
    if name == "frontdoor_load":
        clean = all(details.get(k, 1) == 0 for k in ("lost", "duplicated", "errors_5xx"))
        tally = f"lost {details.get('lost')}, dup {details.get('duplicated')}, 5xx " + str(
            details.get("errors_5xx")
        )
        return [row(f"ratio <= 1.5; 0 lost/dup/5xx ({tally})", ratio <= 1.5 and clean)]
    return [row("none set", None)]


def main(names: list[str]) -> int:
    started = time.time()
    timings: dict[str, float] = {}
    exits: dict[str, int] = {}
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(benchlib.ROOT / "bench" / f"{name}.py"), *OPTIONS.get(name, [])],
            cwd=benchlib.ROOT,
            check=False,
        )
        timings[name] = time.perf_counter() - start
        exits[name] = done.returncode

    rows: list[list[object]] = []
    figures: list[str] = []
    failed: list[str] = []
    for name in names:
        path = benchlib.RESULTS / f"{name}.json"
        if not path.exists() or path.stat().st_mtime < started:
            failed.append(name)
            rows.append([name, "no result", "", "", f"exit {exits[name]}", "NO", ""])
            figures.append(f"{name}: no result")
            continue
        result = json.loads(path.read_text(encoding="utf-8"))
        note = "" if exits[name] == 0 else f" (exit {exits[name]} after writing)"
        figures.append(
            f"{name}: {result.get('figure', '?')}; baseline: {result.get('baseline_is', '?')}"
        )
        for n, found in enumerate(rows_of(result)):
            rows.append(
                [*found[:-1], str(found[-1]) + note, f"{timings[name]:.0f}" if n == 0 else ""]
            )
    print(f"\n=== summary ({time.time() - started:.0f} s in all) ===")
    print(benchlib.table(["figure", "value", "baseline", "ratio", "goal", "met", "took s"], rows))
    print()
    print("\n".join(figures))
    if failed:
        print(f"no fresh result from: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    chosen = parser.parse_args().names or list(BENCHMARKS)
    unknown = [n for n in chosen if n not in BENCHMARKS]
    if unknown:
        parser.error(
            f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}"
        )
    sys.exit(main(chosen))
