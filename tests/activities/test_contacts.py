"""The contacts directory: roles to addresses, validated with sentences a person can act on."""

from __future__ import annotations

from pathlib import Path

import pytest

from activities.contacts import (
    Contacts,
    ContactsInvalid,
    check_address,
    default_address,
    load_contacts,
    parse_contacts,
    resolve,
    save_contacts,
)


def test_each_role_resolves_to_its_addresses_once_and_the_panel_chair_to_a_default() -> None:
    contacts = parse_contacts(
        "SECAS: [secas@secas.example]\nPANEL: [panel@panel.example, secas@secas.example]\n",
        "contacts.yaml",
    )

    found = resolve(contacts, ["SECAS", "PANEL_CHAIR", "PANEL"], "sec-release@secas.example")

    assert found.addresses == [
        "secas@secas.example",
        "panel-chair@secas.example",
        "panel@panel.example",
    ]
    assert found.defaulted == ["PANEL_CHAIR"]


def test_a_single_address_and_a_display_name_are_accepted() -> None:
    contacts = parse_contacts(
        "secas: secas@secas.example\npanel-chair: ['Panel Chair <chair@panel.example>']\n", "f"
    )
    assert contacts.of("SECAS") == ("secas@secas.example",)
    assert contacts.of("PANEL_CHAIR") == ("Panel Chair <chair@panel.example>",)


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            "REGULATOR: [x@y.example]\n",
            "'REGULATOR' is not a role that receives notices; use one of SECAS, PANEL, PANEL_CHAIR, DCC, TAG, OPSG, PARTY, AUTHORITY.",
        ),
        ("SECAS: {a: b}\n", "SECAS must be a list of addresses"),
        ("- SECAS\n", "must map roles to lists of addresses"),
        ("SECAS: [a@b\n", "is not valid YAML at line"),
    ],
)
def test_a_wrong_contacts_file_is_refused_with_a_sentence(text: str, sentence: str) -> None:
    with pytest.raises(ContactsInvalid, match=r"contacts\.yaml") as refused:
        parse_contacts(text, "contacts.yaml")
    assert sentence in refused.value.sentence


def test_setting_a_role_replaces_its_addresses_and_survives_a_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "contacts.yaml"
    assert load_contacts(path) == Contacts()  # no file yet: every role has its default

    save_contacts(path, Contacts().with_role("panel_chair", ["chair@panel.example"]))
    save_contacts(
        path, load_contacts(path).with_role("SECAS", ["a@secas.example", "b@secas.example"])
    )

    loaded = load_contacts(path)
    assert loaded.of("PANEL_CHAIR") == ("chair@panel.example",)
    assert loaded.of("SECAS") == ("a@secas.example", "b@secas.example")
    assert path.read_text(encoding="utf-8").startswith("# sec-release contacts")


def test_setting_a_role_with_no_address_is_refused() -> None:
    with pytest.raises(ContactsInvalid, match="Give at least one address for DCC"):
        Contacts().with_role("DCC", [])


def test_the_default_address_is_at_the_senders_domain() -> None:
    assert default_address("PANEL_CHAIR", "SEC Release <noreply@secas.example>") == (
        "panel-chair@secas.example"
    )
    assert default_address("AUTHORITY", "sec-release@localhost") == "authority@localhost"


def test_an_entry_of_the_file_that_is_not_one_address_is_skipped_and_reported() -> None:
    contacts = parse_contacts(
        'SECAS: [secas@secas.example, "x@y.example\\r\\nBcc: evil@attacker.example"]\n'
        "PANEL: [secas.example]\n",
        "contacts.yaml",
    )

    assert contacts.of("SECAS") == ("secas@secas.example",)
    assert contacts.of("PANEL") == ()
    assert contacts.problems == [
        "In the contacts file contacts.yaml: 'x@y.example\\r\\nBcc: evil@attacker.example' (for "
        "SECAS) holds a line break or another control character; give each address as its own "
        "argument, like secas@example.org. It is skipped.",
        "In the contacts file contacts.yaml: 'secas.example' (for PANEL) is not an email address; "
        "write one address like secas@example.org or 'Jo Kemp <jo@example.org>'. It is skipped.",
    ]
    found = resolve(contacts, ["SECAS", "PANEL"], "sec-release@secas.example")
    # A role left with no usable address goes to its default, never to the bad entry.
    assert found.addresses == ["secas@secas.example", "panel@secas.example"]
    assert (found.defaulted, found.skipped) == (["PANEL"], ["SECAS", "PANEL"])


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("x@y.example\r\nBcc: evil@attacker.example", "holds a line break"),
        ("x@y.example\n", "holds a line break"),
        ("x@y.example\x00", "another control character"),
        ("\u202eelpmaxe.y@x", "another control character"),
        ("a@b.example, c@d.example", "is not an email address; write one address"),
        ("a@b.example c@d.example", "is not an email address"),
        ("Kemp, Jo <jo@x.example>", "is not an email address"),
        ("Jo <jo@x.example", "is not an email address"),
        ("team: a@b.example;", "is not an email address"),
        ("jo@-x.example", "is not an email address"),
        ("j" * 320 + "@x.example", "an email address has at most 320"),
    ],
)
def test_an_address_that_is_not_exactly_one_plain_mailbox_is_refused(given: str, why: str) -> None:
    with pytest.raises(ContactsInvalid, match="for PARTY") as refused:
        check_address(given, "PARTY")
    assert why in refused.value.sentence


def test_a_quoted_display_name_with_a_comma_is_one_address() -> None:
    assert check_address(' "Kemp, Jo" <jo@x.example> ', "DCC") == '"Kemp, Jo" <jo@x.example>'


def test_an_address_built_in_code_is_checked_again_when_resolved() -> None:
    contacts = Contacts({"DCC": ("dcc@dcc.example\r\nBcc: evil@attacker.example",)})
    found = resolve(contacts, ["DCC"], "sec-release@secas.example")
    assert (found.addresses, found.defaulted) == (["dcc@secas.example"], ["DCC"])
