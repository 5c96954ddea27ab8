"""Running a reading or lifecycle command through the front door, over HTTP (ACCESS.md).

Each such command line gives a `Call` (`make_request`): the request to send and how to print
its answer. This module finds the front door (`--url`, SEC_RELEASE_URL, else the local `up`'s
port), the credentials (dev mode's `--as`, SEC_RELEASE_TOKEN, the token `sec-release login`
saved), sends the request and prints the answer with the renderers of `starter.render`.
Nothing on this path imports the Temporal SDK.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from starter.errors import UsageError
from starter.http_client import Answer, FrontDoor, Unauthorized
from starter.output import Output

if TYPE_CHECKING:
    from schemas.base import Actor
    from settings import Settings

NEEDS_ACTOR = "this command needs an actor: give --as ROLE[:NAME] or set SEC_RELEASE_ACTOR"
PRODUCTION = (
    "This front door runs in production: `--as` is refused; sign in with `sec-release login` "
    "(or set SEC_RELEASE_TOKEN) and act as yourself."
)

Render = Callable[[Answer, "Actor | None"], tuple[Any, str]]


def _json_text(answer: Answer, actor: Actor | None) -> tuple[Any, str]:
    return answer.data, answer.text


class Call(NamedTuple):
    """One request to the front door, and how its answer prints (`--json` data, text).

    A named tuple, not a dataclass, so that a reading does not import `dataclasses`."""

    method: str
    path: str
    body: Any = None
    params: Mapping[str, Any] | None = None
    needs_actor: bool = False
    render: Render = _json_text


def front_door_url(args: argparse.Namespace) -> str:
    """`--url`, else SEC_RELEASE_URL, else the front door a local `sec-release up` serves."""
    given = getattr(args, "url", None) or os.environ.get("SEC_RELEASE_URL")
    if given:
        return str(given).rstrip("/")
    from starter.cli_settings import http_port

    return f"http://127.0.0.1:{http_port()}"


def dev_mode(door: FrontDoor) -> bool:
    """Whether the front door says it runs in dev mode (`GET /healthz`)."""
    data = door.get("/healthz").data
    return isinstance(data, dict) and data.get("dev_mode") is True


def _not_signed_in(url: str) -> str:
    return (
        f"The front door at {url} did not accept your credentials (none, expired or revoked); "
        f"sign in with `sec-release login --url {url}` (or set SEC_RELEASE_TOKEN)."
    )


def _dev_token(settings: Settings, actor: Actor | None, renew: bool = False) -> str:
    """The token of the local dev user for `actor` (None: any dev user, to read)."""
    from starter.devusers import ensure_dev_actor

    return ensure_dev_actor(settings, actor, renew=renew)


def run_call(args: argparse.Namespace, out: Output) -> int:
    """The handler of every command that goes through the front door."""
    from starter.credentials import saved_token
    from starter.session import actor_from, settings_from

    actor = actor_from(args)  # a malformed --as is a usage error before anything is sent
    call: Call = args.make_request(args)
    door = FrontDoor(front_door_url(args))
    dev_actor: tuple[Actor | None] | None = None  # set when acting as a local dev user
    if actor is not None:
        if not dev_mode(door):
            raise UsageError(PRODUCTION)
        dev_actor = (actor,)
    else:
        token = os.environ.get("SEC_RELEASE_TOKEN") or saved_token(door.url)
        if token:
            door = door.with_token(token)
        elif call.needs_actor:
            raise UsageError(NEEDS_ACTOR)
        elif dev_mode(door):
            dev_actor = (None,)  # reading is open to every principal: read as a dev user
        else:
            raise Unauthorized(_not_signed_in(door.url))
    try:
        if dev_actor is not None:
            # Only a local dev user needs the settings (the data dir that holds its token).
            settings = settings_from(args)
            door = door.with_token(_dev_token(settings, dev_actor[0]))
        try:
            answer = door.request(call.method, call.path, params=call.params, body=call.body)
        except Unauthorized:
            if dev_actor is None:
                raise
            # The dev user's token was revoked (or the store was reset): mint another, once.
            door = door.with_token(_dev_token(settings, dev_actor[0], renew=True))
            answer = door.request(call.method, call.path, params=call.params, body=call.body)
    except Unauthorized:
        raise Unauthorized(_not_signed_in(door.url)) from None
    data, text = call.render(answer, actor)
    out.emit(data, text)
    return 0


# -- how each answer prints ------------------------------------------------------------------


def act_answer(answer: Answer, actor: Actor | None) -> tuple[Any, str]:
    from starter.render import act_text

    return answer.data, act_text(answer.data)


def status_answer(answer: Answer, actor: Actor | None) -> tuple[Any, str]:
    # Printed from the JSON itself: building the pydantic model first would import pydantic
    # and the schemas for nothing (the text is the same, tests/unit/test_status_text.py).
    from starter.render import status_text

    return answer.data, status_text(answer.data)


def created_answer(answer: Answer, actor: Actor | None) -> tuple[Any, str]:
    from schemas.status import ReleaseStatus
    from starter.render import created_text

    return answer.data, created_text(ReleaseStatus.model_validate(answer.data))


def summary_answer(answer: Answer, actor: Actor | None) -> tuple[Any, str]:
    return answer.data, str(answer.data.get("summary", ""))


def list_answer(answer: Answer, actor: Actor | None) -> tuple[Any, str]:
    from starter.render import list_text

    return answer.data, list_text(answer.data)


def inbox_answer(answer: Answer, actor: Actor | None) -> tuple[Any, str]:
    from starter.render import inbox_text

    who = actor.role.value if actor is not None else "you"
    return answer.data, inbox_text(answer.data, who)


def timeline_of(release_id: str) -> Render:
    def render(answer: Answer, actor: Actor | None) -> tuple[Any, str]:
        from starter.render import timeline_text

        return answer.data, timeline_text(f"Release {release_id}", answer.data)

    return render


def document_of(release_id: str, document: str, fmt: str, out: str | None) -> Render:
    """A document's answer: written to `out`, or printed (`--json`: in `content`)."""

    def render(answer: Answer, actor: Actor | None) -> tuple[Any, str]:
        from pathlib import Path

        from starter.doc_cmds import write

        data: dict[str, Any] = {"release": release_id, "document": document, "format": fmt}
        if out:
            write(Path(out), answer.text)
            data["path"] = out
            return data, f"Wrote the {document} of {release_id} to {out}."
        data["content"] = answer.text
        return data, answer.text.rstrip("\r\n")

    return render
