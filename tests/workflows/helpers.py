"""Driving releases through the real workflows on the session's time-skipping server."""

from __future__ import annotations

from rules.errors import Refused
from schemas.status import ReleaseStatus
from starter.rehearsal import Rehearsal
from tests.june2020 import RELEASE, SECAS, Step


async def created(r: Rehearsal, release_id: str = RELEASE) -> ReleaseStatus:
    """The scheduled release `release_id` created by SECAS (terminated when the rehearsal ends)."""
    status = await r.deployment.create_release(
        release_id, actor=SECAS, go_live=None, release_type=None, ad_hoc=False
    )
    r.release_ids.append(release_id)
    return status


async def run_steps(r: Rehearsal, release_id: str, steps: list[Step]) -> list[tuple[Step, str]]:
    """Apply each step at its business time; returns the refused ones with their sentences."""
    refused: list[tuple[Step, str]] = []
    for step in steps:
        await r.advance_to(step.at)
        try:
            await r.deployment.act(release_id, step.actor, step.command)
        except Refused as exc:
            refused.append((step, exc.sentence))
    return refused
