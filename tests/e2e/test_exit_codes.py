"""Exit codes and output of CLI.md: 0 success, 1 refused (or no server), 2 usage; `--json`
prints exactly one JSON document on stdout; a refusal is one sentence, never a traceback."""

from __future__ import annotations

from functools import partial

import pytest

from tests.e2e.conftest import Cli, ad_hoc_day, free_port

USAGE_ERRORS = {
    "unknown command": (("frobnicate",), "invalid choice: 'frobnicate'"),
    "unknown action": (("mod", "frobnicate", "2027-06"), "invalid choice: 'frobnicate'"),
    "no command": ((), "the following arguments are required: COMMAND"),
    "bad date": (
        ("release", "create", "2027-06", "--go-live", "2020-02-30"),
        "'2020-02-30' is not a real date; write dates as YYYY-MM-DD",
    ),
    "bad date of a lifecycle flag": (
        ("mod", "approve", "2027-06", "MP1", "--on", "2020-02-30"),
        "argument --on: '2020-02-30' is not a real date",
    ),
    "missing flag": (
        ("mod", "approve", "2027-06", "MP1"),
        "the following arguments are required: --on",
    ),
    "missing release id": (("status",), "the following arguments are required: ID"),
    "bad choice": (("list", "--phase", "NOWHERE"), "argument --phase: invalid choice: 'NOWHERE'"),
    "unknown role in --as": (
        ("--as", "WIZARD:Merlin", "vote", "2027-06", "go"),
        "'WIZARD' is not a role; use one of SECAS, PANEL, DCC, TAG, OPSG, PARTY, AUTHORITY.",
    ),
}


@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_a_usage_error_exits_2_with_one_sentence(cli: Cli, case: str) -> None:
    args, words = USAGE_ERRORS[case]
    sentence = cli.refused(*args, code=2)
    assert words in sentence
    readable = cli.run(*args)
    assert readable.exited(2), readable.describe()
    assert readable.out == "", "without --json a refusal prints nothing on stdout"
    assert readable.err == f"sec-release: {sentence}\n"


def test_a_lifecycle_command_without_an_actor_is_a_usage_error(cli: Cli) -> None:
    rid = ad_hoc_day(330)
    cli.ok("release", "create", rid, "--ad-hoc", "--type", "system", actor="SECAS:Kemp")
    sentence = cli.refused("vote", rid, "go", code=2)
    assert sentence == (
        "this command needs an actor: give --as ROLE[:NAME] or set SEC_RELEASE_ACTOR"
    )
    # The actor may come from the environment instead.
    from_env = Cli(env={**cli.env, "SEC_RELEASE_ACTOR": "DCC:Lead"})
    assert (
        from_env.refused("vote", rid, "go")
        == "Only PANEL may vote go/no-go (`sec-release vote`); you acted as DCC."
    )


def test_refusals_exit_1_with_the_rules_sentence_and_change_nothing(cli: Cli) -> None:
    rid = ad_hoc_day(340)
    cli.ok("release", "create", rid, "--ad-hoc", "--type", "system", actor="SECAS:Kemp")
    # A second ad hoc release that day is not refused: it takes the next letter.
    second = cli.ok("release", "create", rid, "--ad-hoc", "--type", "system", actor="SECAS:Kemp")
    assert second["id"] == f"{rid}-b"
    before = cli.ok("status", rid)
    refusals = {
        "wrong role": (
            ("vote", rid, "go"),
            "DCC:Lead",
            "Only PANEL may vote go/no-go (`sec-release vote`); you acted as DCC.",
        ),
        "another wrong role": (
            ("rid", "baseline", rid),
            "SECAS:Kemp",
            "Only PANEL may baseline the RID (`sec-release rid baseline`); you acted as SECAS.",
        ),
        "out of order": (
            ("sit", "report", rid, "--doc", "SIT-CR-1"),
            "DCC:Lead",
            "SIT has not started (sit start); its Completion Report comes after.",
        ),
        "missing reason on no-go": (
            ("vote", rid, "no-go"),
            "PANEL:Chair",
            "The reason is missing; give it with --reason.",
        ),
        "created twice": (
            ("release", "create", f"{rid}-b", "--ad-hoc", "--type", "system"),
            "SECAS:Kemp",
            f"Release {rid}-b already exists; see it with `sec-release status {rid}-b` "
            "(a release is never created twice).",
        ),
        "unknown release (lifecycle)": (
            ("vote", "2099-01-15", "go"),
            "PANEL:Chair",
            "There is no release '2099-01-15'; `sec-release list` shows the releases, and "
            "`sec-release release create 2099-01-15 ...` creates one.",
        ),
        "unknown release (reading)": (
            ("status", "2099-01-15"),
            None,
            "There is no release '2099-01-15'; `sec-release list` shows the releases, and "
            "`sec-release release create 2099-01-15 ...` creates one.",
        ),
        "not a real ad hoc day": (
            ("release", "create", "2031-02-30", "--ad-hoc", "--type", "system"),
            "SECAS:Kemp",
            "'2031-02-30' is not a real date, so it cannot be an ad hoc release id.",
        ),
    }
    sentences = cli.parallel(
        *(partial(cli.refused, *args, actor=actor) for args, actor, _ in refusals.values())
    )
    for case, sentence in zip(refusals, sentences, strict=True):
        assert sentence == refusals[case][2], case
    after = cli.ok("status", rid)
    assert (after["audit"], after["votes"], after["rid"]) == (
        before["audit"],
        before["votes"],
        before["rid"],
    )

    readable = cli.run("vote", rid, "go", actor="DCC:Lead")
    assert readable.exited(1), readable.describe()
    assert (readable.out, readable.err) == (
        "",
        "sec-release: Only PANEL may vote go/no-go (`sec-release vote`); you acted as DCC.\n",
    )


def test_success_exits_0_and_json_is_one_document(cli: Cli) -> None:
    assert cli.ok("working-days", "--from", "2019-12-20", "--add", "10") == {"date": "2020-01-08"}
    calendar = cli.ok("calendar", "2030")
    assert [r["id"] for r in calendar] == ["2030-02", "2030-06", "2030-11"]
    for row in calendar:
        assert set(row) >= {
            "id",
            "name",
            "type",
            "go_live",
            "scope_system_cutoff",
            "scope_docs_cutoff",
        }
    table = cli.ok("deadlines", "--go-live", "2020-06-25", "--type", "system")
    assert {"key": "scope_system", "due": "2019-06-25", "who": ["PANEL"]}.items() <= table[
        0
    ].items()
    readable = cli.run("working-days", "--from", "2019-12-20", "--add", "10")
    assert (readable.code, readable.err) == (0, "")
    assert "2020-01-08" in readable.out


def test_no_server_is_exit_1_and_a_sentence_saying_how_to_start_one(cli: Cli) -> None:
    unused = f"http://127.0.0.1:{free_port()}"
    sentence = cli.refused("--url", unused, "status", "2027-06")
    assert sentence.startswith(f"No front door answers at {unused}")
    assert "`make run` (or `sec-release up`)" in sentence
    assert "SEC_RELEASE_URL" in sentence
    # The same for a lifecycle command, with the front door from the environment.
    elsewhere = Cli(env={**cli.env, "SEC_RELEASE_URL": unused})
    sentence = elsewhere.refused("vote", "2027-06", "go", actor="PANEL")
    assert "`make run` (or `sec-release up`)" in sentence


def test_no_command_crashes_as_its_process_exits(cli: Cli) -> None:
    """temporalio/sdk-python#300: the SDK's native threads could abort the interpreter as it
    finalized, after the answer (about 1 run in 3 when no server answers). `Cli.run` checks every
    command for it; these runs are the kind that crashed most."""
    unused = f"http://127.0.0.1:{free_port()}"
    for run in cli.parallel(*[partial(cli.run, "--url", unused, "status", "2027-06")] * 6):
        assert run.exited(1), run.describe()
