"""The handler of each lifecycle command.

Each module of rules named after what it governs registers its handlers with `@handles`,
beside the handler itself; `rules.pipeline` imports them all, so its table is complete before
any command is applied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from rules.context import Context
from rules.outcome import Outcome
from schemas.base import Actor
from schemas.state import ReleaseState

Handler = Callable[[ReleaseState, Actor, Any, Context], Outcome]
HANDLERS: dict[type[BaseModel], Handler] = {}

_H = TypeVar("_H", bound=Handler)


def handles(command: type[BaseModel]) -> Callable[[_H], _H]:
    """Register the decorated function as the one handler of `command`."""

    def register(handler: _H) -> _H:
        if command in HANDLERS:
            raise RuntimeError(
                f"{command.__name__} already has a handler ({HANDLERS[command].__qualname__})."
            )
        HANDLERS[command] = handler
        return handler

    return register
