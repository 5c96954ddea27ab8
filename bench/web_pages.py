"""Server time of the web app's pages beside the API's own reading of the same data, with 100
releases: the portfolio (`GET /`) and a release page (`GET /releases/ID`), p50 and p95.

`sec-release up` runs as a process on loopback (as `frontdoor_load.py` starts it: its own dev
server, worker and front door in a temporary data dir); 100 ad hoc System releases are created
through the API. The pages are read with a web session of the dev Panel user (opened in the
directory, as signing in does), the API with that user's dev token. One request at a time,
from one client, the kinds alternating round by round; the time is from sending the request to
the last byte of the answer, on loopback, so it is the server's time plus a few hundred
microseconds.

- the release page beside `GET /api/releases/ID` (the same status query; the page adds the
  Gantt, the forms and the template);
- the portfolio beside `GET /api/releases` (the list alone: what the portfolio should cost)
  and beside the list plus every release's `GET /api/releases/ID`, 8 at a time (what it cost
  when it queried each release's status). It now reads the list from the visibility store and
  every release's portfolio facts from the register in one query
  (`frontdoor.web.portfolio`), and the Panel's freezes for the year's calendar.

    PYTHONPATH=. .venv/bin/python bench/web_pages.py [--releases 100] [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import benchlib
from frontdoor_load import sec_release_up

PAGE_READS = 5  # release-page (and API status) samples per round, per kind


async def main(count: int, rounds: int) -> None:
    import httpx

    from activities.store import open_engine, session_factory
    from frontdoor.auth import SESSION_COOKIE
    from frontdoor.directory import Directory
    from schemas.principal import AccessRole
    from settings import Settings
    from starter.devusers import dev_login, read_dev_tokens

    times: dict[str, list[float]] = {}
    with sec_release_up() as up:
        settings = Settings(data_dir=up.data_dir, temporal_address=up.address)
        tokens = read_dev_tokens(settings.model_copy(update={"dev_mode": True}))
        engine = open_engine(settings.database_url)
        try:
            directory = Directory(session_factory(engine))
            opened = await directory.new_session(dev_login(AccessRole.PANEL), timedelta(hours=1))
        finally:
            await engine.dispose()
        api_auth = {"Authorization": f"Bearer {tokens['PANEL']}"}
        secas = {"Authorization": f"Bearer {tokens['SECAS']}"}
        async with httpx.AsyncClient(base_url=up.url, timeout=120) as http:
            days = benchlib.working_days(date(2029, 3, 1), count)
            gate = asyncio.Semaphore(8)

            async def create(day: date) -> str:
                async with gate:
                    made = await http.post(
                        "/api/releases",
                        json={"id": day.isoformat(), "ad_hoc": True, "type": "system"},
                        headers=secas,
                    )
                assert made.status_code == 201, made.text
                created: str = made.json()["id"]
                return created

            with benchlib.stopwatch() as took:
                releases = list(await asyncio.gather(*(create(d) for d in days)))
            print(f"{len(releases)} releases created in {took[0]:.1f} s at {up.url}")
            page_release = releases[len(releases) // 2]
            cookies = {SESSION_COOKIE: opened.cookie}

            async def get(path: str, **kw: Any) -> httpx.Response:
                answer = await http.get(path, **kw)
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
                return answer

            async def portfolio() -> None:
                answer = await get("/", cookies=cookies)
                assert page_release in answer.text

            async def api_list() -> None:
                listed = (await get("/api/releases", headers=api_auth)).json()
                assert len(listed) == count, len(listed)

            async def api_list_and_statuses() -> None:
                listed = (await get("/api/releases", headers=api_auth)).json()
                reads = asyncio.Semaphore(8)

                async def one(item: dict[str, Any]) -> None:
                    async with reads:
                        await get(f"/api/releases/{item['id']}", headers=api_auth)

                await asyncio.gather(*(one(item) for item in listed))

            async def release_page() -> None:
                answer = await get(f"/releases/{page_release}", cookies=cookies)
                assert page_release in answer.text

            async def api_status() -> None:
                await get(f"/api/releases/{page_release}", headers=api_auth)

            kinds: dict[str, tuple[Callable[[], Awaitable[None]], int]] = {
                "portfolio page (GET /)": (portfolio, 1),
                "GET /api/releases": (api_list, 1),
                "GET /api/releases + each GET /api/releases/ID": (api_list_and_statuses, 1),
                "release page (GET /releases/ID)": (release_page, PAGE_READS),
                "GET /api/releases/ID": (api_status, PAGE_READS),
            }
            times = {name: [] for name in kinds}
            order = list(kinds.items())
            for n in range(rounds + 1):
                for name, (read, repeat) in order if n % 2 else order[::-1]:
                    for _ in range(repeat):
                        start = time.perf_counter()
                        await read()
                        if n > 0:  # the first round warms up (imports, templates, caches)
                            times[name].append(time.perf_counter() - start)

    def p(name: str, q: float) -> float:
        return 1000 * benchlib.percentile(times[name], q)

    rows = [[name, len(t), f"{p(name, 50):.1f}", f"{p(name, 95):.1f}"] for name, t in times.items()]
    print(f"\n{count} releases; one request at a time, {rounds} rounds after a warm-up")
    print(benchlib.table(["reading", "samples", "p50 ms", "p95 ms"], rows))
    page, api = "release page (GET /releases/ID)", "GET /api/releases/ID"
    folio, listing = "portfolio page (GET /)", "GET /api/releases"
    everything = "GET /api/releases + each GET /api/releases/ID"
    print(
        f"release page / API status at p95: {p(page, 95) / p(api, 95):.2f}; portfolio / API list "
        f"at p95: {p(folio, 95) / p(listing, 95):.2f}; portfolio / (list + every status) at "
        f"p95: {p(folio, 95) / p(everything, 95):.2f}"
    )
    benchlib.write_result(
        "web_pages",
        p(page, 95),
        p(api, 95),
        "ms",
        figure=f"p95 server time of a release page (GET /releases/ID, web session), "
        f"{count} releases",
        baseline_is="p95 of GET /api/releases/ID for the same release (API token)",
        releases=count,
        rounds=rounds,
        p50_ms={name: round(p(name, 50), 2) for name in times},
        p95_ms={name: round(p(name, 95), 2) for name in times},
        details={
            "release_page_p50_ms": round(p(page, 50), 2),
            "release_page_p95_ms": round(p(page, 95), 2),
            "api_status_p95_ms": round(p(api, 95), 2),
            "portfolio_p50_ms": round(p(folio, 50), 2),
            "portfolio_p95_ms": round(p(folio, 95), 2),
            "api_list_p95_ms": round(p(listing, 95), 2),
            "api_list_and_each_status_p95_ms": round(p(everything, 95), 2),
            "portfolio_vs_api_list_p95": round(p(folio, 95) / p(listing, 95), 4),
            "portfolio_vs_list_and_statuses_p95": round(p(folio, 95) / p(everything, 95), 4),
        },
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--releases", type=int, default=100, help="releases created (100)")
    parser.add_argument("--rounds", type=int, default=10, help="rounds measured (10)")
    args = parser.parse_args()
    asyncio.run(main(args.releases, args.rounds))
    benchlib.finish()
