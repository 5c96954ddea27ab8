"""`up`'s front door as a process of its own: `python -m starter serve` beside the worker.

In one process the front door and the worker share one event loop and one GIL; on a machine with
few cores the front door's requests then take their CPU from the worker (bench/README.md,
`frontdoor_load`). So `up` starts the front door the way it starts the dev server: as a child
pointed at the dev server's address, the same data dir, store, signing key and dev mode.

It must not outlive `up`, even when `up` is killed with SIGKILL: the kernel sends it SIGTERM when
`up` dies (PR_SET_PDEATHSIG, `starter.devserver.die_with_parent`). Where that is not available,
its pid is recorded in the data dir and the next `up` on that data dir stops a front door it left
behind (after checking, from its command line, that the pid is still that front door).

If the front door stops on its own, `up` says so and stops everything: a front door that dies is
a fault to see (its traceback is on `up`'s standard error), and a restart loop would hide it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from settings import Settings
from starter.devserver import die_with_parent, stop, stop_leftover
from starter.errors import Unavailable

READY_TIMEOUT_SECONDS = 60.0
PID_FILE = "frontdoor.pid"
CHILD_FLAG = "--child-of-up"
# Settings that would point the child elsewhere than `up`'s dev server (it has no TLS or key).
_CONNECTION_SETTINGS = (
    "TEMPORAL_TLS",
    "TEMPORAL_TLS_CERT",
    "TEMPORAL_TLS_KEY",
    "TEMPORAL_TLS_CA",
    "TEMPORAL_API_KEY",
)


def command(settings: Settings, port: int) -> list[str]:
    """The child's command line: the data dir on it, so a leftover can be recognised."""
    return [
        sys.executable,
        "-m",
        "starter",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(settings.data_dir),
        CHILD_FLAG,
    ]


def environment(settings: Settings, address: str) -> dict[str, str]:
    """`up`'s environment, pointed at its dev server, in dev mode, running this checkout's code."""
    env = {k: v for k, v in os.environ.items() if k not in _CONNECTION_SETTINGS}
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env.update(
        TEMPORAL_ADDRESS=address,
        TEMPORAL_NAMESPACE=settings.temporal_namespace,
        SEC_RELEASE_DATA_DIR=str(settings.data_dir),
        SEC_RELEASE_DEV_MODE="1" if settings.dev_mode else "0",
        DATABASE_URL=settings.database_url,
        SEC_RELEASE_TASK_QUEUE=settings.task_queue,
    )
    return env


def pid_file(settings: Settings) -> Path:
    return settings.data_dir / PID_FILE


def is_our_front_door(pid: int, settings: Settings) -> bool:
    """Whether process `pid` is a front door `up` started on this data dir (Linux /proc)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    args = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
    return (
        args[1:4] == ["-m", "starter", "serve"]
        and CHILD_FLAG in args
        and "--data-dir" in args
        and args.index("--data-dir") + 1 < len(args)
        and args[args.index("--data-dir") + 1] == str(settings.data_dir)
    )


def stop_leftover_front_door(settings: Settings) -> str | None:
    """Stop a front door that an earlier `up` on this data dir left running; what was done."""
    found = stop_leftover(pid_file(settings), lambda pid: is_our_front_door(pid, settings))
    if found is None or found[1] is None:
        return None
    pid, how = found
    return (
        f"Found the front door (pid {pid}) that an earlier `sec-release up` on "
        f"{settings.data_dir} left running, and {how} it."
    )


async def _healthy(port: int) -> bool:
    """Whether GET /healthz on 127.0.0.1:port answers 200 (HTTP/1.0 over a socket)."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    try:
        writer.write(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 5.0)
        return status.split()[1:2] == [b"200"]
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


@contextlib.asynccontextmanager
async def front_door_process(
    settings: Settings, address: str, port: int
) -> AsyncIterator[asyncio.Task[int]]:
    """Run the front door as a child until the block ends, once its /healthz answers; yields a
    task that ends (with its exit code) if the child stops on its own."""
    # Its own session: Ctrl-C reaches `up` alone, which stops the front door first.
    process = await asyncio.create_subprocess_exec(
        *command(settings, port),
        env=environment(settings, address),
        start_new_session=True,
        preexec_fn=die_with_parent(),
    )
    path = pid_file(settings)
    path.write_text(json.dumps({"pid": process.pid}), encoding="utf-8")
    path.chmod(0o600)
    exited = asyncio.create_task(process.wait())
    try:
        deadline = asyncio.get_running_loop().time() + READY_TIMEOUT_SECONDS
        while not await _healthy(port):
            if exited.done():
                raise Unavailable(
                    f"The front door stopped as it started (exit {process.returncode}); "
                    "its error is above."
                )
            if asyncio.get_running_loop().time() > deadline:
                raise Unavailable(
                    f"The front door did not answer on http://127.0.0.1:{port}/healthz within "
                    f"{READY_TIMEOUT_SECONDS:.0f} s."
                )
            await asyncio.sleep(0.1)
        yield exited
    finally:
        await stop(process)
        exited.cancel()
        with contextlib.suppress(OSError):
            path.unlink()
