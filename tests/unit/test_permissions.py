"""Permissions, deny by default (SPEC section 6)."""

import pytest

from rules.errors import Refused
from rules.permissions import ACTIONS, Role, allowed_roles, check_permission, parse_role

# The SPEC section 6 table, one row per command family, as (action, the one role allowed).
TABLE = {
    Role.SECAS: [
        "release create",
        "mod add",
        "rid draft",
        "notice send",
        "timetable set",
        "readiness confirm",
    ],
    Role.PANEL: [
        "rid baseline",
        "tad incorporate",
        "sit approve",
        "uit approve",
        "vote",
        "waive",
        "criterion waive",
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
        "uit report",
        "defects set",
        "evidence submit",
        "criterion set",
        "risk add",
        "costs forecast",
        "costs spend",
        "costs actual",
        "lessons submit",
        "golive deployed",
    ],
    Role.TAG: ["tad review", "tad recommend", "sit recommend", "uit recommend", "recommend TAG"],
    Role.OPSG: ["recommend OPSG"],
    Role.PARTY: ["appeal lodge", "regression plans", "regression results"],
    Role.AUTHORITY: ["appeal determine", "redate approve"],
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_may_do_its_own_actions_and_nothing_else(role: Role) -> None:
    for action in TABLE[role]:
        check_permission(action, role)
    for other in Role:
        if other is role:
            continue
        for action in TABLE[other]:
            with pytest.raises(
                Refused, match=f"Only {other.value} may .* you acted as {role.value}"
            ):
                check_permission(action, role)


def test_every_action_has_one_role_except_criteria_definitions() -> None:
    shared = {name for name, rule in ACTIONS.items() if len(rule.roles) != 1}
    assert shared == {"criterion define"}
    assert allowed_roles("criterion define") == {Role.SECAS, Role.PANEL}


def test_a_refusal_names_who_may_do_it() -> None:
    with pytest.raises(Refused) as refused:
        check_permission("rid baseline", Role.DCC)
    assert (
        str(refused.value) == "Only PANEL may baseline the RID (`rid baseline`); you acted as DCC."
    )


def test_unknown_actions_are_denied() -> None:
    with pytest.raises(Refused, match="not a command"):
        check_permission("rid shred", Role.PANEL)
    assert allowed_roles("rid shred") == frozenset()


def test_roles_parse_case_insensitively_and_unknown_ones_list_the_roles() -> None:
    assert parse_role("panel") is Role.PANEL
    with pytest.raises(Refused, match="'Chair' is not a role; use one of SECAS, PANEL"):
        parse_role("Chair")
