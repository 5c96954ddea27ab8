"""A worker that keeps fewer releases in memory than are open (`Settings.max_cached_workflows`)
evicts them between wakes; an evicted release replays its history when it next wakes and goes
on exactly as a cached one would: every reminder and escalation once, the same audit trail."""

from __future__ import annotations

from datetime import date

from temporalio.testing import WorkflowEnvironment

from rules.clock import london
from schemas.base import Actor
from schemas.vocabulary import ReleaseType
from starter.rehearsal import Rehearsal

START = london(date(2030, 1, 2), 10)
SECAS = Actor.parse("SECAS:Cache")
# Ad hoc releases whose first deadlines fall, lapse and escalate within the months skipped.
GO_LIVES = [date(2031, 2, 27), date(2031, 3, 6), date(2031, 3, 13)]
UNTIL = london(date(2030, 4, 10), 10)


async def _months_of(
    env: WorkflowEnvironment, cached: int
) -> tuple[list[str], dict[str, list[str]]]:
    """Every notice key sent, and each release's audit trail, after the same months skipped
    by a worker that keeps at most `cached` workflows in memory."""
    async with Rehearsal(env, START, max_cached_workflows=cached) as r:
        for day in GO_LIVES:
            await r.deployment.create_release(
                day.isoformat(),
                actor=SECAS,
                go_live=day,
                release_type=ReleaseType.SYSTEM,
                ad_hoc=True,
            )
            r.release_ids.append(day.isoformat())
        await r.advance_to(UNTIL)
        keys = [request.notice.key for request in r.sender.sent]
        trails: dict[str, list[str]] = {}
        for release in r.release_ids:
            state = await r.deployment.state(release)
            # The creation's moment is the test's own clock (seconds apart between the runs);
            # every later entry is the release's, on its timers.
            create, *later = state.audit
            trails[release] = [create.command] + [f"{e.at.isoformat()} {e.command}" for e in later]
        return keys, trails


async def test_an_evicted_release_sends_each_notice_once_as_a_cached_one_does(
    env: WorkflowEnvironment,
) -> None:
    cached_keys, cached_trails = await _months_of(env, 1000)
    evicted_keys, evicted_trails = await _months_of(env, 1)

    assert len(cached_keys) > 3 * len(GO_LIVES)  # reminders and escalations went out
    assert len(evicted_keys) == len(set(evicted_keys))  # each exactly once
    assert sorted(evicted_keys) == sorted(cached_keys)
    assert evicted_trails == cached_trails
