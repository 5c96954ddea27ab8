"""Permissions, deny by default (SPEC section 6), as the command declarations state them."""

from __future__ import annotations

import argparse

import pytest

from rules.errors import Refused
from rules.permissions import allowed_roles, check_permission, check_usage, parse_role, table
from schemas import commands as c
from schemas.commands import all_usages
from schemas.vocabulary import Role
from starter.cli import build_parser

# The SPEC section 6 table, written out independently of the declarations: who may issue each
# command line (one role each, but the criteria definitions).
SPEC = {
    Role.SECAS: [
        "release create",
        "release cancel-request",
        "mod add",
        "mod approve",
        "mod remove",
        "rid draft",
        "notice send",
        "timetable set",
        "readiness confirm",
        "golive confirm --sec-updated",
    ],
    Role.PANEL: [
        "rid baseline",
        "tad incorporate",
        "sit approve",
        "uit approve",
        "vote",
        "waive",
        "criterion set --waived",
        "freeze add",
        "redate request",
        "auditor appoint",
        "costs period",
        "release close",
        "release cancel",
    ],
    Role.DCC: [
        "tad submit",
        "tad consult",
        "uit plan",
        "sit start",
        "sit report",
        "uit start",
        "uit close",
        "uit report",
        "defects set",
        "evidence submit",
        "criterion set",
        "risk add",
        "costs quote",
        "costs forecast",
        "costs spend",
        "costs actual",
        "lessons submit",
        "golive confirm --deployed",
    ],
    Role.TAG: [
        "tad review",
        "tad recommend",
        "sit recommend",
        "uit recommend",
        "recommend --group TAG",
    ],
    Role.OPSG: ["recommend --group OPSG"],
    Role.PARTY: ["appeal lodge", "regression plans", "regression results"],
    Role.AUTHORITY: ["appeal determine", "redate approve"],
}
SHARED = {"sec-release criterion define": {Role.SECAS, Role.PANEL}}


def test_the_declared_table_is_the_spec_table() -> None:
    declared = {line: roles for line, _, roles in table()}
    expected = {f"sec-release {line}": {role} for role, lines in SPEC.items() for line in lines}
    expected.update(SHARED)
    assert declared == expected


@pytest.mark.parametrize("role", list(Role))
def test_each_role_may_issue_its_own_commands_and_no_other(role: Role) -> None:
    for usage in all_usages():
        if role in usage.roles:
            check_usage(usage, role)
            continue
        with pytest.raises(Refused, match=f"you acted as {role.value}"):
            check_usage(usage, role)


def test_a_refusal_names_who_may_and_how_they_issue_it() -> None:
    with pytest.raises(Refused) as refused:
        check_permission(c.CriterionSet(key="op-1", status="waived", reason="x"), Role.DCC)
    assert str(refused.value) == (
        "Only PANEL may waive an acceptance criterion (`sec-release criterion set --waived`); "
        "you acted as DCC."
    )
    with pytest.raises(Refused) as refused:
        check_permission(c.Recommend(group="OPSG", go=True, comments="ok"), Role.TAG)
    assert str(refused.value) == (
        "Only OPSG may give the OPSG's go-live recommendation (`sec-release recommend --group "
        "OPSG`); you acted as TAG."
    )
    check_permission(c.CriterionSet(key="op-1", status="met"), Role.DCC)


def _leaf(parser: argparse.ArgumentParser, words: list[str]) -> argparse.ArgumentParser:
    for word in words:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[word]
    return parser


def test_every_refusal_names_a_command_line_the_parser_accepts() -> None:
    parser = build_parser()
    for usage in all_usages():
        wrong = next(r for r in Role if r not in usage.roles)
        with pytest.raises(Refused) as refused:
            check_usage(usage, wrong)
        named = str(refused.value).split("`")[1]
        assert named.startswith("sec-release ")
        words = usage.words.split()
        leaf = _leaf(parser, words)  # the words are a command
        flags = named.removeprefix(f"sec-release {usage.words}").split()
        options = {o for a in leaf._actions for o in a.option_strings}
        for flag in flags:  # and each flag shown is one of its options (or that option's value)
            assert flag in options or not flag.startswith("-"), (named, flag)
        if len(flags) == 2:  # `--group TAG`: the value is one the option takes
            action = next(a for a in leaf._actions if flags[0] in a.option_strings)
            value = action.type(flags[1]) if callable(action.type) else flags[1]
            assert action.choices is None or value in action.choices, (named, value)


def test_the_roles_of_a_command_in_any_of_its_forms() -> None:
    assert allowed_roles("criterion define") == {Role.SECAS, Role.PANEL}
    assert allowed_roles("criterion set") == {Role.DCC, Role.PANEL}
    assert allowed_roles("rid shred") == frozenset()


def test_roles_parse_case_insensitively_and_unknown_ones_list_the_roles() -> None:
    assert parse_role("panel") is Role.PANEL
    with pytest.raises(Refused, match="'Chair' is not a role; use one of SECAS, PANEL"):
        parse_role("Chair")
