"""The portfolio drawn from one read agrees with each release's own status.

The portfolio (`GET /`) takes phase, type and go-live from `list` and the rest (name, RID
version, RAG, the next deadline and who owes it, the freeze marker) from what each release
recorded in the register (`frontdoor.web.portfolio`), not from a status query per release. Here
every row it shows is checked against `GET /api/releases/ID` for the same release, after a
release lapsed from the start, one far off and one whose RID was drafted since it was created.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import httpx

from activities.register import registered_portfolio
from frontdoor.auth import SESSION_COOKIE
from frontdoor.web import views
from rules.release_calendar import scheduled_go_live
from schemas.status import ReleaseStatus
from settings import Settings
from tests.e2e.conftest import DevServer, ad_hoc_day, today
from tests.web.conftest import Web

RAG_TEXT = {"red": "Red: lapsed", "amber": "Amber: due soon", "green": "Green"}
AGREE_WITHIN_SECONDS = 30.0


@dataclass
class Row:
    """One row of the portfolio's table as a person reads it."""

    id: str = ""
    cells: list[str] = field(default_factory=list)
    name: str = ""


class PortfolioTable(HTMLParser):
    """The rows of `table.portfolio`: the release's link (name, id) and each cell's text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []
        self._in_table = self._in_body = self._in_link = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table" and "portfolio" in (attributes.get("class") or ""):
            self._in_table = True
        elif self._in_table and tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append(Row())
        elif self._in_body and tag in ("th", "td"):
            self._cell = []
        elif self._in_body and tag == "a" and self._cell is not None and not self.rows[-1].id:
            self.rows[-1].id = (attributes.get("href") or "").removeprefix("/releases/")
            self._in_link = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_table = self._in_body = False
        elif tag == "a":
            self._in_link = False
        elif self._in_body and tag in ("th", "td") and self._cell is not None:
            self.rows[-1].cells.append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
            if self._in_link:
                self.rows[-1].name += data


def portfolio_rows(web: Web, cookie: str) -> dict[str, Row]:
    answer = httpx.get(f"{web.url}/", cookies={SESSION_COOKIE: cookie}, timeout=120)
    assert answer.status_code == 200, answer.text[:500]
    table = PortfolioTable()
    table.feed(answer.text)
    return {r.id: r for r in table.rows}


def expected_cells(status: ReleaseStatus) -> list[str]:
    """The row the release's own status calls for: release, type, phase, go-live (and freeze
    marker), RID version, RAG, next deadline (what, due), who owes it."""
    cal = views.calendar_for(status.as_of.date())
    soonest = views.next_deadline(status)
    go_live = status.go_live.isoformat() + (" in a freeze" if views.in_freeze(status) else "")
    return [
        f"{status.name} {status.id}",
        status.type.value,
        status.phase,
        go_live,
        status.rid.version,
        RAG_TEXT[views.rag(status, cal)],
        f"{soonest.what or soonest.key} {soonest.due}" if soonest else "-",
        ", ".join(soonest.who) if soonest else "-",
    ]


def test_the_portfolio_agrees_with_each_releases_own_status(
    web: Web, dev_server: DevServer
) -> None:
    t = today()
    lapsed = min(
        d
        for d in (scheduled_go_live(y, m) for y in (t.year, t.year + 1) for m in (2, 6, 11))
        if t + timedelta(days=45) < d < t + timedelta(days=365)
    ).strftime("%Y-%m")
    far, drafted = ad_hoc_day(520), ad_hoc_day(530)
    with web.api("SECAS") as secas:
        for body in (
            {"id": lapsed},
            {"id": far, "ad_hoc": True, "type": "system"},
            {"id": drafted, "ad_hoc": True, "type": "documentation"},
        ):
            made = secas.post("/api/releases", json=body)
            assert made.status_code in (201, 409), made.text  # 409: made by an earlier test
        draft = secas.post(f"/api/releases/{drafted}/rid/draft", json={"note": "Portfolio test."})
        assert draft.status_code == 200, draft.text

    session = web.run(web.directory.new_session(web.login_of("PANEL"), timedelta(hours=1)))
    deadline = time.monotonic() + AGREE_WITHIN_SECONDS
    with web.api("PANEL") as panel:
        while True:
            rows = portfolio_rows(web, session.cookie)
            expected = {}
            for release_id in rows:
                answer = panel.get(f"/api/releases/{release_id}")
                assert answer.status_code == 200, answer.text
                expected[release_id] = expected_cells(ReleaseStatus.model_validate(answer.json()))
            shown = {release_id: row.cells for release_id, row in rows.items()}
            # The register is written as each release records (a moment after a command).
            if shown == expected or time.monotonic() > deadline:
                break
            time.sleep(1)
    assert {lapsed, far, drafted} <= set(rows)
    assert shown == expected
    assert expected[lapsed][5] == RAG_TEXT["red"]
    assert expected[drafted][4] != expected[far][4]  # the draft moved its RID version on

    # Drawn from the register: every release the test made has its facts there.
    settings = Settings(data_dir=Path(dev_server.data_dir))
    facts = asyncio.run(registered_portfolio(settings))
    assert {lapsed, far, drafted} <= set(facts)
    assert facts[drafted].rid_version == expected[drafted][4]
