"""`sec-release up` killed with SIGKILL leaves no server behind (issue 11, item 9), and its data
dir is private whatever the umask (issue 11, data at rest).

Each test runs an `up` of its own, on its own data dir and ports, apart from the session's.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
from pathlib import Path

import pytest

from settings import Settings
from starter.devserver import command, is_our_server
from tests.e2e.conftest import DevServer, gone


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_the_dev_server_dies_with_up_killed_by_sigkill_and_up_starts_again(
    dev: DevServer,
) -> None:
    dev.start()
    server_pid = dev.pid_in("temporal.pid")
    assert is_our_server(server_pid, Settings(SEC_RELEASE_DATA_DIR=str(dev.data_dir)))
    dev.kill()
    assert gone(server_pid), "the Temporal dev server outlived `up`"

    start = dev.log.stat().st_size
    dev.start()  # the same data dir and ports
    said = dev.log_text(start)
    assert f"An earlier `sec-release up` on {dev.data_dir} did not stop cleanly" in said, said
    assert "already in use" not in said
    assert dev.pid_in("temporal.pid") != server_pid
    assert dev.stop() == 0
    assert not (dev.data_dir / "temporal.pid").exists(), "a clean stop leaves no pid file"


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")
def test_up_stops_a_server_that_an_earlier_up_on_its_data_dir_left_running(
    dev: DevServer,
) -> None:
    """What a server left behind looks like (e.g. where the kernel cannot stop it with `up`):
    the dev server on the data dir's database, in its own session, its pid recorded."""
    settings = Settings(SEC_RELEASE_DATA_DIR=str(dev.data_dir))
    dev.data_dir.mkdir(parents=True)
    with (dev.data_dir / "temporal.log").open("ab") as log:
        orphan = subprocess.Popen(
            command(settings, dev.port, dev.ui_port),
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    try:
        (dev.data_dir / "temporal.pid").write_text(
            json.dumps({"pid": orphan.pid, "db": str(settings.temporal_db)}), encoding="utf-8"
        )
        dev.start()  # the orphan holds the ports until `up` stops it
        said = dev.log_text()
        assert (
            f"Found the Temporal dev server (pid {orphan.pid}) that an earlier `sec-release up` "
            f"on {dev.data_dir} left running, and stopped it." in said
        ), said
        assert orphan.wait(5) is not None
    finally:
        if orphan.poll() is None:
            os.kill(orphan.pid, signal.SIGKILL)
            orphan.wait()


def test_a_pid_file_naming_another_process_is_never_acted_on(dev: DevServer) -> None:
    settings = Settings(SEC_RELEASE_DATA_DIR=str(dev.data_dir))
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        assert not is_our_server(bystander.pid, settings)
        assert not is_our_server(os.getpid(), settings)
    finally:
        bystander.kill()
        bystander.wait()


def test_the_data_dir_and_databases_are_private_whatever_the_umask(dev: DevServer) -> None:
    previous = os.umask(0o000)  # `up` inherits it: everything would be world-writable
    try:
        dev.start()
    finally:
        os.umask(previous)
    dev.stop()
    modes = {
        p.name: stat.S_IMODE(p.stat().st_mode)
        for p in [dev.data_dir, *dev.data_dir.iterdir()]
        if p.name in ("data", "sec-release.db", "temporal.db", "temporal.log")
        or p.name.startswith(("sec-release.db-", "temporal.db-"))
    }
    assert modes["data"] == 0o700
    assert set(modes) >= {"sec-release.db", "temporal.db", "temporal.log"}
    assert {name: mode for name, mode in modes.items() if name != "data"} == {
        name: 0o600 for name in modes if name != "data"
    }
