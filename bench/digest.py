"""The morning digest against mailing each notice at once: messages the mail server takes and
the wall time, for one morning of reminders and escalations across many releases.

Real parts: the SQL outbox in a SQLite file, aiosmtplib talking to aiosmtpd on a free port, the
contacts file the worker reads. `--releases` releases (default 20) each have two level-1
escalations (to SECAS, the Panel chair and whoever owes them) and one reminder (to the DCC and
SECAS) recorded yesterday. The baseline mails each one at once (`immediate`, the default); the
value keeps them (`digest`) and runs that morning's `send_digests` three times, as a retried
activity would: the third and second runs must send nothing (`details.resent`).

    PYTHONPATH=. .venv/bin/python bench/digest.py [--releases N]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from datetime import date
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import benchlib
from aiosmtpd.smtp import SMTP

from activities.mail import OutboxSender, SmtpTarget
from activities.store import open_engine, session_factory, upgrade_store
from rules.clock import london
from schemas.digest import DigestRequest
from schemas.state import Notice
from schemas.workflow_io import NoticeRequest

CONTACTS = (
    "SECAS: [secas@secas.example]\nPANEL: [panel@panel.example]\n"
    "DCC: [release.manager@dcc.example]\nTAG: [tag@tag.example]\n"
)
YESTERDAY = london(date(2019, 7, 1), 10)
MORNING = date(2019, 7, 2)


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((str(message["Message-ID"]), list(envelope.rcpt_tos)))
        return "250 OK"


def requests(releases: int) -> list[NoticeRequest]:
    found: list[NoticeRequest] = []
    for n in range(releases):
        release_id = f"2099-{n:03d}"
        common = {"release_id": release_id, "release_name": f"Release {n}"}
        for deadline, who in (("scope_system", "PANEL"), ("notice_12m", "SECAS")):
            notice = Notice(
                key=f"{release_id}/{deadline}/c1/L1",
                kind="escalation",
                at=YESTERDAY,
                subject=f"Escalation level 1: {deadline} lapsed",
                to=["SECAS", "PANEL_CHAIR", who],
                deadline=deadline,
                level=1,
                due=date(2019, 6, 25),
            )
            found.append(NoticeRequest(**common, go_live=date(2020, 6, 25), notice=notice))
        notice = Notice(
            key=f"{release_id}/tad_to_tag/c1/R",
            kind="reminder",
            at=YESTERDAY,
            subject="Reminder: tad_to_tag",
            to=["DCC", "SECAS"],
            deadline="tad_to_tag",
            due=date(2019, 7, 9),
        )
        found.append(NoticeRequest(**common, go_live=date(2020, 6, 25), notice=notice))
    return found


async def one_way(work: Path, releases: int, *, digest: bool) -> dict[str, Any]:
    sink = Sink()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(sink), host="127.0.0.1", port=0)
    port = int(server.sockets[0].getsockname()[1])
    contacts = work / "contacts.yaml"
    contacts.write_text(CONTACTS, encoding="utf-8")
    engine = open_engine(f"sqlite+aiosqlite:///{work / ('d' if digest else 'i')}.db")
    await upgrade_store(engine)
    sender = OutboxSender(
        session_factory(engine),
        smtp=SmtpTarget("127.0.0.1", port),
        mail_from="sec-release@secas.example",
        contacts_file=contacts,
        digest=digest,
    )
    morning = DigestRequest(morning=MORNING, cutoff=london(MORNING, 7))
    try:
        with benchlib.stopwatch() as took:
            for request in requests(releases):
                await sender.send(request)
            if digest:
                first = await sender.send_digests(morning)
        resent = 0
        if digest:
            for _ in range(2):
                resent += len((await sender.send_digests(morning)).sent)
            assert len(first.sent) == len(sink.messages)
    finally:
        server.close()
        await engine.dispose()
    deliveries = sum(len(to) for _, to in sink.messages)
    return {
        "messages": len(sink.messages),
        "deliveries": deliveries,
        "seconds": took[0],
        "resent": resent,
        "distinct_message_ids": len({m for m, _ in sink.messages}),
    }


async def run(releases: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        immediate = await one_way(work, releases, digest=False)
        digest = await one_way(work, releases, digest=True)
    print(
        benchlib.table(
            ["way", "messages", "deliveries", "seconds", "resent"],
            [
                [w, r["messages"], r["deliveries"], f"{r['seconds']:.2f}", r["resent"]]
                for w, r in (("immediate", immediate), ("digest", digest))
            ],
        )
    )
    return benchlib.write_result(
        "digest",
        digest["messages"],
        immediate["messages"],
        "messages",
        figure=f"messages the mail server took for one morning of {releases} releases' "
        "reminders and escalations, in digest mode",
        baseline_is="the same notices mailed at once (immediate mode)",
        details={"immediate": immediate, "digest": digest, "releases": releases},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.releases))
    benchlib.finish()


if __name__ == "__main__":
    main()
