"""`sec-release up` in digest mode starts the deployment's one `DigestWorkflow`; started again
with another digest time, it tells the same run instead of starting a second."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from schemas.digest import DIGEST_WORKFLOW_ID
from tests.e2e.conftest import DevServer
from workflows.digest import DigestWorkflow


@dataclass
class DigestServer(DevServer):
    digest_time: str = "06:45"

    @property
    def env(self) -> dict[str, str]:
        return {
            **super().env,
            "SEC_RELEASE_NOTICE_DELIVERY": "digest",
            "SEC_RELEASE_DIGEST_TIME": self.digest_time,
        }


async def _digest(address: str) -> tuple[str, str]:
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    handle = client.get_workflow_handle(DIGEST_WORKFLOW_ID)
    for _ in range(50):  # the signal from the second start may be a moment behind its banner
        next_digest = await handle.query(DigestWorkflow.next_digest)
        run_id = (await handle.describe()).run_id
        if next_digest:
            return next_digest, run_id
        await asyncio.sleep(0.2)
    raise AssertionError("no digest workflow answered")


def test_up_in_digest_mode_runs_one_digest_workflow_at_the_time_set(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    root: Path = tmp_path_factory.mktemp("digest-up")
    server = DigestServer(data_dir=root / "data", log=root / "up.log")
    server.start()
    try:
        first, run_id = asyncio.run(_digest(server.address))
        server.stop()
        server.digest_time = "07:15"
        server.start()
        second, same_run = asyncio.run(_digest(server.address))
    finally:
        if server.process is not None:
            server.stop()

    # London wall-clock times (the offset is +00:00 or +01:00 by the season).
    assert first[11:16] == "06:45"
    assert second[11:16] == "07:15"
    assert same_run == run_id
