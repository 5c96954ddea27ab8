"""A notice that can never be sent does not hold back the release's mail (issue 11, item 3):
the release marks it failed, tells SECAS, and the notices after it go out, each once."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import Client

from schemas.state import Delivery
from tests.activities.conftest import MailServer
from tests.faults.harness import eventually, notice_batches
from tests.security.test_raw_client import baselined


async def test_an_undeliverable_notice_is_failed_reported_and_the_rest_are_delivered(
    dev_client: Client, tmp_path: Path, mail_server: MailServer, contacts_file: Path
) -> None:
    # The mail server refuses the scope_system escalation for good (5xx at DATA).
    mail_server.refuse_subjects["scope_system lapsed"] = "554 5.6.0 message refused"
    async with baselined(dev_client, tmp_path, mail_server, contacts_file, "2027-06") as p:

        async def settled() -> bool:
            state = await p.deployment.state("2027-06")
            return all(n.delivery in (Delivery.SENT, Delivery.FAILED) for n in state.notices)

        await eventually(settled, "every notice sent or failed", seconds=60)
        state = await p.deployment.state("2027-06")
        failed = [n for n in state.notices if n.delivery is Delivery.FAILED]
        assert [n.key for n in failed] == ["2027-06/scope_system/c1/L1"]
        assert "refused it permanently" in failed[0].error and "554" in failed[0].error
        report = next(n for n in state.notices if n.kind == "undeliverable")
        assert report.to == ["SECAS"] and report.delivery is Delivery.SENT
        sent_keys = [n.key for n in state.notices if n.delivery is Delivery.SENT]
        # Every other notice went out exactly once, in order, after the failed one too.
        assert sorted(mail_server.keys) == sorted(sent_keys)
        assert len(mail_server.keys) == len(set(mail_server.keys))
        assert any(a.command == "notice failed" for a in state.audit)
        # It failed inside a batch of the release's first notices, and the others of that batch
        # went out; the report to SECAS followed in a later batch.
        batches = await notice_batches(dev_client, "release/2027-06")
        [first] = [b for b in batches if failed[0].key in b]
        assert len(first) > 1 and set(first) - {failed[0].key} <= set(mail_server.keys)
        assert not any(report.key in b for b in batches[: batches.index(first) + 1])
