"""The release's boundary, as pure rules: what it believes, what it refuses, what it records."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from rules import boundary
from rules.context import Context
from rules.tracking import tick
from schemas.base import Actor
from schemas.commands import ActRequest
from schemas.state import Delivery
from schemas.text import MAX_LIST, TITLE, excerpt, sentence_of
from tests.unit.release_factory import at, new

D = date


def test_refused_messages_are_audited_up_to_a_budget_then_counted() -> None:
    state = new()
    ctx = Context(at(D(2019, 5, 10)))
    before = len(state.audit)
    for i in range(boundary.MAX_REFUSALS_RECORDED + 25):
        boundary.record_refusal(
            state, ctx, "X" * 10_000, f"cmd {i}" * 1000, "why" * 5000, outcome="refused"
        )
    assert len(state.audit) - before == boundary.MAX_REFUSALS_RECORDED
    assert state.refusals_unrecorded == 25
    last = state.audit[-1]
    assert (len(last.actor), len(last.command), len(last.detail)) <= (120, 300, 600)
    assert last.outcome == "refused"


def test_a_command_that_would_take_the_state_past_its_cap_is_refused_with_a_sentence() -> None:
    assert boundary.check_room(1_000, 5_000) is None
    sentence = boundary.check_room(boundary.MAX_STATE_BYTES - 10, 64 * 1024)
    assert sentence is not None
    assert sentence.startswith(
        "This release's record holds 1,499 KB, and one release may hold at most 1,500 KB"
    )


def test_an_operator_cancel_ends_the_release_as_cancelled_and_tells_secas_and_the_panel() -> None:
    state = new()
    ctx = Context(at(D(2019, 6, 3)))
    assert boundary.cancelled_by_operator(state, ctx)
    assert state.cancelled_on == D(2019, 6, 3)
    assert state.ended_by_operator == "cancelled through Temporal"
    assert state.audit[-1].actor == "operator"
    notice = state.notices[-1]
    assert (notice.key, notice.kind, notice.to) == (
        "2020-06/operator/cancel",
        "decision",
        ["SECAS", "PANEL_CHAIR", "PANEL"],
    )
    assert not boundary.cancelled_by_operator(state, ctx)  # once


def test_an_undeliverable_notice_is_marked_failed_and_secas_is_told_once() -> None:
    state = new()
    ctx = Context(at(D(2019, 6, 20)))
    tick(state, ctx.now)  # the reminders of the 12-month deadlines are queued
    first = state.notices[0]
    boundary.undeliverable(state, ctx, first.key, "550 no such user\r\nInjected: yes")
    assert first.delivery is Delivery.FAILED
    assert "\n" not in first.error and "\r" not in first.error
    report = state.notices[-1]
    assert (report.kind, report.to, report.key) == (
        "undeliverable",
        ["SECAS"],
        f"{first.key}/undeliverable",
    )
    # The report failing too is recorded, not reported again.
    boundary.undeliverable(state, ctx, report.key, "550 secas unknown")
    assert state.notices[-1] is report and report.delivery is Delivery.FAILED


def test_a_divergent_stored_audit_is_reported_once() -> None:
    state = new()
    ctx = Context(at(D(2019, 5, 10)))
    assert boundary.audit_diverged(state, ctx, [7, 5])
    assert state.audit_diverged_at == 5
    assert (
        state.notices[-1].subject == "June 2020 SEC Release: audit trail diverged (operator reset?)"
    )
    assert not boundary.audit_diverged(state, ctx, [9])
    assert not boundary.audit_diverged(new(), ctx, [])


# -- the models carry the limits ---------------------------------------------------------------


def _request(actor: dict[str, object], command: dict[str, object]) -> str:
    try:
        ActRequest.model_validate({"actor": actor, "command": command})
    except ValidationError as exc:
        return sentence_of(exc)
    return "accepted"


MOD = {"kind": "mod_add", "mod": "MP090", "title": "t", "system": True}


@pytest.mark.parametrize(
    ("actor", "command", "sentence"),
    [
        (
            {"role": "SECAS", "name": "x" * 1_200_000},
            MOD,
            "The actor's name is 1,200,000 characters long; the limit is 100.",
        ),
        (
            {"role": "SECAS", "name": "Kemp\u202e"},
            MOD,
            "The actor's name contains bidirectional override characters (such as U+202E); use plain text.",
        ),
        (
            {"role": "SECAS"},
            {**MOD, "title": "x" * 120_000},
            "The command's title is 120,000 characters long; the limit is 200.",
        ),
        (
            {"role": "SECAS"},
            {**MOD, "title": "Alert\nApproval notice: forged"},
            "The command's title contains control characters or line breaks; use plain text.",
        ),
        (
            {"role": "SECAS"},
            {**MOD, "documents": ["D"] * (MAX_LIST + 1)},
            f"The command's documents has {MAX_LIST + 1} items; the limit is {MAX_LIST}.",
        ),
        (
            {"role": "PANEL"},
            {"kind": "release_cancel", "reason": "line one\r\nline two"},
            "accepted",  # free text may hold line breaks (mail headers never carry it)
        ),
        (
            {"role": "PANEL"},
            {"kind": "release_cancel", "reason": "bell\x07"},
            "The command's reason contains control characters; use plain text.",
        ),
        (
            {"role": "PANEL"},
            {"kind": "no_such_command"},
            "The command is not one sec-release knows.",
        ),
        (
            {"role": "KING"},
            MOD,
            "The actor's role is not valid (Input should be 'SECAS', 'PANEL', 'DCC', 'TAG', 'OPSG', 'PARTY' or 'AUTHORITY').",
        ),
        (
            {"role": "DCC"},
            {"kind": "costs_quote", "total": "1E+999999"},
            "The command's total is not valid (Decimal input should have no more than 24 digits in total).",
        ),
        (
            {"role": "SECAS"},
            {"kind": "mod_add", "mod": "MP090", "system": True},
            "The command's title is missing.",
        ),
    ],
)
def test_the_message_models_refuse_oversized_and_hostile_text_with_a_sentence(
    actor: dict[str, object], command: dict[str, object], sentence: str
) -> None:
    assert _request(actor, command) == sentence


def test_actor_parse_refuses_control_characters_and_overrides() -> None:
    from rules.errors import Refused

    for name in ("Kemp\nPANEL", "Kemp\u202eLENAP", "a" * 101):
        with pytest.raises(Refused):
            Actor.parse(f"SECAS:{name}")


@given(st.text(max_size=400))
@settings(max_examples=300, deadline=None)
def test_any_title_is_accepted_within_its_limits_or_refused_in_one_sentence(title: str) -> None:
    sentence = _request({"role": "SECAS"}, {**MOD, "title": title})
    if sentence == "accepted":
        assert len(title) <= TITLE and "\n" not in title and "\r" not in title
    else:
        assert sentence.startswith("The command's title ") and sentence.endswith(".")


def test_an_excerpt_is_bounded_and_printable() -> None:
    assert excerpt("a\r\nb\u202ec" + "x" * 500, 20) == "a??b?cxxxxxxxxxxxxx…"


def test_a_release_left_alone_carries_only_its_latest_sends_into_the_next_run() -> None:
    state = new("2020-06", created=at(D(2019, 5, 9)))
    tick(state, at(D(2020, 9, 30)))  # 16 months of reminders and escalations, never met
    for n in state.notices:
        n.delivery = Delivery.SENT
    sends = [n for n in state.notices if n.kind in ("reminder", "escalation")]
    assert len(sends) > boundary.KEEP_SENDS
    before = len(state.model_dump_json())
    last_seq = state.audit[-1].seq
    dropped = boundary.compact_for_carry(state, recorded_seq=last_seq)
    kept = [n for n in state.notices if n.kind in ("reminder", "escalation")]
    assert len(kept) == boundary.KEEP_SENDS and kept[-1] is sends[-1]
    assert state.compacted_notices == len(sends) - boundary.KEEP_SENDS
    assert dropped == state.compacted_notices + state.compacted_audit
    assert state.audit[-1].seq == last_seq  # numbering carries on after the last entry
    assert len(state.model_dump_json()) < before
    # Nothing is dropped that the store has not recorded, nor anything still to deliver.
    fresh = new("2020-06", created=at(D(2019, 5, 9)))
    tick(fresh, at(D(2020, 9, 30)))
    assert boundary.compact_for_carry(fresh, recorded_seq=0) == 0
