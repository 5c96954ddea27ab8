"""Shared by the bench scripts: a private dev server on free ports, result files, percentiles,
and this process's memory and CPU read from /proc (no psutil).

Each script is run as `.venv/bin/python bench/<name>.py` from the repository root; this module
sits beside them and is imported as `benchlib`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# The console scripts of this environment (`sec-release`, `temporal`), next to the interpreter.
BIN = Path(sys.executable).parent
READY_TIMEOUT_SECONDS = 90.0


# -- results ---------------------------------------------------------------------------------


def write_result(
    name: str,
    value: float,
    baseline: float,
    unit: str,
    *,
    figure: str,
    baseline_is: str,
    **extra: Any,
) -> dict[str, Any]:
    """Write `bench/results/<name>.json` and return it: the six common keys (`name`, `value`,
    `baseline`, `ratio` = value / baseline, `unit`, `when`), what the value and the baseline
    are in words (`figure`, `baseline_is`), the machine, then `extra`."""
    result: dict[str, Any] = {
        "name": name,
        "value": round(value, 6),
        "baseline": round(baseline, 6),
        "ratio": round(value / baseline, 4) if baseline else None,
        "unit": unit,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "figure": figure,
        "baseline_is": baseline_is,
        "cpus": os.cpu_count(),
        "loadavg_at_end": round(os.getloadavg()[0], 2),
    }
    result.update(extra)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")
    return result


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain aligned text table (first column left-aligned, the others right-aligned)."""
    cells = [[str(h) for h in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )

    out = [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)


@contextlib.contextmanager
def stopwatch() -> Iterator[list[float]]:
    """`with stopwatch() as t: ...` then `t[0]` is the elapsed wall time in seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def finish() -> NoReturn:
    """Exit 0 without interpreter teardown, once everything is written and closed.

    The Temporal core's threads can take the GIL while Python finalizes and abort the process
    ("PyGILState_Release: thread state ... must be current", SIGABRT or SIGSEGV) after all the
    work is done; `sec-release` itself does so now and then (bench/README.md). A benchmark's
    exit status should say whether it measured, so it skips the teardown.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# -- this process (and its children) from /proc ----------------------------------------------


def proc_status_kb(field: str, pid: int | str = "self") -> int:
    """A `kB` field of /proc/<pid>/status, e.g. VmRSS (resident now) or VmHWM (its peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of another process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime 14 and stime 15 (1-based, man proc).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int | None = None) -> list[int]:
    """The direct child processes of `pid` (this process by default), whichever thread forked
    them (the Temporal core starts the test server from one of its own threads)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid or os.getpid()}/task").iterdir():
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


# -- a private dev server --------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on now (bind port 0 and let the kernel choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class DevServer:
    address: str
    pid: int


def dev_server_command(port: int, db: Path | None) -> list[str]:
    """`temporal server start-dev` as `starter/devserver.py` runs it, on private free ports."""
    from workflows.search import DEV_SERVER_TYPES

    cmd = [
        str(BIN / "temporal"),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--http-port",
        str(free_port()),
        "--metrics-port",
        str(free_port()),
        "--headless",
        "--log-level",
        "error",
    ]
    if db is not None:
        cmd += ["--db-filename", str(db)]
    for name, kind in DEV_SERVER_TYPES.items():
        cmd += ["--search-attribute", f"{name}={kind}"]
    return cmd


@contextlib.asynccontextmanager
async def dev_server(*, sqlite: bool = True) -> AsyncIterator[DevServer]:
    """A `temporal server start-dev` of our own, stopped when the block ends (even on Ctrl-C).

    With `sqlite` its store is a SQLite file in a temporary directory (as `sec-release up`
    runs it, on a file), else in memory.
    """
    from temporalio.client import Client

    with tempfile.TemporaryDirectory(prefix="sec-release-bench-") as tmp:
        port = free_port()
        log = Path(tmp) / "temporal.log"
        db = Path(tmp) / "temporal.db" if sqlite else None
        with log.open("wb") as sink:
            process = await asyncio.create_subprocess_exec(
                *dev_server_command(port, db), stdout=sink, stderr=sink
            )
        try:
            address = f"127.0.0.1:{port}"
            loop = asyncio.get_running_loop()
            deadline = loop.time() + READY_TIMEOUT_SECONDS
            while True:
                if process.returncode is not None:
                    raise RuntimeError(
                        f"temporal server start-dev exited ({process.returncode}): "
                        f"{log.read_text(errors='replace')[-800:]}"
                    )
                try:
                    await Client.connect(address)
                    break
                except RuntimeError:
                    if loop.time() > deadline:
                        raise
                    await asyncio.sleep(0.2)
            yield DevServer(address=address, pid=process.pid)
        finally:
            await _stop(process)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 20)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


# -- dates -------------------------------------------------------------------------------------


def working_days(start: date, count: int) -> list[date]:
    """`count` consecutive Working Days in England and Wales from `start` (ad hoc release ids)."""
    from rules.workdays import england_and_wales

    cal = england_and_wales(start.year, start.year + count // 200 + 2)
    days = [cal.on_or_after(start)]
    while len(days) < count:
        days.append(cal.add(days[-1], 1))
    return days


# The benchmarks' own front door key (ACCESS.md): their workers trust it, their clients sign.
_BENCH_KEY: Any = None


def _bench_key() -> Any:
    global _BENCH_KEY
    if _BENCH_KEY is None:
        from starter.keys import SigningKey

        _BENCH_KEY = SigningKey.generate("bench")
    return _BENCH_KEY


def bench_keys() -> list[Any]:
    return [_bench_key().trusted(rehearsal=True)]


def bench_signer() -> Any:
    from starter.keys import Signer

    return Signer(_bench_key())
