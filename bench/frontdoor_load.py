"""The front door under load: `sec-release up` as a process on loopback, 20 releases, and 1, 10
and 50 concurrent authenticated clients for a fixed time each, beside the same operations sent
straight to the workflows with `ReleaseClient` in the same run.

- The front door: `python -m starter up` on free ports in a temporary data dir (its own dev
  server, worker and front door, dev mode), called with httpx by the dev users' real directory
  tokens (`dev-tokens.json`). Each client is an `httpx.AsyncClient` of its own (its own
  connection), all in this process, each issuing a fixed mix one request after another:
  readings (`GET /api/releases/ID`, `GET /api/releases`), lifecycle commands the rules accept
  (`rid draft`, `criterion define`, `risk add`), commands the role table refuses (403: DCC
  drafting the RID, SECAS quoting costs) and commands a rule refuses (409: `readiness confirm`
  of a System release).
- Direct (the baseline): the same operations, same mix, same number of concurrent callers,
  through the `ReleaseClient` the front door itself builds (`starter.session.deployment_with`:
  signed with the data dir's key, `starter.keys`), for the principals the same tokens name; the
  role table checked as the front door checks it (`allowed_actor`), the readings as its
  handlers make them (`StatusOp`, `ListOp`).

Each level runs both sides for `--seconds` each (alternating which goes first). Afterwards every
release's audit (its `state` query) is checked: every command answered 200 (front door: its
`X-Request-Id`; direct: the id it was signed under) is there exactly once (`lost`,
`duplicated`), and no accepted entry appeared that no 200 answered (a refused command that
changed something: `changed_by_refused`). `errors_5xx` counts 5xx answers and transport errors.

    PYTHONPATH=. .venv/bin/python bench/frontdoor_load.py [--seconds 10] [--clients 1 10 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import benchlib

RELEASES = 20
UP_TIMEOUT_SECONDS = 120.0

# The mix, in shares of 100: (name, share, role, expected status).
MIX: tuple[tuple[str, int, str, int], ...] = (
    ("read status", 40, "PANEL", 200),
    ("read list", 10, "SECAS", 200),
    ("rid draft", 12, "SECAS", 200),
    ("criterion define", 12, "PANEL", 200),
    ("risk add", 11, "DCC", 200),
    ("rid draft as DCC", 5, "DCC", 403),
    ("costs quote as SECAS", 5, "SECAS", 403),
    ("readiness confirm", 5, "SECAS", 409),
)
COMMAND_PATHS = {
    "rid draft": "rid/draft",
    "criterion define": "criterion/define",
    "risk add": "risk/add",
    "rid draft as DCC": "rid/draft",
    "costs quote as SECAS": "costs/quote",
    "readiness confirm": "readiness/confirm",
}


def body_of(name: str, n: str) -> dict[str, Any]:
    """The request body of a command of the mix; `n` makes it unique."""
    if name.startswith("rid draft"):
        return {"note": f"Draft {n}."}
    if name == "criterion define":
        return {"key": f"c-{n}", "text": f"Criterion {n} is evidenced."}
    if name == "risk add":
        return {"risk": f"Risk {n}", "mitigation": "Watched."}
    if name.startswith("costs quote"):
        return {"total": "1000"}
    return {}


@dataclass
class Sample:
    side: str
    clients: int
    op: str
    release: str
    status: int
    seconds: float
    request_id: str = ""


@dataclass
class Up:
    """`sec-release up` running on a data dir of its own."""

    data_dir: Path
    process: subprocess.Popen[bytes]
    address: str
    url: str
    log: Path


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SEC_RELEASE_", "TEMPORAL_", "SMTP_"))
        and k not in ("DATABASE_URL", "MAIL_FROM")
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


@contextlib.contextmanager
def sec_release_up() -> Any:
    """`python -m starter up` on free ports in a temporary data dir; stopped with SIGTERM."""
    with tempfile.TemporaryDirectory(prefix="sec-release-bench-load-") as tmp:
        yield from _up(Path(tmp))


def _up(root: Path) -> Any:
    data_dir, log = root / "data", root / "up.log"
    port, http_port = benchlib.free_port(), benchlib.free_port()
    env = clean_env(
        SEC_RELEASE_DATA_DIR=str(data_dir),
        SEC_RELEASE_SINK_PORT=str(benchlib.free_port()),
        TEMPORAL_ADDRESS=f"127.0.0.1:{port}",
        PYTHONPATH=os.environ.get("PYTHONPATH", str(benchlib.ROOT)),
    )
    argv = [sys.executable, "-m", "starter", "up", "--port", str(port)]
    argv += ["--ui-port", str(benchlib.free_port()), "--http-port", str(http_port)]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            argv, env=env, cwd=benchlib.ROOT, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink
        )
    try:
        deadline = time.monotonic() + UP_TIMEOUT_SECONDS
        while "sec-release is up" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"`sec-release up` did not come up:\n{log.read_text()[-1500:]}")
            time.sleep(0.2)
        yield Up(data_dir, process, f"127.0.0.1:{port}", f"http://127.0.0.1:{http_port}", log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def principals(settings: Any, tokens: dict[str, str]) -> dict[str, Any]:
    """Who each dev token names, as the directory says (the direct side acts as them)."""
    from activities.store import open_engine, session_factory
    from frontdoor.directory import Directory

    engine = open_engine(settings.database_url)
    try:
        directory = Directory(session_factory(engine))
        found = {}
        for role, token in tokens.items():
            principal = await directory.principal_for_token(token)
            assert principal is not None, role
            found[role] = principal
        return found
    finally:
        await engine.dispose()


def choose(rng: random.Random) -> tuple[str, str, int]:
    pick = rng.randrange(100)
    for name, share, role, expected in MIX:
        if pick < share:
            return name, role, expected
        pick -= share
    raise AssertionError("shares add up to 100")


async def run_level(
    side: str,
    clients: int,
    seconds: float,
    releases: list[str],
    one: Callable[[int, str, str, str, str], Awaitable[tuple[int, str]]],
) -> list[Sample]:
    """`clients` callers, each issuing the mix one after another until `seconds` have passed."""
    samples: list[Sample] = []
    stop_at = time.perf_counter() + seconds

    async def caller(i: int) -> None:
        rng = random.Random(f"{side}-{clients}-{i}")
        while time.perf_counter() < stop_at:
            name, role, _ = choose(rng)
            release = rng.choice(releases)
            n = uuid.uuid4().hex[:12]
            start = time.perf_counter()
            try:
                code, request_id = await one(i, name, role, release, n)
            except Exception as exc:  # a transport error: counted with the 5xx
                print(f"  {side} {name}: {type(exc).__name__}: {exc}"[:200])
                code, request_id = 599, ""
            samples.append(
                Sample(side, clients, name, release, code, time.perf_counter() - start, request_id)
            )

    await asyncio.gather(*(caller(i) for i in range(clients)))
    return samples


def summary(samples: list[Sample], seconds: float) -> dict[str, Any]:
    times = [s.seconds for s in samples]
    expected = {name: code for name, _, _, code in MIX}
    return {
        "requests": len(samples),
        "per_second": round(len(samples) / seconds, 2),
        "p50_ms": round(1000 * benchlib.percentile(times, 50), 2),
        "p95_ms": round(1000 * benchlib.percentile(times, 95), 2),
        "p99_ms": round(1000 * benchlib.percentile(times, 99), 2),
        "errors_5xx": sum(1 for s in samples if s.status >= 500),
        "unexpected": sum(1 for s in samples if s.status != expected[s.op]),
        "answers": dict(Counter(str(s.status) for s in samples)),
    }


async def main(seconds: float, levels: list[int]) -> None:
    import httpx

    from frontdoor.commands_api import allowed_actor
    from frontdoor.errors import Forbidden
    from rules.audit import SYSTEM
    from schemas import commands as c
    from schemas.errors import Refused
    from settings import Settings
    from starter.client import Connection
    from starter.devusers import read_dev_tokens
    from starter.errors import Unavailable
    from starter.read_ops import ListOp, StatusOp
    from starter.session import deployment_with

    with sec_release_up() as up:
        settings = Settings(data_dir=up.data_dir, temporal_address=up.address)
        tokens = read_dev_tokens(settings.model_copy(update={"dev_mode": True}))
        who = await principals(settings, tokens)
        deployment = await deployment_with(settings, Connection(address=up.address))
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        secas = {"Authorization": f"Bearer {tokens['SECAS']}"}
        # 20 ad hoc System releases going live in 2029 (no deadline past), via the API.
        days = benchlib.working_days(date(2029, 3, 1), RELEASES)
        releases: list[str] = []
        async with httpx.AsyncClient(base_url=up.url, timeout=120) as http:
            for day in days:
                made = await http.post(
                    "/api/releases",
                    json={"id": day.isoformat(), "ad_hoc": True, "type": "system"},
                    headers=secas,
                )
                assert made.status_code == 201, made.text
                releases.append(made.json()["id"])
        print(f"`sec-release up` at {up.url}; {len(releases)} releases created")
        before = {r: {e.seq for e in (await deployment.state(r)).audit} for r in releases}

        http_clients: list[httpx.AsyncClient] = []

        async def through_front_door(
            i: int, name: str, role: str, release: str, n: str
        ) -> tuple[int, str]:
            http = http_clients[i]
            auth = {"Authorization": f"Bearer {tokens[role]}"}
            if name == "read status":
                answer = await http.get(f"/api/releases/{release}", headers=auth)
            elif name == "read list":
                answer = await http.get("/api/releases", headers=auth)
            else:
                answer = await http.post(
                    f"/api/releases/{release}/{COMMAND_PATHS[name]}",
                    json=body_of(name, n),
                    headers=auth,
                )
            return answer.status_code, answer.headers.get("X-Request-Id", "")

        models: dict[str, type[Any]] = {
            "rid draft": c.RidDraft,
            "criterion define": c.CriterionDefine,
            "risk add": c.RiskAdd,
            "rid draft as DCC": c.RidDraft,
            "costs quote as SECAS": c.CostsQuote,
            "readiness confirm": c.ReadinessConfirm,
        }

        async def direct(i: int, name: str, role: str, release: str, n: str) -> tuple[int, str]:
            principal = who[role]
            try:
                if name == "read status":
                    await StatusOp(release).run(deployment, principal.actor())
                    return 200, ""
                if name == "read list":
                    await ListOp(None, None, False, None, None).run(deployment, principal.actor())
                    return 200, ""
                command = models[name].model_validate(body_of(name, n))
                allowed_actor(principal, command)
                request_id = uuid.uuid4().hex
                await deployment.act(release, principal, command, request_id=request_id)
                return 200, request_id
            except Forbidden:
                return 403, ""
            except Refused:
                return 409, ""
            except Unavailable:
                return 503, ""

        results: dict[str, dict[int, dict[str, Any]]] = {"front door": {}, "direct": {}}
        samples: list[Sample] = []
        for k, clients in enumerate(levels):
            http_clients[:] = [
                httpx.AsyncClient(base_url=up.url, timeout=120, limits=limits)
                for _ in range(clients)
            ]
            sides: list[tuple[str, Any]] = [
                ("front door", through_front_door),
                ("direct", direct),
            ]
            for side, one in sides if k % 2 == 0 else sides[::-1]:
                got = await run_level(side, clients, seconds, releases, one)
                samples += got
                results[side][clients] = summary(got, seconds)
                r = results[side][clients]
                print(
                    f"{clients:3d} clients, {side:10s}: {r['per_second']:7.1f} req/s  "
                    f"p50 {r['p50_ms']:7.1f}  p95 {r['p95_ms']:7.1f}  p99 {r['p99_ms']:7.1f} ms"
                    f"  5xx {r['errors_5xx']}  unexpected {r['unexpected']}  {r['answers']}"
                )
            for http in http_clients:
                await http.aclose()

        # Every command answered 200 in its release's audit exactly once; nothing else new.
        answered: dict[str, set[str]] = {r: set() for r in releases}
        for s in samples:
            if s.status == 200 and s.op in COMMAND_PATHS:
                answered[s.release].add(s.request_id)
        lost = duplicated = changed_by_refused = missing_id = compacted = by_itself = 0
        for release in releases:
            state = await deployment.state(release)
            compacted += state.compacted_audit
            new = [e for e in state.audit if e.seq not in before[release]]
            # What the release did by itself meanwhile (a reminder, an escalation: actor
            # `sec-release`, no request id) is no one's command; counted apart.
            by_itself += sum(1 for e in new if e.actor == SYSTEM)
            ids = Counter(
                e.request_id for e in new if e.outcome == "accepted" and e.actor != SYSTEM
            )
            missing_id += sum(1 for rid in answered[release] if not rid)
            lost += sum(1 for rid in answered[release] if rid and ids[rid] == 0)
            duplicated += sum(n - 1 for rid, n in ids.items() if n > 1)
            changed_by_refused += sum(1 for rid in ids if rid not in answered[release])

    def pooled(side: str) -> dict[str, Any]:
        return summary([s for s in samples if s.side == side], seconds * len(levels))

    door, straight = pooled("front door"), pooled("direct")
    errors_5xx = door["errors_5xx"] + straight["errors_5xx"]
    rows = []
    for clients in levels:
        for side in ("front door", "direct"):
            r = results[side][clients]
            rows.append(
                [
                    f"{side}, {clients} clients",
                    r["requests"],
                    f"{r['per_second']:.1f}",
                    f"{r['p50_ms']:.1f}",
                    f"{r['p95_ms']:.1f}",
                    f"{r['p99_ms']:.1f}",
                    r["errors_5xx"],
                    r["unexpected"],
                ]
            )
        ratio = results["front door"][clients]["p95_ms"] / results["direct"][clients]["p95_ms"]
        rows.append([f"  p95 ratio at {clients}", "", "", "", f"{ratio:.2f}", "", "", ""])
    print()
    print(
        f"{seconds:.0f} s per side and level; the mix: " + ", ".join(f"{m[0]} {m[1]}%" for m in MIX)
    )
    print(
        benchlib.table(
            ["side", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "5xx", "unexpected"],
            rows,
        )
    )
    ratio = door["p95_ms"] / straight["p95_ms"]
    print(
        f"all levels pooled: front door p95 {door['p95_ms']:.1f} ms, direct p95 "
        f"{straight['p95_ms']:.1f} ms, ratio {ratio:.2f} (goal <= 1.5: "
        f"{'met' if ratio <= 1.5 else 'NOT met'})"
    )
    print(
        f"audit: {sum(len(v) for v in answered.values())} commands answered 200; lost {lost}, "
        f"duplicated {duplicated}, changed by a refused one {changed_by_refused}, "
        f"200 without a request id {missing_id}; 5xx {errors_5xx}; "
        f"entries the releases made by themselves (reminders, escalations) {by_itself}"
    )
    benchlib.write_result(
        "frontdoor_load",
        door["p95_ms"],
        straight["p95_ms"],
        "ms",
        figure="p95 latency through the front door (`sec-release up` on loopback, httpx, "
        "1, 10 and 50 clients pooled; readings, accepted and refused commands)",
        baseline_is="p95 latency of the same operations sent straight to the workflows with "
        "ReleaseClient (signed with the data dir's key), same clients and mix",
        target=1.5,
        met=ratio <= 1.5 and lost == 0 and duplicated == 0 and errors_5xx == 0,
        seconds_per_level=seconds,
        releases=RELEASES,
        mix={m[0]: {"share": m[1], "role": m[2], "expected": m[3]} for m in MIX},
        by_clients={side: {str(k): v for k, v in by.items()} for side, by in results.items()},
        pooled={"front door": door, "direct": straight},
        details={
            "lost": lost,
            "duplicated": duplicated,
            "errors_5xx": errors_5xx,
            "changed_by_refused": changed_by_refused,
            "entries_by_the_release_itself": by_itself,
            "answered_200_without_request_id": missing_id,
            "audit_compacted": compacted,
            "commands_answered_200": sum(len(v) for v in answered.values()),
            "p95_ratio_by_clients": {
                str(k): round(
                    results["front door"][k]["p95_ms"] / results["direct"][k]["p95_ms"], 3
                )
                for k in levels
            },
        },
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="per side and level (10)")
    parser.add_argument(
        "--clients", type=int, nargs="+", default=[1, 10, 50], help="levels (1 10 50)"
    )
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.clients))
    benchlib.finish()
