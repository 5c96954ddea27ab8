"""`up`'s front door is a process of its own (issue 16, `frontdoor_load`): it answers when the
banner is printed, it dies with `up` even when `up` is killed with SIGKILL, one left behind is
stopped by the next `up` on the data dir, and if it stops on its own `up` says so and stops.

Each test runs an `up` of its own, on its own data dir and ports, apart from the session's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from settings import Settings
from starter.frontdoor_child import command, environment, is_our_front_door
from tests.e2e.conftest import REPO, DevServer, gone

pytestmark = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux /proc")


def health(dev: DevServer) -> dict[str, object]:
    with urllib.request.urlopen(f"{dev.url}/healthz", timeout=10) as answer:
        data: dict[str, object] = json.loads(answer.read())
        return data


def test_the_front_door_is_a_child_of_up_that_dies_with_it_killed_by_sigkill(
    dev: DevServer,
) -> None:
    dev.start()
    assert dev.process is not None
    pid = dev.pid_in("frontdoor.pid")
    assert pid != dev.process.pid
    assert is_our_front_door(pid, Settings(SEC_RELEASE_DATA_DIR=str(dev.data_dir)))
    assert health(dev)["dev_mode"] is True  # answering once the banner is out, in dev mode
    dev.kill()
    assert gone(pid), "the front door outlived `up`"

    start = dev.log.stat().st_size
    dev.start()  # the same data dir and ports: port free again
    assert "already in use" not in dev.log_text(start)
    assert dev.pid_in("frontdoor.pid") != pid
    assert dev.stop() == 0
    assert not (dev.data_dir / "frontdoor.pid").exists(), "a clean stop leaves no pid file"


def test_up_stops_a_front_door_that_an_earlier_up_on_its_data_dir_left_running(
    dev: DevServer,
) -> None:
    """What a front door left behind looks like where the kernel cannot stop it with `up`:
    `serve --child-of-up` on the data dir, in its own session, its pid recorded."""
    settings = Settings(SEC_RELEASE_DATA_DIR=str(dev.data_dir))
    dev.data_dir.mkdir(parents=True, mode=0o700)
    env = {**dev.env, **environment(settings, dev.address)}
    orphan = subprocess.Popen(
        command(settings, dev.http_port),
        env={**env, "PYTHONPATH": str(REPO)},
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        (dev.data_dir / "frontdoor.pid").write_text(
            json.dumps({"pid": orphan.pid}), encoding="utf-8"
        )
        dev.start()  # the orphan would hold the front door's port until `up` stops it
        said = dev.log_text()
        assert (
            f"Found the front door (pid {orphan.pid}) that an earlier `sec-release up` on "
            f"{dev.data_dir} left running, and stopped it." in said
        ), said
        assert orphan.wait(5) is not None
        assert health(dev)["status"] == "ok"
    finally:
        if orphan.poll() is None:
            os.kill(orphan.pid, signal.SIGKILL)
            orphan.wait()


def test_up_says_so_and_stops_when_its_front_door_dies(dev: DevServer) -> None:
    dev.start()
    assert dev.process is not None
    up = dev.process
    start = dev.log.stat().st_size
    os.kill(dev.pid_in("frontdoor.pid"), signal.SIGKILL)
    code = up.wait(60)
    dev.process = None
    said = dev.log_text(start)
    assert code == 1, said
    assert "The front door stopped on its own (exit -9)" in said, said
    assert "sec-release: The front door stopped on its own" in said, said
    assert "Traceback" not in said, said
    # Everything else stopped too: the dev server's port is free for the next `up`.
    dev.start()
    assert dev.stop() == 0


def test_a_pid_file_naming_another_process_is_never_acted_on(tmp_path: Path) -> None:
    settings = Settings(SEC_RELEASE_DATA_DIR=str(tmp_path))
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert not is_our_front_door(bystander.pid, settings)
        assert not is_our_front_door(os.getpid(), settings)
    finally:
        bystander.kill()
        bystander.wait()
