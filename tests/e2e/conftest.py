"""The end-to-end tier: the `sec-release` CLI as a process against a real dev server.

One `sec-release up` per test session, started the way users start it, on free ports with its
own data dir and mail-sink port, so it never meets a user's `make run` (7233/8233/8025) or another
test run. Every command then runs as `python -m starter ...` in a fresh process, exactly as a
user's shell would run it; the tests read its exit code, stdout and stderr, nothing else.

Release ids are scheduled or ad hoc ids derived from today's date (the server's business clock is
the real one), so the suite keeps working as the calendar moves on.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import takewhile
from pathlib import Path
from typing import Any, TypeVar

import pytest

from rules.clock import london_today
from rules.workdays import WorkingDayCalendar, calendar_around

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 30.0
GONE_WITHIN_SECONDS = 20.0
COMMAND_TIMEOUT_SECONDS = 60.0
PARALLEL_COMMANDS = 4
T = TypeVar("T")

# Settings that would point a command at something other than the test server.
_FOREIGN = ("SEC_RELEASE_", "TEMPORAL_", "SMTP_")
_FOREIGN_NAMES = {"DATABASE_URL", "MAIL_FROM"}

# A command that used the Temporal client once died as the interpreter finalized, after its
# answer (temporalio/sdk-python#300); every run is checked for that crash's marks.
_CRASH_SIGNATURE = "Fatal Python error"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def clean_environment(**extra: str) -> dict[str, str]:
    """The caller's environment without any sec-release or Temporal setting, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_FOREIGN) and k not in _FOREIGN_NAMES
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@dataclass(frozen=True)
class Run:
    """One finished command: its arguments, exit code, stdout and stderr."""

    args: tuple[str, ...]
    code: int
    out: str
    err: str

    @property
    def data(self) -> Any:
        """stdout as the one JSON document `--json` promises (fails if it is anything else)."""
        try:
            return json.loads(self.out)
        except json.JSONDecodeError as exc:
            raise AssertionError(
                f"`{' '.join(self.args)}` printed more or other than one JSON document on "
                f"stdout ({exc}):\n{self.out[:2000]}"
            ) from None

    def exited(self, code: int) -> bool:
        return self.code == code

    def describe(self) -> str:
        return (
            f"`sec-release {' '.join(self.args)}` exited {self.code}\n"
            f"stdout: {self.out[:1500]}\nstderr: {self.err[:1500]}"
        )


@dataclass
class Cli:
    """Runs `python -m starter ...` with a fixed environment (the test server, its data dir)."""

    env: dict[str, str]
    cwd: Path = REPO

    def run(self, *args: str, actor: str | None = None) -> Run:
        """Run one command; no traceback or crash may reach stderr, whatever the outcome."""
        argv = [*(("--as", actor) if actor else ()), *args]
        proc = subprocess.run(
            [sys.executable, "-m", "starter", *argv],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
        run = Run(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
        assert "Traceback (most recent call last)" not in run.err, run.describe()
        assert run.code >= 0, f"killed by signal {-run.code}: {run.describe()}"
        assert _CRASH_SIGNATURE not in run.err, run.describe()
        return run

    def ok(self, *args: str, actor: str | None = None) -> Any:
        """Run a command with `--json` that must succeed; its JSON document."""
        run = self.run(*args, "--json", actor=actor)
        assert run.exited(0), run.describe()
        return run.data

    def refused(self, *args: str, actor: str | None = None, code: int = 1) -> str:
        """Run a command with `--json` that must be refused (exit `code`); its sentence.

        The sentence is on stderr (`sec-release: ...`) and, the same, as `{"error": ...}` on
        stdout, which holds nothing else.
        """
        run = self.run(*args, "--json", actor=actor)
        assert run.exited(code), run.describe()
        assert set(run.data) == {"error"}, run.describe()
        sentence: str = run.data["error"]
        assert sentence.strip(), run.describe()
        assert run.err.strip() == f"sec-release: {sentence}", run.describe()
        return sentence

    def parallel(self, *calls: Callable[[], T]) -> list[T]:
        """Run independent commands side by side (each is mostly waiting); their results in order."""
        with ThreadPoolExecutor(max_workers=PARALLEL_COMMANDS) as pool:
            return [future.result() for future in [pool.submit(call) for call in calls]]

    def poll(self, *args: str, until: Any, actor: str | None = None, seconds: float = 20.0) -> Any:
        """Run a reading command until `until(data)` holds (visibility is eventually consistent)."""
        deadline = time.monotonic() + seconds
        while True:
            data = self.ok(*args, actor=actor)
            if until(data) or time.monotonic() > deadline:
                return data
            time.sleep(0.5)


@dataclass
class DevServer:
    """`sec-release up --port P --ui-port U --http-port H` on a data dir of its own; stopped
    with SIGTERM."""

    data_dir: Path
    log: Path
    port: int = field(default_factory=free_port)
    ui_port: int = field(default_factory=free_port)
    sink_port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"localhost:{self.port}"

    @property
    def url(self) -> str:
        """The front door `up` serves (the CLI's readings and commands go through it)."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def env(self) -> dict[str, str]:
        return clean_environment(
            SEC_RELEASE_DATA_DIR=str(self.data_dir),
            SEC_RELEASE_SINK_PORT=str(self.sink_port),
            TEMPORAL_ADDRESS=self.address,
        )

    def start(self) -> None:
        """Start `up` and wait until its worker is serving (its banner says so)."""
        assert self.process is None, "already running"
        start = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "starter",
                    "up",
                    "--port",
                    str(self.port),
                    "--ui-port",
                    str(self.ui_port),
                    "--http-port",
                    str(self.http_port),
                ],
                env=self.env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while "sec-release is up" not in self.log_text(start):
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                pytest.fail(
                    f"`sec-release up` exited {code} as it started:\n{self.log_text(start)}"
                )
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"`sec-release up` was not up after {START_TIMEOUT_SECONDS:.0f} s")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: `up` cannot stop anything it started."""
        assert self.process is not None, "not running"
        process, self.process = self.process, None
        process.kill()
        process.wait(10)

    def pid_in(self, name: str) -> int:
        """The pid `up` recorded in the data dir's pid file `name` (temporal.pid, frontdoor.pid)."""
        pid: int = json.loads((self.data_dir / name).read_text(encoding="utf-8"))["pid"]
        return pid

    def stop(self) -> int:
        """SIGTERM, as a service manager would send it; the exit code of `up`."""
        assert self.process is not None, "not running"
        process, self.process = self.process, None
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"`sec-release up` did not stop within {STOP_TIMEOUT_SECONDS:.0f} s")

    def log_text(self, start: int = 0) -> str:
        with self.log.open("rb") as f:
            f.seek(start)
            return f.read().decode("utf-8", errors="replace")


def running_stack(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[DevServer]:
    """`sec-release up` on a data dir of its own for a session fixture, stopped at its end."""
    root = tmp_path_factory.mktemp(name)
    dev = DevServer(data_dir=root / "data", log=root / "up.log")
    dev.start()
    try:
        yield dev
    finally:
        if dev.process is not None:
            dev.stop()


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[DevServer]:
    """An `up` of the test's own (not yet started), on its own data dir and ports."""
    dev = DevServer(data_dir=tmp_path / "data", log=tmp_path / "up.log")
    try:
        yield dev
    finally:
        if dev.process is not None:
            dev.stop()


def gone(pid: int, seconds: float = GONE_WITHIN_SECONDS) -> bool:
    """Whether process `pid` has exited (or is a zombie) within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1]
        except OSError:
            return True
        if state.split()[0] == "Z":
            return True
        time.sleep(0.2)
    return False


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    """One dev server, worker and mail sink for the whole e2e session."""
    yield from running_stack(tmp_path_factory, "e2e")


@pytest.fixture(scope="session")
def cli(server: DevServer, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """The CLI, pointed at the session's front door and data dir (so every reading and
    lifecycle command goes over HTTP, acting as the dev users `--as` names), with a config dir
    of its own (no token a developer saved with `sec-release login` is used)."""
    config = tmp_path_factory.mktemp("config")
    return Cli(env={**server.env, "SEC_RELEASE_URL": server.url, "XDG_CONFIG_HOME": str(config)})


# -- dates and ids ---------------------------------------------------------------------------


def today() -> date:
    """Today on the business clock of a real server: the date in London."""
    return london_today(datetime.now(UTC))


def working_days() -> WorkingDayCalendar:
    return calendar_around(today())


def ad_hoc_day(days_ahead: int) -> str:
    """An ad hoc release id: the first Working Day at least `days_ahead` days from today.

    Each test uses its own `days_ahead`, so ids never collide within a session.
    """
    return working_days().on_or_after(today() + timedelta(days=days_ahead)).isoformat()


def is_working_day(day: date) -> bool:
    return working_days().is_working_day(day)


def assert_keys(row: Mapping[str, Any], keys: set[str], where: str) -> None:
    """`row` has at least `keys` (CLI.md's contract; more fields are allowed)."""
    missing = keys - set(row)
    assert not missing, f"{where} lacks {sorted(missing)}: {sorted(row)}"


def commands(audit: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(actor, command) of each audit entry a person made, in order.

    The release records what it does by itself (reminders, escalations) as the actor
    `sec-release`; those entries follow the clock, not the test, so they are left out.
    """
    return [(a["actor"], command_name(a["command"])) for a in audit if a["actor"] != "sec-release"]


def command_name(audited: str) -> str:
    """The command of an audit entry without its arguments: `tad submit --doc T` -> `tad submit`.

    Entries are the command as typed; its words are the longest declared command they start with.
    """
    from starter.command_line import leaves

    words = audited.split()
    known = set(leaves()) | {"release create"}
    for n in (2, 1):
        if " ".join(words[:n]) in known:
            return " ".join(words[:n])
    return " ".join(takewhile(lambda word: not word.startswith("-"), words[:2]))
