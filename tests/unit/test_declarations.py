"""A command is declared once: the CLI, the permission table and the reference come from it."""

from __future__ import annotations

import argparse
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from schemas import commands as c
from schemas.vocabulary import CostLine
from starter.cli import build_parser
from starter.command_line import leaves
from starter.reference import reference

ROOT = Path(__file__).resolve().parents[2]


def test_the_cli_reference_in_the_repository_is_the_one_the_declarations_generate() -> None:
    assert (ROOT / "docs" / "cli-reference.md").read_text() == reference(), (
        "docs/cli-reference.md is stale: run `python -m starter.reference > docs/cli-reference.md`"
    )


def _parse(line: str) -> argparse.Namespace:
    return build_parser().parse_args(line.split())


@pytest.mark.parametrize(
    ("line", "command"),
    [
        (
            "mod add 2020-06 MP079 --title Alert --docs-only --impact DCC --cost sit=96995 "
            "--approved-on 2019-05-09",
            c.ModAdd(
                mod="MP079",
                title="Alert",
                system=False,
                impacts=["DCC"],
                costs={CostLine.SIT: Decimal(96995)},
                approved_on=date(2019, 5, 9),
            ),
        ),
        ("vote 2020-06 no-go --reason late", c.VoteCast(go=False, reason="late")),
        (
            "criterion set 2020-06 op-1 --waived --reason ok",
            c.CriterionSet(key="op-1", status="waived", reason="ok"),
        ),
        (
            "recommend 2020-06 --group opsg --no-go --comments wait",
            c.Recommend(group="OPSG", go=False, comments="wait"),
        ),
        ("uit start 2020-06", c.PhaseStart(kind="uit_start")),
        ("golive confirm 2020-06 --sec-updated", c.GoLiveConfirm(what="sec_updated")),
        ("costs period 2020-06 --months 3", c.CostsPeriod(months=3)),
        ("tad consult 2020-06 --from 2019-11-01 --to 2019-11-29", None),
        (
            "waive 2020-06 tad_to_tag --reason agreed",
            c.Waive(deadline="tad_to_tag", reason="agreed"),
        ),
        ("release cancel 2020-06", c.ReleaseEnd(kind="release_cancel")),
    ],
)
def test_a_command_line_becomes_its_declared_model(line: str, command: c.Command | None) -> None:
    args = _parse(line)
    op = args.make_op(args)
    if command is not None:
        assert op.command == command
    assert op.release_id == "2020-06"
    assert c.typed(op.command).split()[0] == line.split()[0]


def test_the_parser_is_built_once_and_one_parse_leaves_nothing_for_the_next() -> None:
    assert build_parser() is build_parser()
    many = _parse(
        "mod add 2020-06 MP1 --title A --system --impact DCC --impact Suppliers --cost sit=1 --cost uit=2"
    )
    op = many.make_op(many)
    assert op.command.impacts == ["DCC", "Suppliers"]
    assert op.command.costs == {CostLine.SIT: Decimal(1), CostLine.UIT: Decimal(2)}
    none = _parse("mod add 2020-06 MP2 --title B --docs-only")
    op = none.make_op(none)
    assert op.command.impacts == [] and op.command.costs == {}
    again = _parse("mod add 2020-06 MP3 --title C --system --impact DCC")
    assert again.make_op(again).command.impacts == ["DCC"]


def test_the_audit_shows_a_command_as_it_is_typed() -> None:
    assert c.typed(c.VoteCast(go=True)) == "vote go"
    assert c.typed(c.Recommend(group="TAG", go=True, comments="fine")) == (
        "recommend --group TAG --go --comments fine"
    )
    assert c.typed(c.GoLiveConfirm(what="sec_updated")) == "golive confirm --sec-updated"
    assert c.typed(c.RidDraft(note="after the TAD")) == "rid draft --note 'after the TAD'"


def test_every_declared_command_line_is_in_the_parser_and_every_model_has_one() -> None:
    parser = build_parser()
    for words in leaves():
        node = parser
        for word in words.split():
            sub = next(a for a in node._actions if isinstance(a, argparse._SubParsersAction))
            node = sub.choices[word]
        assert node.get_default("make_op") is not None, words
    assert all(model.usages for model in c.COMMANDS)
    kinds = {u.kind or m.model_fields["kind"].default for m in c.COMMANDS for u in m.usages}
    assert None not in kinds
