"""The lifecycle commands' command lines, generated from their declarations.

Each command model's `usages` give its words and help, and its fields give their flags
(`schemas.declare`): this module turns them into argparse leaves and back into the model. No
command is written here by hand; `release create` and `freeze add`, which are not sent to one
release, are added by `starter.lifecycle_cmds` to the groups made here.
"""

from __future__ import annotations

import argparse
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal, get_args, get_origin

from schemas.commands import COMMANDS, GROUPS, Command
from schemas.declare import Arg, Choice, Hidden, Marker, Opt, Pairs, Switch, Usage, marker_of
from starter.args import bounded_int, cost_line, gbp, iso_date, one_of, release_id

Sub = Any  # argparse's _SubParsersAction is private


def _bare(annotation: Any) -> tuple[Any, bool]:
    """The field's type without `Annotated` and `| None`, and whether None is allowed."""
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(get_args(annotation))
            annotation = args[0]
        else:
            return annotation, optional


def _bounds(metadata: list[Any]) -> tuple[int, int]:
    low, high = 0, 100_000
    for m in metadata:
        low = max(low, getattr(m, "ge", low) if getattr(m, "ge", None) is not None else low)
        high = min(high, getattr(m, "le", high) if getattr(m, "le", None) is not None else high)
    return low, high


@dataclass(frozen=True)
class FieldLine:
    """How one field of a command is typed, and how the parsed value becomes the field's."""

    name: str
    marker: Marker | None
    add: Callable[[argparse.ArgumentParser], None]
    value: Callable[[argparse.Namespace], Any]


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def field_line(model: type[Command], name: str) -> FieldLine | None:
    """The command line of field `name` of `model` (None for a field not typed: `kind`)."""
    info = model.model_fields[name]
    marker = marker_of(info.metadata)
    if isinstance(marker, Hidden) or name == "kind":
        return None
    kind, optional = _bare(info.annotation)
    required = info.is_required()
    help_text = info.description
    dest = f"field_{name}"
    default = None if required else info.get_default(call_default_factory=True)

    def plain(args: argparse.Namespace) -> Any:
        return getattr(args, dest)

    if isinstance(marker, Arg):
        choices = marker.choices

        def add_arg(p: argparse.ArgumentParser) -> None:
            p.add_argument(
                dest,
                metavar=marker.metavar,
                choices=list(choices) if choices else None,
                help=help_text,
            )

        def arg_value(args: argparse.Namespace) -> Any:
            given = getattr(args, dest)
            return choices[given] if choices else given

        return FieldLine(name, marker, add_arg, arg_value)

    if isinstance(marker, Switch):

        def add_switch(p: argparse.ArgumentParser) -> None:
            group = p.add_mutually_exclusive_group(required=required)
            group.add_argument(marker.yes, dest=dest, action="store_true", help=help_text)
            group.add_argument(marker.no, dest=dest, action="store_false")
            if not required:
                p.set_defaults(**{dest: default})

        return FieldLine(name, marker, add_switch, plain)

    if isinstance(marker, Choice):

        def add_choice(p: argparse.ArgumentParser) -> None:
            group = p.add_mutually_exclusive_group(required=required)
            for flag, value in marker.flags.items():
                group.add_argument(flag, dest=dest, action="store_const", const=value)

        return FieldLine(name, marker, add_choice, plain)

    if isinstance(marker, Pairs):

        def add_pairs(p: argparse.ArgumentParser) -> None:
            p.add_argument(
                marker.flag,
                dest=dest,
                action="append",
                default=[],
                type=cost_line,
                metavar=marker.metavar,
                help=help_text,
            )

        return FieldLine(name, marker, add_pairs, lambda a: dict(getattr(a, dest)))

    opt = marker if isinstance(marker, Opt) else Opt()
    flag = opt.flag or _flag(name)
    options: dict[str, Any] = {"dest": dest, "help": help_text}
    if kind is bool:
        options.update(action="store_true", default=bool(default))
    elif get_origin(kind) is list:
        options.update(action="append", default=[], metavar=opt.metavar or name.upper())
        if opt.choices:
            options["type"] = one_of(opt.choices, opt.metavar or name)
    else:
        options.update(required=required and not optional, metavar=opt.metavar or name.upper())
        if default is not None:
            options["default"] = default
        if kind is date:
            options.update(type=iso_date, metavar=opt.metavar or "DATE")
        elif kind is Decimal:
            options.update(type=gbp, metavar=opt.metavar or "GBP")
        elif kind is int:
            low, high = _bounds(info.metadata)
            what = (help_text or name.replace("_", " ")).split(" between ")[0]
            options.update(type=bounded_int(low, high, what), metavar=opt.metavar or "N")
        elif get_origin(kind) is Literal:
            values = [str(v) for v in get_args(kind)]
            options["choices"] = values
            options["metavar"] = opt.metavar or "|".join(values)
            if all(v.isupper() for v in values):
                options["type"] = str.upper
    unless = opt.unless

    def add_opt(p: argparse.ArgumentParser) -> None:
        if unless is None:
            p.add_argument(flag, **options)
            return
        group = p.add_mutually_exclusive_group()
        group.add_argument(unless[0], action="store_true", dest=f"{dest}_unset", help=unless[1])
        group.add_argument(flag, **options)

    return FieldLine(name, opt, add_opt, plain)


def build(model: type[Command], usage: Usage, args: argparse.Namespace) -> Command:
    """The command a parsed command line asks for."""
    values: dict[str, Any] = {}
    if usage.kind is not None:
        values["kind"] = usage.kind
    for name in model.model_fields:
        line = field_line(model, name)
        if line is None:
            continue
        value = line.value(args)
        if value is not None:
            values[name] = value
    return model(**values)


def leaves() -> dict[str, list[tuple[type[Command], Usage]]]:
    """The command lines, by words: each with the model and usages it may send."""
    found: dict[str, list[tuple[type[Command], Usage]]] = {}
    for model in COMMANDS:
        for usage in model.usages:
            found.setdefault(usage.words, []).append((model, usage))
    return found


def leaf_help(usages: list[tuple[type[Command], Usage]]) -> str:
    """`waive a deadline (PANEL)`, or each variant's in turn."""
    parts = []
    for _, usage in usages:
        part = f"{usage.what} ({' or '.join(r.value for r in usage.roles)})"
        if part not in parts:
            parts.append(part)
    return "; or ".join(parts)


def add_leaf(
    sub: Sub, name: str, common: argparse.ArgumentParser, help_text: str, *, release: bool = True
) -> argparse.ArgumentParser:
    """One command: a release id first (unless `release` is False) and `--signal`."""
    from starter.session import run_server_op

    p: argparse.ArgumentParser = sub.add_parser(
        name, parents=[common], help=help_text, description=help_text
    )
    if release:
        p.add_argument(
            "release", metavar="ID", type=release_id, help="the release id, e.g. 2020-06"
        )
        p.add_argument(
            "--signal",
            action="store_true",
            help="send as a signal (fire-and-forget); a refusal lands in the audit trail",
        )
    p.set_defaults(handler=run_server_op)
    return p


def add_group(sub: Sub, name: str) -> Sub:
    from starter.cli import Parser

    help_text = GROUPS.get(name, name)
    group = sub.add_parser(name, help=help_text, description=help_text)
    inner = group.add_subparsers(dest=f"{name}_command", metavar="ACTION", parser_class=Parser)
    inner.required = True
    return inner


def register(sub: Sub, common: argparse.ArgumentParser) -> dict[str, Sub]:
    """Add every declared lifecycle command; returns the groups (for the other commands)."""
    groups: dict[str, Sub] = {}
    for words, usages in leaves().items():
        first, _, rest = words.partition(" ")
        if rest:
            if first not in groups:
                groups[first] = add_group(sub, first)
            parent, name = groups[first], rest
        else:
            parent, name = sub, first
        p = add_leaf(parent, name, common, leaf_help(usages))
        model, usage = usages[0]
        for field_name in model.model_fields:
            line = field_line(model, field_name)
            if line is not None:
                line.add(p)
        _act(p, model, usage)
    return groups


def _act(p: argparse.ArgumentParser, model: type[Command], usage: Usage) -> None:
    def make(args: argparse.Namespace) -> Any:
        from starter.ops import ActOp

        return ActOp(args.release, build(model, usage, args), as_signal=args.signal)

    def request(args: argparse.Namespace) -> Any:
        """`POST /api/releases/{id}/<words>` (the front door's generated endpoint)."""
        from starter.remote import Call, act_answer

        command = build(model, usage, args)
        body = command.model_dump(mode="json", exclude_unset=True, exclude={"kind"})
        words = "/".join(usage.words.split())
        return Call(
            "POST",
            f"/api/releases/{args.release}/{words}",
            body=body,
            params={"mode": "signal"} if args.signal else {},
            needs_actor=True,
            render=act_answer,
        )

    p.set_defaults(make_op=make, make_request=request)
