"""The command pipeline: every command has exactly one handler, registered beside it."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from rules import pipeline
from rules.context import Context
from rules.outcome import Outcome
from rules.registry import handles
from schemas import commands as c
from schemas.base import Actor
from schemas.state import ReleaseState


def _command_models() -> tuple[type, ...]:
    union = get_args(c.AnyCommand)[0]  # Annotated[A | B | ..., Field(discriminator=...)]
    return get_args(union)


def test_every_command_model_has_exactly_one_handler() -> None:
    models = _command_models()
    assert len(models) == len(set(models)) > 0
    assert set(pipeline.HANDLERS) == set(models)


def test_every_handler_lives_in_the_module_named_after_what_it_governs() -> None:
    modules = {handler.__module__ for handler in pipeline.HANDLERS.values()}
    assert modules == {
        "rules.appeals",
        "rules.cost_reports",
        "rules.go_no_go",
        "rules.golive_and_closure",
        "rules.notices",
        "rules.redates_and_waivers",
        "rules.scope_and_rid",
        "rules.tad",
        "rules.testing",
    }


def test_a_second_handler_for_a_command_is_refused() -> None:
    def another(state: ReleaseState, actor: Actor, cmd: Any, ctx: Context) -> Outcome:
        return Outcome("never")

    before = dict(pipeline.HANDLERS)
    with pytest.raises(RuntimeError, match="ModAdd already has a handler"):
        handles(c.ModAdd)(another)
    assert before == pipeline.HANDLERS
