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
    "rehearsal",
    "scale",
)


def verdict(result: dict[str, Any]) -> str:
    """The target a result is held to, and whether this run met it."""
    if result["name"] == "throughput":
        met = result["ratio"] >= result.get("target", 0.7)
        return f"ratio >= 0.70: {'met' if met else 'NOT met'}"
    if result["name"] == "history":
        ok = "met" if result.get("within_limits") else "NOT met"
        return f"each run < 2,000 events and 1 MB: {ok}"
    return "-"


def main(names: list[str]) -> int:
    started = time.time()
    timings: dict[str, float] = {}
    exits: dict[str, int] = {}
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(benchlib.ROOT / "bench" / f"{name}.py")],
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
            rows.append([name, "no result", "", "", "", f"exit {exits[name]}", ""])
            figures.append(f"{name}: no result")
            continue
        result = json.loads(path.read_text(encoding="utf-8"))
        note = "" if exits[name] == 0 else f" (exit {exits[name]} after writing)"
        figures.append(
            f"{name}: {result.get('figure', '?')}; baseline: {result.get('baseline_is', '?')}"
        )
        rows.append(
            [
                name,
                f"{result['value']:.4g}",
                f"{result['baseline']:.4g}",
                f"{result['ratio']:.3g}" if result["ratio"] is not None else "-",
                result["unit"],
                verdict(result) + note,
                f"{timings[name]:.0f}",
            ]
        )
    print(f"\n=== summary ({time.time() - started:.0f} s in all) ===")
    print(
        benchlib.table(
            ["benchmark", "value", "baseline", "ratio", "unit", "target", "took s"], rows
        )
    )
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
