"""`rehearse`: scenario files run on the time-skipping server, as CLI.md describes."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from rules.escalation import LONDON, london
from starter.cli import main
from starter.ops import ActOp
from starter.rehearsal import op_for_line, run_scenario
from starter.scenario import load_scenario, parse_scenario
from tests.june2020 import all_steps

EXAMPLES = Path(__file__).parent.parent.parent / "examples"
JUNE = EXAMPLES / "june-2020.yaml"
FEBRUARY = EXAMPLES / "february-2021.yaml"


def test_the_june_2020_example_is_the_seed_story_command_for_command() -> None:
    scenario = load_scenario(JUNE)
    story = all_steps()
    assert len(scenario.steps) == len(story)
    for step, expected in zip(scenario.steps, story, strict=True):
        op, _ = op_for_line(step.do)
        assert isinstance(op, ActOp)
        assert op.command == expected.command, step.do
        assert step.at == expected.at
        assert step.actor == str(expected.actor)


async def test_rehearsing_june_2020_reports_its_lapses_escalations_and_the_refused_go(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    report = await run_scenario(env, load_scenario(JUNE), out_dir=tmp_path)
    assert report.status is not None
    assert report.status.phase == "CLOSED"
    assert report.refused == [
        {
            "step": 70,
            "do": "vote 2020-06 go",
            "error": "GO is refused: 2 item(s) unmet: 1 Severity 1 defect is open; acceptance criterion "
            "test-5 is neither met nor waived. Meet or waive them, or vote no-go with a reason.",
        }
    ]
    late = {d.key: (d.due, d.met_on) for d in report.status.deadlines if d.late}
    assert late["scope_system"] == (date(2019, 6, 25), date(2019, 10, 11))
    assert late["scope_docs"] == (date(2019, 12, 24), date(2020, 1, 20))
    assert late["tad_to_tag"] == (date(2019, 9, 25), date(2020, 3, 2))
    first = next(
        s for s in report.sent if s["deadline"] == "scope_system" and s["kind"] == "escalation"
    )
    assert (first["at"], first["level"]) == (london(date(2019, 6, 26), 9).isoformat(), 1)
    assert {s["kind"] for s in report.sent} == {
        "notice",
        "reminder",
        "escalation",
        "appeal",
        "decision",
    }
    assert [s["subject"] for s in report.sent if s["kind"] == "appeal"] == [
        "June 2020 SEC Release: 1 appeal(s) against RID 2.0 referred to the Authority"
    ]
    rid = await asyncio.to_thread((tmp_path / "rid.md").read_text, encoding="utf-8")
    written = await asyncio.to_thread(lambda: {p.name for p in tmp_path.iterdir()})
    assert "£1,180,042" in rid
    assert "£1,120,042" in rid
    assert written == {
        "rid.md",
        "rid.html",
        "go-live-paper.md",
        "go-live-paper.html",
        "timeline.ics",
    }


async def test_rehearsing_a_documentation_release_goes_live_and_closes(
    env: WorkflowEnvironment,
) -> None:
    report = await run_scenario(env, load_scenario(FEBRUARY))
    assert report.status is not None
    assert (report.status.phase, report.status.closed_on, report.status.go_live) == (
        "CLOSED",
        date(2021, 3, 29),
        date(2021, 2, 25),
    )
    assert [r["step"] for r in report.refused] == [15]
    assert "acceptance criterion panel-1 is neither met nor waived" in report.refused[0]["error"]
    notice_6m = next(d for d in report.status.deadlines if d.key == "notice_6m")
    assert (notice_6m.due, notice_6m.met_on, notice_6m.late, notice_6m.escalation_level) == (
        date(2020, 8, 25),
        date(2020, 9, 1),
        True,
        1,
    )
    escalation = [s for s in report.sent if s["kind"] == "escalation"]
    assert [(s["deadline"], s["level"], s["at"]) for s in escalation] == [
        ("notice_6m", 1, london(date(2020, 8, 26), 9).isoformat())
    ]
    assert [d.key for d in report.status.deadlines if d.status == "not_applicable"] == [
        "scope_system",
        "tad_to_tag",
        "tad_final",
        "evidence",
        "regression_plans",
        "regression_results",
        "actual_costs",
    ]


async def test_a_scenario_may_record_panel_wide_freezes_and_create_more_releases(
    env: WorkflowEnvironment,
) -> None:
    scenario = parse_scenario(
        """
release: {id: "2020-06", created: 2019-05-09}
steps:
  - {at: 2019-05-10, as: "PANEL:Chair", do: "freeze add --from 2020-10-01 --to 2020-11-30 --reason 'DCC migration'"}
  - {at: 2019-05-13, as: "SECAS:Kemp", do: "release create 2020-11"}
  - {at: 2019-05-13, as: "SECAS:Kemp", do: "release create 2020-12-03 --ad-hoc --type documentation"}
  - {at: 2019-05-14, as: "PANEL:Chair", do: "redate request 2020-06 --go-live 2020-10-29 --reason 'later'"}
  - {at: 2019-05-14, do: "status 2020-12-03"}
  - {at: 2019-05-15, do: "rehearse other.yaml"}
until: 2019-05-20
""",
        "freezes.yaml",
    )
    report = await run_scenario(env, scenario)
    assert [r["step"] for r in report.refused] == [2, 4, 6]
    assert (
        "falls inside the change freeze from 1 October 2020 to 30 November 2020 (DCC migration)"
        in report.refused[0]["error"]
    )
    assert "falls inside the change freeze" in report.refused[1]["error"]
    assert "not a command a rehearsal can run" in report.refused[2]["error"]
    assert "December 2020 SEC Release (2020-12-03)" in report.outputs[-1]
    assert report.status is not None
    assert [(f.start, f.end) for f in report.status.freezes] == [
        (date(2020, 10, 1), date(2020, 11, 30))
    ]


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("release: [", "is not valid YAML or JSON"),
        ("- just a list", "must be a mapping with `release`, `steps` and `until`"),
        ("release: {id: x}\nsteps: []\nextra: 1", "unknown key(s) extra"),
        (
            "steps:\n  - {at: 2019-05-10, do: 'x'}\n  - {at: 2019-05-09, do: 'y'}",
            "step 2 goes back in time",
        ),
        (
            "steps:\n  - {at: 2019-02-30, do: 'x'}",
            "has a date that does not exist (day is out of range for month)",
        ),
        ("steps:\n  - {at: 'soon', do: 'x'}", "'soon' is not a date"),
        ("steps:\n  - {at: 2019-05-10}", "step 1: `do` must be a non-empty text"),
        ("steps:\n  - {do: 'x'}", "step 1 has no `at` date"),
        (
            "release: {id: '2020-06', type: big}",
            "release type 'big' is not system or documentation",
        ),
        ("until: 2020-01-01", "the scenario has neither a release `created` date nor any step"),
    ],
)
def test_a_bad_scenario_file_is_a_usage_error_with_a_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, sentence: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    code = main(["rehearse", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert sentence in err
    assert "Traceback" not in err


def test_rehearse_prints_one_json_document_as_cli_md_says() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "starter", "rehearse", str(FEBRUARY), "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report) == {"status", "sent", "refused"}
    assert report["status"]["phase"] == "CLOSED"
    assert set(report["sent"][0]) == {"at", "release", "kind", "deadline", "level", "to", "subject"}
    assert report["refused"][0]["step"] == 15
    assert all(
        s["kind"] in ("notice", "reminder", "escalation", "appeal", "decision")
        for s in report["sent"]
    )
    assert LONDON  # times are ISO with offsets; the text output shows London time
