"""The June 2020 SEC Release from the seeds, end to end on the time-skipping server."""

from __future__ import annotations

from datetime import date, time

from temporalio.testing import WorkflowEnvironment

from rules.clock import LONDON, london
from starter.rehearsal import Rehearsal
from tests.june2020 import CREATED, RELEASE, SECAS, all_steps
from tests.workflows.helpers import run_steps
from tests.workflows.histories import record_history


async def test_june_2020_runs_from_scope_to_closing_with_its_late_deadlines(
    env: WorkflowEnvironment,
) -> None:
    async with Rehearsal(env, CREATED) as r:
        await r.deployment.create_release(
            RELEASE, actor=SECAS, go_live=None, release_type=None, ad_hoc=False
        )
        r.release_ids.append(RELEASE)
        refused = await run_steps(r, RELEASE, all_steps())
        status = await r.deployment.status(RELEASE)  # a closed release still answers its query
        result = await r.deployment.handle(RELEASE).result()
        registered = r.register.rows[RELEASE]
        await record_history(env.client, f"release/{RELEASE}", "june2020_release")
        await record_history(env.client, f"release/{RELEASE}/appeal/2.0", "june2020_appeal_2_0")
        await record_history(env.client, r.deployment.panel_id, "june2020_panel")

    # GO was refused on 12 June 2020 with a Severity 1 defect open, naming every unmet item.
    assert [(s.at.date(), s.command.kind) for s, _ in refused] == [(date(2020, 6, 12), "vote")]
    assert refused[0][1] == (
        "GO is refused: 2 item(s) unmet: 1 Severity 1 defect is open; acceptance criterion test-5 "
        "is neither met nor waived. Meet or waive them, or vote no-go with a reason."
    )

    deadlines = {d.key: d for d in status.deadlines}
    # The real baselines came later than the 12- and 6-month minimums: reported as late.
    late = {k for k, d in deadlines.items() if d.late}
    assert late == {
        "scope_system",
        "notice_12m",
        "tad_to_tag",
        "scope_docs",
        "notice_6m",
        "tad_final",
        "evidence",
    }
    assert (deadlines["scope_system"].due, deadlines["scope_system"].met_on) == (
        date(2019, 6, 25),
        date(2019, 10, 11),
    )
    assert (deadlines["scope_docs"].due, deadlines["scope_docs"].met_on) == (
        date(2019, 12, 24),
        date(2020, 1, 20),
    )
    assert (deadlines["tad_to_tag"].due, deadlines["tad_to_tag"].met_on) == (
        date(2019, 9, 25),
        date(2020, 3, 2),
    )
    assert (deadlines["evidence"].due, deadlines["evidence"].met_on) == (
        date(2020, 5, 14),
        date(2020, 5, 26),
    )
    # Escalation climbs to the top of the ladder (level 3) and repeats there.
    assert deadlines["scope_system"].escalation_level == 3
    assert deadlines["tad_to_tag"].escalation_level == 3
    assert not deadlines["notice_1m"].late
    assert deadlines["notice_1m"].met_on == date(2020, 5, 22)

    # Reminders 5 Working Days before, level 1 the Working Day after, then every 5 Working Days,
    # always at 09:00 London time.
    sends = [
        (e.at.astimezone(LONDON), e.kind, e.level)
        for e in status.escalations
        if e.deadline == "scope_system"
    ]
    assert sends[0] == (london(date(2019, 6, 18), 9), "reminder", None)
    assert sends[1:4] == [
        (london(date(2019, 6, 26), 9), "escalation", 1),
        (london(date(2019, 7, 3), 9), "escalation", 2),
        (london(date(2019, 7, 10), 9), "escalation", 3),
    ]
    # ... and then at level 3 every 5 Working Days until the baseline: 16 escalations in all.
    assert sends[-1] == (london(date(2019, 10, 10), 9), "escalation", 3)
    assert len(sends) == 1 + 16
    repeats = [e for e in status.escalations if e.deadline == "scope_system" and e.level == 3]
    assert [e.key.rsplit("/", 1)[1] for e in repeats[:3]] == ["L3", "L3-2", "L3-3"]
    assert repeats[1].subject.startswith("Escalation level 3 (repeat 2): June 2020 SEC Release")
    tad = [
        (e.at.date(), e.level)
        for e in status.escalations
        if e.deadline == "tad_to_tag" and e.kind == "escalation"
    ]
    assert tad[:2] == [(date(2019, 9, 26), 1), (date(2019, 10, 3), 2)]
    # Every send is at 09:00, except a reminder due already when its deadline was set: an
    # approval notice is due the next Working Day, so its reminder goes out at once.
    at_once = {
        (e.deadline, e.kind)
        for e in status.escalations
        if e.at.astimezone(LONDON).time() != time(9)
    }
    assert at_once == {
        ("approval_notice:SECMP0053", "reminder"),
        ("approval_notice:SECMP0062", "reminder"),
    }
    assert {e.delivery for e in status.escalations} == {"sent"}

    # Levels widen who is told: level 1 to SECAS and the Panel chair, level 2 the whole Panel.
    level = {e.level: e.to for e in status.escalations if e.deadline == "tad_to_tag" and e.level}
    assert level[1] == ["SECAS", "PANEL_CHAIR", "DCC"]
    assert level[2] == ["SECAS", "PANEL_CHAIR", "DCC", "PANEL"]
    assert level[3] == ["SECAS", "PANEL_CHAIR", "DCC", "PANEL", "TAG", "OPSG"]

    # Appeals: 1.0, 3.0 and 4.0 unchallenged; the appeal against 2.0 was referred and upheld.
    assert [(w.version, w.status.value) for w in status.appeals] == [
        ("1.0", "unchallenged"),
        ("2.0", "upheld"),
        ("3.0", "unchallenged"),
        ("4.0", "unchallenged"),
    ]
    # GO needs the RID as it stands baselined: 4.0 holds the TAD incorporated as draft 3.1.
    assert status.rid.version == "4.0"
    assert not status.rid.changed_since_baseline
    assert status.rid.frozen
    assert [e.version for e in status.rid.history] == [
        "0.1",
        "0.2",
        "0.3",
        "1.0",
        "1.1",
        "2.0",
        "3.0",
        "3.1",
        "4.0",
    ]
    assert status.phase == "CLOSED"
    assert status.closed_on == date(2020, 9, 10)
    # Closing ends the workflow; its full record goes to the register first.
    assert result.status.phase == "CLOSED"
    assert registered.final is not None
    assert registered.final.phase == "CLOSED"
    assert registered.final.audit == result.status.audit
