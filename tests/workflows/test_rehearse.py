"""`rehearse`: scenario files run on the time-skipping server, as CLI.md describes."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from rules.clock import LONDON, london
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
    env: WorkflowEnvironment, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="temporalio.workflow")
    report = await run_scenario(env, load_scenario(JUNE), out_dir=tmp_path)
    # The appeal against 2.0 is determined after its window closed: the window is not told,
    # which is expected and said quietly, not as a warning on the user's terminal.
    logged = [
        (r.levelno, r.getMessage()) for r in caplog.records if r.name == "temporalio.workflow"
    ]
    assert [m for level, m in logged if level >= logging.WARNING] == []
    assert any(m.startswith("signal determine not sent") for _, m in logged)
    assert report.status is not None
    assert report.status.phase == "CLOSED"
    assert report.refused == [
        {
            "step": 71,
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


# -- what a scenario cannot do (issue 11, items 7 and 8) ---------------------------------------


async def test_a_step_cannot_write_a_file_and_is_reported_as_refused(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    target = tmp_path / "victim.txt"
    await asyncio.to_thread(target.write_text, "keep me", encoding="utf-8")
    scenario = parse_scenario(
        f"""
release: {{id: "2020-06", created: 2019-05-09}}
steps:
  - {{at: 2019-05-10, do: "doc go-live-paper 2020-06 --out {target}"}}
  - {{at: 2019-05-10, do: "timeline 2020-06 --ics --out {tmp_path / "new.ics"}"}}
  - {{at: 2019-05-10, do: "doc rid 2020-06"}}
""",
        "writes.yaml",
    )
    report = await run_scenario(env, scenario)
    assert [r["step"] for r in report.refused] == [1, 2]
    assert all("a step cannot write files" in r["error"] for r in report.refused)
    assert await asyncio.to_thread(target.read_text, encoding="utf-8") == "keep me"
    assert await asyncio.to_thread(lambda: sorted(p.name for p in tmp_path.iterdir())) == [
        "victim.txt"
    ]
    assert "Release Implementation Document" in report.outputs[-1]


async def test_list_and_inbox_steps_are_refused_steps_not_a_failed_rehearsal(
    env: WorkflowEnvironment,
) -> None:
    scenario = parse_scenario(
        """
release: {id: "2020-06", created: 2019-05-09}
steps:
  - {at: 2019-05-10, do: "list"}
  - {at: 2019-05-10, as: "PANEL:Chair", do: "inbox"}
  - {at: 2019-05-13, do: "status 2020-06"}
  - {at: 2019-05-13, do: "status 2099-01"}
until: 2019-05-20
""",
        "visibility.yaml",
    )
    report = await run_scenario(env, scenario)
    assert report.status is not None
    assert [r["step"] for r in report.refused] == [1, 2, 4]
    assert "`list` cannot run in a rehearsal" in report.refused[0]["error"]
    assert "`inbox` cannot run in a rehearsal" in report.refused[1]["error"]
    # A release the rehearsal never made is not looked up in the user's register.
    assert "There is no release '2099-01'" in report.refused[2]["error"]


async def test_a_release_that_escalates_for_months_does_not_stop_the_rehearsal(
    env: WorkflowEnvironment,
) -> None:
    """Issue 11, item 8, scaled down: approved modifications whose approval notices are never
    sent escalate every 5 Working Days, and the state carried from run to run grows with every
    send. Once it passed the history-size threshold, each new run continued as new at once, for
    ever, and the test server could no longer skip time ("Timeout expired").

    Six modifications and a threshold of 60 KB reach that point in weeks instead of months.
    """
    mods = "\n".join(
        f'  - {{at: 2026-05-05, as: "SECAS:Kemp", do: "mod add 2027-06 SECMP{i:04d} '
        f"--title 'Mod {i}' --system --approved-on 2026-05-05\"}}"
        for i in range(6)
    )
    scenario = parse_scenario(
        f"""
release: {{id: "2027-06", type: system, go_live: 2027-06-24, created: "2026-05-04 10:00"}}
steps:
{mods}
until: 2026-09-30
""",
        "escalating.yaml",
    )
    report = await run_scenario(env, scenario, max_history_bytes=60_000)
    assert report.status is not None
    assert report.refused == []
    approval = [
        s
        for s in report.sent
        if s["kind"] == "escalation" and s["deadline"].startswith("approval_notice:")
    ]
    assert {s["deadline"] for s in approval} == {f"approval_notice:SECMP{i:04d}" for i in range(6)}
    # Still escalating at the end: every 5 Working Days from May to September, up to the top
    # of the ladder (level 3) and then again at the top.
    assert max(s["level"] for s in approval) == 3
    assert sum(s["deadline"] == "approval_notice:SECMP0000" for s in approval) >= 15
    assert max(s["at"] for s in approval) >= "2026-09-2"


@pytest.mark.parametrize(
    ("name", "text", "sentence"),
    [
        (
            "bomb.yaml",
            "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
            + "".join(
                f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n"
                for p, n in zip("abcdefgh", "bcdefghi", strict=True)
            )
            + "steps: [{at: *i, do: x}]\n",
            "bomb.yaml is refused: it expands to more than 4,000,000 nodes and characters",
        ),
        (
            "loop.yaml",
            "steps: &s [{at: 2019-05-10, do: x}, *s]\n",
            "loop.yaml is refused: an alias refers to the node that contains it",
        ),
        ("deep.yaml", "[" * 100_000, "deep.yaml nests too deeply to be a scenario"),
        ("deep.json", "[" * 100_000, "deep.json nests too deeply to be a scenario"),
        (
            "long.yaml",
            "steps:\n" + "  - {at: 2019-05-10, do: 'status 2020-06'}\n" * 30_000,
            "long.yaml is larger than 1,000,000 bytes, the limit for a scenario",
        ),
    ],
)
def test_an_oversized_or_exploding_scenario_is_refused_before_it_is_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, sentence: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code = main(["rehearse", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert sentence in err, err
    assert len(err) < 400


def test_rehearse_reads_no_more_of_an_endless_file_than_the_limit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    started = time.monotonic()
    code = main(["rehearse", "/dev/zero", "--json"])
    out = capsys.readouterr().out
    assert code == 2
    assert json.loads(out) == {
        "error": "/dev/zero is larger than 1,000,000 bytes, the limit for a scenario; "
        "split it into several rehearsals"
    }
    assert time.monotonic() - started < 5


def test_rehearse_out_refuses_a_folder_whose_parent_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["rehearse", str(FEBRUARY), "--out", str(tmp_path / "no" / "such")])
    err = capsys.readouterr().err
    assert code == 1
    assert f"the folder {tmp_path / 'no'} does not exist" in err
    assert not (tmp_path / "no").exists()
