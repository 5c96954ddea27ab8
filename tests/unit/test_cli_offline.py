"""The offline commands: exact output, exit codes, and no heavy imports."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from starter.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2019-12-20", "10", "2020-01-08"),
        ("2020-05-01", "5", "2020-05-11"),
        ("2020-04-09", "1", "2020-04-14"),
        ("2022-09-16", "1", "2022-09-20"),
        ("2020-01-08", "-10", "2019-12-20"),
    ],
)
def test_working_days_json(
    capsys: pytest.CaptureFixture[str], start: str, n: str, expected: str
) -> None:
    code, out, _ = run(capsys, "working-days", "--from", start, "--add", n, "--json")
    assert code == 0
    assert json.loads(out) == {"date": expected}


def test_deadlines_json_is_the_section_4_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--json", "deadlines", "--go-live", "2020-06-25", "--type", "system")
    assert code == 0
    rows = json.loads(out)
    assert {r["key"]: r["due"] for r in rows} == {
        "scope_system": "2019-06-25",
        "notice_12m": "2019-06-25",
        "tad_to_tag": "2019-09-25",
        "scope_docs": "2019-12-24",
        "notice_6m": "2019-12-24",
        "tad_final": "2019-12-24",
        "evidence": "2020-05-14",
        "notice_1m": "2020-05-22",
        "actual_costs": "2020-08-25",
    }
    assert rows[0] == {"key": "scope_system", "due": "2019-06-25", "who": ["PANEL"]}


def test_deadlines_with_a_uit_window(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["deadlines", "--go-live", "2020-06-25", "--type", "system", "--json"]
    code, out, _ = run(capsys, *argv, "--uit-start", "2020-03-02", "--uit-end", "2020-05-15")
    assert code == 0
    dues = {r["key"]: r["due"] for r in json.loads(out)}
    assert dues["regression_plans"] == "2020-02-17"
    assert dues["regression_results"] == "2020-05-07"


def test_calendar_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "calendar", "2020", "--json")
    assert code == 0
    assert json.loads(out)[1] == {
        "id": "2020-06",
        "name": "June 2020 SEC Release",
        "type": "system",
        "go_live": "2020-06-25",
        "scope_system_cutoff": "2019-06-25",
        "scope_docs_cutoff": "2019-12-24",
    }


def test_text_output_is_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "deadlines", "--go-live", "2020-06-25", "--type", "system")
    assert code == 0
    assert "tad_to_tag    2019-09-25  Wed  DCC" in out


@pytest.mark.parametrize(
    ("argv", "sentence"),
    [
        (
            ["deadlines", "--go-live", "2020-02-30", "--type", "system"],
            "'2020-02-30' is not a real date",
        ),
        (["deadlines", "--go-live", "25/06/2020", "--type", "system"], "write dates as YYYY-MM-DD"),
        (["deadlines", "--go-live", "2020-06-25", "--type", "big"], "invalid choice: 'big'"),
        (["deadlines", "--type", "system"], "required: --go-live"),
        (["working-days", "--from", "2020-01-01", "--add", "x"], "'x' is not a whole number"),
        (["working-days", "--from", "2020-01-01", "--add", "99999"], "out of range"),
        (["calendar", "1066"], "out of range"),
        (
            [
                "deadlines",
                "--go-live",
                "2020-06-25",
                "--type",
                "system",
                "--uit-start",
                "2020-03-02",
            ],
            "both",
        ),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "required: COMMAND"),
        (
            ["deadlines", "--go-live", "9999-12-31", "--type", "system"],
            "9999-12-31 is out of range; dates run from 2000-01-01 to 2100-12-31",
        ),
        (
            ["deadlines", "--go-live", "0001-01-01", "--type", "documentation"],
            "0001-01-01 is out of range",
        ),
        (["working-days", "--from", "9999-12-31", "--add", "1"], "9999-12-31 is out of range"),
        (
            ["status", "2027-06/appeal/2.0"],
            "'2027-06/appeal/2.0' is not a release id; use YYYY-MM for a scheduled release",
        ),
        (["timeline", "sec-release/panel"], "'sec-release/panel' is not a release id"),
        (["--as", "PANEL", "vote", "2027-06/appeal/2.0", "go"], "is not a release id"),
        (["doc", "rid", "2027-06/appeal/2.0"], "is not a release id"),
        (["status", "2026-11-30-a"], "'2026-11-30-a' is not a release id"),
        # A bad --impact and a bad --cost line are both usage errors that list the valid values.
        (
            [
                "--as",
                "SECAS",
                "mod",
                "add",
                "2020-06",
                "MP1",
                "--title",
                "x",
                "--system",
                "--impact",
                "Nobody",
            ],
            "'Nobody' is not a category; use one of Suppliers, Electricity Networks, "
            "Gas Networks, Other SEC Parties, DCC",
        ),
        (
            [
                "--as",
                "SECAS",
                "mod",
                "add",
                "2020-06",
                "MP1",
                "--title",
                "x",
                "--system",
                "--cost",
                "foo=1",
            ],
            "'foo' is not a cost line; use one of design_build_pit, sit, uit",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_sentence(
    capsys: pytest.CaptureFixture[str], argv: list[str], sentence: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert sentence in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_usage_errors_with_json_print_an_error_document(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "working-days", "--from", "2020-13-01", "--add", "1", "--json")
    assert code == 2
    assert "not a real date" in json.loads(out)["error"]


def test_offline_commands_import_no_temporal_sqlalchemy_or_pydantic() -> None:
    probe = (
        "import sys; from starter.cli import main; "
        "code = main(['working-days', '--from', '2020-05-01', '--add', '5']); "
        "heavy = [m for m in ('temporalio', 'sqlalchemy', 'pydantic', 'aiosmtplib') if m in sys.modules]; "
        "print(heavy); sys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["2020-05-11 (Monday)", "[]"]


# What an offline command must never load (bench/README.md, `cli_latency`): each of these costs
# tens of milliseconds of a command that should take little more than the interpreter's start.
NOT_OFFLINE = (
    "temporalio",
    "pydantic",
    "pydantic_settings",
    "settings",
    "httpx",
    "holidays",
    "sqlalchemy",
    "fastapi",
    "asyncio",
    "dataclasses",
)


def imported_by(*args: str) -> tuple[str, list[str]]:
    """Run `python -X importtime -m starter ARGS`: its output, and every module it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "starter", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    modules = [
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    ]
    return done.stdout, modules


@pytest.mark.parametrize(
    ("args", "printed"),
    [
        (["working-days", "--from", "2019-12-20", "--add", "10"], "2020-01-08 (Wednesday)"),
        (["calendar", "2027"], "2027-06"),
        (["deadlines", "--go-live", "2027-06-24", "--type", "system"], "scope_system"),
        (["working-days", "--from", "2000-01-03", "--add", "-5000", "--json"], '"date"'),
    ],
)
def test_an_offline_command_imports_nothing_it_does_not_use(args: list[str], printed: str) -> None:
    out, modules = imported_by(*args)
    assert printed in out
    assert "starter.offline" in modules  # the probe sees the command's own imports
    assert [m for m in modules if m.split(".")[0] in NOT_OFFLINE] == []


def test_the_console_script_runs() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "starter",
            "working-days",
            "--from",
            "2019-12-20",
            "--add",
            "10",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert json.loads(done.stdout) == {"date": "2020-01-08"}


@pytest.mark.parametrize(
    "argv",
    [
        ["doc", "rid", "2027-06", "--out"],
        ["doc", "go-live-paper", "2027-06", "--format", "html", "--out"],
        ["timeline", "2027-06", "--ics", "--out"],
    ],
)
def test_a_document_is_never_written_into_folders_that_do_not_exist(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
) -> None:
    """Refused before any server is asked (none runs here), and nothing is created."""
    target = tmp_path / "no" / "such" / "x.md"
    code, out, err = run(capsys, *argv, str(target), "--json")
    assert code == 1
    assert json.loads(out) == {
        "error": f"Cannot write {target}: the folder {target.parent} does not exist; "
        "create it first or choose another --out."
    }
    assert err.count("\n") == 1
    assert not (tmp_path / "no").exists()


def test_the_second_ad_hoc_release_of_a_day_is_a_release_id() -> None:
    from starter.args import release_id

    assert release_id("2026-11-30-b") == "2026-11-30-b"
    assert release_id(" 2026-11-30 ") == "2026-11-30"


@pytest.mark.parametrize(
    ("command", "listed"),
    [
        (["mod", "add"], "CATEGORY: Suppliers, Electricity Networks, Gas Networks, Other SEC"),
        (["mod", "add"], "LINE: design_build_pit, sit, uit, implement_to_live"),
    ],
)
def test_the_help_lists_the_valid_impacts_and_cost_lines(
    capsys: pytest.CaptureFixture[str], command: list[str], listed: str
) -> None:
    main([*command, "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert listed in shown
