"""The one setting the CLI's HTTP path reads without pydantic-settings (`starter.cli_settings`)
is the `Settings` field it names: same environment variable, same default, same value."""

from __future__ import annotations

import pytest
from pydantic import AliasChoices, ValidationError

from settings import Settings
from starter import cli_settings


def test_the_names_and_default_are_the_ones_settings_declares() -> None:
    field = Settings.model_fields[cli_settings.HTTP_PORT]
    assert isinstance(field.validation_alias, AliasChoices)
    assert field.validation_alias.choices == [cli_settings.HTTP_PORT_ENV]
    assert field.default == cli_settings.HTTP_PORT_DEFAULT


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (None, None),
        ("SEC_RELEASE_HTTP_PORT", "8123"),
        ("sec_release_http_port", "8124"),  # pydantic-settings reads names case-insensitively
        ("SEC_RELEASE_HTTP_PORT", "65535"),
        ("SEC_RELEASE_HTTP_PORT", " 8125 "),  # not a plain number: Settings decides
        ("SEC_RELEASE_HTTP_PORT", "08126"),
    ],
)
def test_the_port_read_without_pydantic_is_the_one_settings_reads(
    monkeypatch: pytest.MonkeyPatch, name: str | None, value: str | None
) -> None:
    monkeypatch.delenv("SEC_RELEASE_HTTP_PORT", raising=False)
    if name is not None and value is not None:
        monkeypatch.setenv(name, value)
    assert cli_settings.http_port() == Settings().http_port


@pytest.mark.parametrize("value", ["0", "70000", "eighty", "-1"])
def test_a_port_settings_refuses_is_refused_the_same_way(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SEC_RELEASE_HTTP_PORT", value)
    with pytest.raises(ValidationError) as from_settings:
        Settings()
    with pytest.raises(ValidationError) as from_cli:
        cli_settings.http_port()
    assert str(from_cli.value) == str(from_settings.value)
