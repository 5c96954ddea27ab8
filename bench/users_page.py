"""Server time of SECAS's Users page (`GET /users`) beside the directory reads it is drawn from,
with N principals, p50 and p95.

The front door runs in this process on a fresh SQLite store in a temporary folder (no Temporal:
the Users page reads the directory only), called through httpx's ASGI transport, so the time is
the server's own (no socket). N principals (one in ten a service account), each user having
opened a web session (so "last sign-in" has a value), and SECAS signed in. Each round reads,
one at a time:

- the page `GET /users`, beside `Directory.list_principals()` plus `last_sign_ins()` (exactly
  the data the page shows, read directly: the baseline);
- one login's page `GET /users/LOGIN` (its entry, its tokens, its last sign-in).

    PYTHONPATH=. .venv/bin/python bench/users_page.py [--principals 200] [--rounds 40]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import benchlib

PASSWORD = "bench password for secas"


async def main(count: int, rounds: int) -> None:
    import httpx
    from argon2 import PasswordHasher

    from activities.store import open_engine, session_factory, upgrade_store
    from frontdoor.app import create_app
    from frontdoor.auth import SESSION_COOKIE, DirectoryAuthenticator
    from frontdoor.directory import Directory
    from frontdoor.directory_admin import last_sign_ins
    from settings import Settings

    async def no_releases() -> Any:
        raise RuntimeError("the Users page reads no release")

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        engine = open_engine(settings.database_url)
        await upgrade_store(engine)
        cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        directory = Directory(session_factory(engine), hasher=cheap)
        await directory.add_user("secas", "SECAS", name="SECAS Bench", password=PASSWORD)
        roles = ["PANEL", "DCC", "TAG", "OPSG", "AUTHORITY", "PARTY", "PANEL_CHAIR"]
        for n in range(count - 1):
            role = roles[n % len(roles)]
            service = n % 10 == 9
            login = f"user{n:04d}"
            await directory.add_user(
                login,
                role,
                name=f"User {n}",
                org=f"Party {n}" if role == "PARTY" else "Org",
                email=f"{login}@example.org",
                kind="service" if service else "user",
            )
            if not service:
                await directory.new_session(login, timedelta(hours=1))
            await directory.new_token(login, 90)
        app = create_app(
            settings,
            releases=no_releases,
            authenticator=DirectoryAuthenticator(directory, None),
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            signed_in = await http.post("/login", json={"login": "secas", "password": PASSWORD})
            assert signed_in.status_code == 200, signed_in.text
            http.cookies.set(SESSION_COOKIE, signed_in.cookies[SESSION_COOKIE])

            async def page() -> None:
                answer = await http.get("/users")
                assert answer.status_code == 200 and "user0000" in answer.text, answer.status_code

            async def one() -> None:
                answer = await http.get("/users/user0001")
                assert answer.status_code == 200, answer.status_code

            async def reads() -> None:
                entries = await directory.list_principals()
                await last_sign_ins(directory)
                assert len(entries) == count

            kinds: dict[str, Callable[[], Awaitable[None]]] = {
                "users page": page,
                "directory reads": reads,
                "one login's page": one,
            }
            samples: dict[str, list[float]] = {k: [] for k in kinds}
            for k in kinds.values():  # warm-up: templates compiled, the engine's pool filled
                await k()
            for _ in range(rounds):
                for name, call in kinds.items():
                    started = time.perf_counter()
                    await call()
                    samples[name].append((time.perf_counter() - started) * 1000)
        await engine.dispose()

    rows = [
        [name, f"{benchlib.percentile(v, 50):.1f}", f"{benchlib.percentile(v, 95):.1f}"]
        for name, v in samples.items()
    ]
    print(benchlib.table(["read", "p50 ms", "p95 ms"], rows))
    benchlib.write_result(
        "users_page",
        benchlib.percentile(samples["users page"], 95),
        benchlib.percentile(samples["directory reads"], 95),
        "ms",
        figure=f"GET /users p95, {count} principals, server time (ASGI, no socket)",
        baseline_is="Directory.list_principals() + last_sign_ins() p95, the same data read directly",
        principals=count,
        rounds=rounds,
        p50={k: round(benchlib.percentile(v, 50), 2) for k, v in samples.items()},
        p95={k: round(benchlib.percentile(v, 95), 2) for k, v in samples.items()},
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--principals", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main(args.principals, args.rounds))
