"""Where a py-spy profile's CPU went: the share of on-CPU samples under each function.

Reads py-spy's raw (collapsed) output, drops the samples of threads that are waiting (idle
thread-pool workers, the event loop's select, the child watcher), and prints, for every
function, the share of the remaining samples whose stack passes through it (inclusive time).

    py-spy record --format raw --threads -o /tmp/ours.txt -- \\
        .venv/bin/python bench/throughput.py --side ours --releases 60 --rounds 1
    .venv/bin/python bench/spy_summary.py /tmp/ours.txt [REGEX] [--top 40]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

import benchlib

# Leaf frames of a thread that is waiting rather than working.
IDLE = (
    "_worker (concurrent/futures/thread.py",
    "_do_waitpid",
    "EpollSelector.select",
    "_read_from_self",
)
SITE = re.compile(r"/[^ ]*/site-packages/")
LINE = re.compile(r":\d+\)$")


def summarise(raw: Path) -> tuple[int, Counter[str]]:
    """On-CPU samples in all, and inclusive samples per function (`name (file)`)."""
    total = 0
    inclusive: Counter[str] = Counter()
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not count.isdigit() or any(idle in frames[-1] for idle in IDLE):
            continue
        total += int(count)
        seen = {SITE.sub("", LINE.sub(")", f)) for f in frames[1:]}  # frames[0]: the thread
        for name in seen:
            inclusive[name] += int(count)
    return total, inclusive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("raw", type=Path, help="py-spy --format raw output")
    parser.add_argument("pattern", nargs="?", default="", help="only functions matching (regex)")
    parser.add_argument("--top", type=int, default=40, help="rows to print (40)")
    args = parser.parse_args()
    total, inclusive = summarise(args.raw)
    wanted = re.compile(args.pattern)
    rows = [
        [name[:110], n, f"{100 * n / total:.1f}%"]
        for name, n in inclusive.most_common()
        if wanted.search(name)
    ][: args.top]
    print(f"{total} on-CPU samples")
    print(benchlib.table(["function (file)", "samples", "share"], rows))


if __name__ == "__main__":
    main()
