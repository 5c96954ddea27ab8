"""The lifecycle commands' reference, generated from their declarations (`docs/cli-reference.md`).

Run `python -m starter.reference > docs/cli-reference.md` after changing a command; a test
fails while the file in the repository differs from what the declarations generate.
"""

from __future__ import annotations

import argparse

from schemas.commands import COMMANDS, FREEZE_ADD, RELEASE_CREATE
from schemas.declare import Usage
from starter.command_line import add_leaf, field_line, leaf_help, leaves


def _roles(usage: Usage) -> str:
    return " or ".join(r.value for r in usage.roles)


def _flags(words: str) -> str:
    """The usage line argparse makes for the command's leaf, without the program name."""
    usages = leaves()[words]
    model, _ = usages[0]
    root = argparse.ArgumentParser(prog="sec-release", add_help=False)
    sub = root.add_subparsers()
    p = add_leaf(sub, words, argparse.ArgumentParser(add_help=False), leaf_help(usages))
    for name in model.model_fields:
        line = field_line(model, name)
        if line is not None:
            line.add(p)
    usage = " ".join(p.format_usage().split()).removeprefix("usage: ")
    return usage.replace(f"sec-release {words}", "").strip()


def reference() -> str:
    """The Markdown reference of every command sent to a release, and who may issue it."""
    lines = [
        "# Lifecycle commands",
        "",
        "Generated from the command declarations (`schemas/commands.py`) by",
        "`python -m starter.reference`; do not edit by hand. Every command also takes `--json`,",
        "`--as ROLE[:NAME]` and the connection options, and `--signal` to send it",
        "fire-and-forget.",
        "",
        "| command | who | what |",
        "|---|---|---|",
    ]
    for usage in (RELEASE_CREATE, FREEZE_ADD):
        lines.append(f"| `{usage.command_line}` | {_roles(usage)} | {usage.what} |")
    for model in COMMANDS:
        for usage in model.usages:
            lines.append(f"| `{usage.command_line}` | {_roles(usage)} | {usage.what} |")
    lines += ["", "## Flags", ""]
    for words, usages in leaves().items():
        model, _ = usages[0]
        lines += [f"### `sec-release {words}`", "", leaf_help(usages) + ".", ""]
        lines += ["```", f"sec-release {words} {_flags(words)}", "```", ""]
        described = [
            (name, info.description)
            for name, info in model.model_fields.items()
            if info.description and field_line(model, name) is not None
        ]
        for name, description in described:
            lines.append(f"- `{name}`: {description}")
        if described:
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(reference(), end="")
