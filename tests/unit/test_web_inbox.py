"""The inbox page's pure parts: the form an owed step links to, and reading the open releases
from the Panel's register where the server has no visibility store (a rehearsal's)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode

from frontdoor.web import pages
from frontdoor.web.forms import forms_for
from schemas.principal import Principal
from schemas.status import InboxRow
from schemas.vocabulary import Role


@pytest.mark.parametrize(
    ("role", "command", "action", "anchor"),
    [
        (Role.PANEL, "vote", "vote go/no-go", "act-vote"),
        (
            Role.PANEL,
            "rid baseline",
            "baseline the RID as it stands (version 1.1)",
            "act-rid-baseline",
        ),
        (
            Role.AUTHORITY,
            "appeal determine --version 1.0",
            "determine the appeal against RID 1.0 (referred 2019-05-21)",
            "act-appeal-determine",
        ),
        (Role.PANEL, "", "vote go/no-go", "act-vote"),  # no command: the action's words
        (Role.PANEL, "", "something else", "owed"),
    ],
)
def test_an_owed_step_links_to_the_form_its_command_names(
    role: Role, command: str, action: str, anchor: str
) -> None:
    assert pages.inbox_anchor(forms_for(role), command, action) == anchor


def test_the_recommend_usage_is_chosen_by_its_flags() -> None:
    anchors = {f.anchor for f in forms_for(Role.OPSG)}
    chosen = pages.inbox_anchor(forms_for(Role.OPSG), "recommend --group OPSG", "recommend")
    assert chosen in anchors


class _NoVisibility:
    """A deployment on the time-skipping test server: no list_workflows; the Panel knows two."""

    def __init__(self) -> None:
        async def listing(query: str) -> AsyncIterator[Any]:
            raise RPCError("unimplemented", RPCStatusCode.UNIMPLEMENTED, b"")
            yield  # pragma: no cover

        self.client = SimpleNamespace(list_workflows=listing)
        self.read: list[list[str]] = []

    async def panel_view(self) -> Any:
        return SimpleNamespace(releases=["2020-11", "2020-06"])


async def test_the_inbox_reads_the_panel_register_without_visibility(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deployment = _NoVisibility()

    async def rows(_: Any, role: str, releases: list[str]) -> list[InboxRow]:
        deployment.read.append(releases)
        return [InboxRow(release=releases[0], action="vote go/no-go", due=None, overdue=False)]

    monkeypatch.setattr("starter.read_ops.inbox_rows", rows)
    principal = Principal(login="p", role=Role.PANEL, name="P")
    session = pages.WebSession(principal, "csrf", directory=None)  # type: ignore[arg-type]
    found = await pages._inbox_rows(deployment, session)  # type: ignore[arg-type]
    assert deployment.read == [["2020-06", "2020-11"]]
    assert found[0]["release"] == "2020-06"


async def test_another_server_failure_is_not_taken_for_a_missing_visibility_store() -> None:
    deployment = _NoVisibility()

    async def failing(query: str) -> AsyncIterator[Any]:
        raise RPCError("down", RPCStatusCode.UNAVAILABLE, b"")
        yield  # pragma: no cover

    deployment.client = SimpleNamespace(list_workflows=failing)
    principal = Principal(login="p", role=Role.PANEL, name="P")
    session = pages.WebSession(principal, "csrf", directory=None)  # type: ignore[arg-type]
    with pytest.raises(RPCError):
        await pages._inbox_rows(deployment, session)  # type: ignore[arg-type]
