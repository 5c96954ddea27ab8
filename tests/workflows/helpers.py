"""Driving releases through the real workflows on the session's time-skipping server."""

from __future__ import annotations

from rules.errors import Refused
from starter.rehearsal import Rehearsal
from tests.june2020 import Step


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
