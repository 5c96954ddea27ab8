"""The web app's command forms, generated from the command declarations (`schemas.commands`).

A form is one way of issuing a command (a `Usage`) that the signed-in role may use: its fields
are the command's (their help from `Field(description=...)`, their choices from the markers of
`schemas.declare`), the values its usage fixes (`criterion set` as the Panel's waiver) are hidden,
and decisions ask for confirmation. What a person types is read back into the command's values
here, and then goes the API's way (`frontdoor.commands_api.issue`): the same checks, the same
sentences, so a page can never allow what the API refuses.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from frontdoor.commands_api import Leaf, bare_type, body_model, command_leaves
from schemas.commands import Command
from schemas.declare import Arg, Choice, Pairs, Switch, Usage, marker_of
from schemas.text import sentence_of
from schemas.vocabulary import Role

# Decisions with regulatory weight: the form asks "I confirm" before it is sent.
DECISIONS = frozenset({"vote", "rid baseline", "appeal determine", "release cancel"})
CONFIRM_FIELD = "confirm"

Control = Literal["text", "textarea", "date", "number", "decimal", "radio", "select", "checkbox"]


class FormProblem(Exception):
    """What a person typed cannot be read as the command; the sentence goes beside the form."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


@dataclass(frozen=True)
class Option:
    label: str
    value: str


@dataclass(frozen=True)
class FieldSpec:
    """One input of a form: its name, label, help, control and (for choices) its options."""

    name: str
    label: str
    help: str
    control: Control
    required: bool
    options: tuple[Option, ...] = ()
    # How the typed text becomes the field's value: bools and the `Pairs` mapping are read here.
    values: Mapping[str, Any] = field(default_factory=dict)
    pairs: bool = False
    listing: bool = False


@dataclass(frozen=True)
class FormSpec:
    """The form for one usage of one command line."""

    leaf: Leaf
    usage: Usage
    fields: tuple[FieldSpec, ...]
    fixed: Mapping[str, str]

    @property
    def anchor(self) -> str:
        suffix = "-" + self.usage.flags.strip("-") if self.usage.flags else ""
        return "act-" + self.leaf.words.replace(" ", "-") + suffix

    @property
    def path(self) -> str:
        return "do/" + "/".join(self.leaf.words.split())

    @property
    def title(self) -> str:
        return self.usage.what[0].upper() + self.usage.what[1:]

    @property
    def confirm(self) -> bool:
        return self.leaf.words in DECISIONS


def _label(name: str) -> str:
    text = name.replace("_", " ")
    return text[0].upper() + text[1:]


def _multiline(info: FieldInfo) -> bool:
    """Whether the field takes prose (line breaks allowed): then it gets a text area."""
    if not info.metadata:
        return True  # a plain str: nothing forbids a line break
    annotated: Any = typing.Annotated[(info.annotation, *info.metadata)]
    adapter: TypeAdapter[Any] = TypeAdapter(annotated)
    try:
        adapter.validate_python("a\nb")
    except ValidationError:
        return False
    return True


def _field(name: str, info: FieldInfo, hidden_values: Mapping[str, set[Any]]) -> FieldSpec:
    kind = bare_type(info.annotation)
    marker = marker_of(info.metadata)
    help_text = info.description or ""
    required = info.is_required()
    label = _label(name)
    excluded = hidden_values.get(name, set())
    if kind is bool and isinstance(marker, Arg) and marker.choices:
        options = tuple(Option(w, w) for w in marker.choices)
        return FieldSpec(name, label, help_text, "radio", required, options, dict(marker.choices))
    if kind is bool and isinstance(marker, Switch):
        yes, no = marker.yes.lstrip("-"), marker.no.lstrip("-")
        return FieldSpec(
            name,
            label,
            help_text,
            "radio",
            required,
            (Option(yes, yes), Option(no, no)),
            {yes: True, no: False},
        )
    if kind is bool:
        return FieldSpec(name, label, help_text, "checkbox", False, values={"yes": True})
    if isinstance(marker, Choice):
        options = tuple(
            Option(flag.lstrip("-"), str(value))
            for flag, value in marker.flags.items()
            if value not in excluded
        )
        return FieldSpec(name, label, help_text, "radio", required, options)
    if get_origin(kind) is Literal:
        options = tuple(Option(str(v), str(v)) for v in get_args(kind) if v not in excluded)
        return FieldSpec(name, label, help_text, "select", required, options)
    if kind is date:
        return FieldSpec(name, label, help_text, "date", required)
    if kind is int:
        return FieldSpec(name, label, help_text, "number", required)
    if kind is Decimal:
        return FieldSpec(name, label, help_text or "an amount in GBP", "decimal", required)
    if get_origin(kind) is dict or isinstance(marker, Pairs):
        help_text = (help_text or "LINE=GBP") + " (one a line)"
        return FieldSpec(name, label, help_text, "textarea", required, pairs=True)
    if get_origin(kind) is list:
        help_text = (help_text + "; " if help_text else "") + "one a line"
        return FieldSpec(name, label, help_text, "textarea", required, listing=True)
    control: Control = "textarea" if _multiline(info) else "text"
    return FieldSpec(name, label, help_text, control, required)


def _form(leaf: Leaf, usage: Usage) -> FormSpec:
    # Values another usage of this command line selects (the Panel's `waived`) are not offered
    # on this usage's form: choosing one would be issuing that other usage.
    others: dict[str, set[Any]] = {}
    for other in leaf.usages:
        if other is not usage:
            for key, value in other.when.items():
                if usage.when.get(key) != value:
                    others.setdefault(key, set()).add(value)
    specs = tuple(
        _field(name, info, others)
        for name, info in leaf.model.model_fields.items()
        if name != "kind" and name not in usage.when
    )
    fixed = {k: str(v) for k, v in usage.when.items()}
    return FormSpec(leaf, usage, specs, fixed)


@cache
def all_forms() -> tuple[FormSpec, ...]:
    """Every command form, in the CLI's order."""
    return tuple(_form(leaf, usage) for leaf in command_leaves() for usage in leaf.usages)


def forms_for(role: Role) -> list[FormSpec]:
    """The forms of the commands `role` may issue on a release (and only those)."""
    return [f for f in all_forms() if role in f.usage.roles]


def form_at(path: str, fixed: Mapping[str, str]) -> FormSpec | None:
    """The form posted to `do/<words>`, told apart from its siblings by its fixed values."""
    words = " ".join(path.split("/"))
    candidates = [f for f in all_forms() if f.leaf.words == words]
    for form in candidates:
        if form.fixed and all(fixed.get(k) == v for k, v in form.fixed.items()):
            return form
    return next((f for f in candidates if not f.fixed), candidates[0] if candidates else None)


def _pairs(text: str, name: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, amount = line.partition("=")
        if not sep or not key.strip() or not amount.strip():
            raise FormProblem(f"{_label(name)}: write each line as LINE=GBP, not {line[:60]!r}.")
        found[key.strip()] = amount.strip()
    return found


def read_command(form: FormSpec, posted: Mapping[str, str]) -> Command:
    """The command a posted form says, as the API would read the same values as JSON.

    Raises:
        FormProblem: a value that cannot be read, with the sentence the API would give.
    """
    values: dict[str, Any] = {}
    for spec in form.fields:
        raw = posted.get(spec.name, "")
        if spec.control == "checkbox":
            if raw:
                values[spec.name] = True
            continue
        if not raw.strip():
            continue  # left empty: the field's default, or "missing" if it has none
        if spec.values:
            if raw not in spec.values:
                raise FormProblem(f"{spec.label}: choose one of {', '.join(spec.values)}.")
            values[spec.name] = spec.values[raw]
        elif spec.pairs:
            values[spec.name] = _pairs(raw, spec.name)
        elif spec.listing:
            values[spec.name] = [line.strip() for line in raw.splitlines() if line.strip()]
        else:
            values[spec.name] = raw.strip() if spec.control != "textarea" else raw
    values.update(form.usage.when)
    body: type[BaseModel] = body_model(form.leaf)
    try:
        checked = body.model_validate(values)
        return form.leaf.model.model_validate(
            {**checked.model_dump(exclude_unset=True), "kind": form.leaf.kind}
        )
    except ValidationError as exc:
        raise FormProblem(sentence_of(exc)) from None
