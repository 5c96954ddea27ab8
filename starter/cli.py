"""`sec-release`: parse the command line, run one command, exit 0 / 1 refused / 2 usage.

No input reaches the user as a traceback: rule refusals, usage errors and unavailable services
each become one sentence on stderr (and `{"error": ...}` on stdout with `--json`). Commands
import Temporal and SQLAlchemy only when they run, so the offline ones answer fast.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from rules.errors import Refused
from starter.errors import EXIT_REFUSED, EXIT_USAGE, Unavailable, UsageError
from starter.output import Output

Handler = Callable[[argparse.Namespace, Output], int]


def _terminal_columns() -> int:
    """`shutil.get_terminal_size().columns`, as argparse asks it, without importing shutil
    (and the compression modules it loads), which argparse does for every parser it builds."""
    import os

    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class Formatter(argparse.HelpFormatter):
    """argparse's help layout, as wide as the terminal (the width argparse itself chooses)."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        width = _terminal_columns() - 2 if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)


class Parser(argparse.ArgumentParser):
    """An argument parser that raises instead of printing usage and exiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def common_options() -> argparse.ArgumentParser:
    """Options every command accepts, before or after its name."""
    common = Parser(add_help=False)
    s = argparse.SUPPRESS
    common.add_argument("--json", action="store_true", default=s, help="print one JSON document")
    common.add_argument(
        "--as",
        dest="actor",
        metavar="ROLE[:NAME]",
        default=s,
        help="who acts (or SEC_RELEASE_ACTOR)",
    )
    common.add_argument("--address", default=s, help="Temporal address (or TEMPORAL_ADDRESS)")
    common.add_argument("--namespace", default=s, help="Temporal namespace (or TEMPORAL_NAMESPACE)")
    common.add_argument("--tls-cert", default=s, metavar="PATH", help="TLS client certificate")
    common.add_argument("--tls-key", default=s, metavar="PATH", help="TLS client key")
    common.add_argument("--tls-ca", default=s, metavar="PATH", help="TLS server CA certificate")
    common.add_argument("--api-key", default=s, help="API key (e.g. Temporal Cloud)")
    common.add_argument("--data-dir", default=s, metavar="DIR", help="data directory")
    common.add_argument(
        "--url", default=s, metavar="URL", help="the front door (or SEC_RELEASE_URL)"
    )
    common.add_argument(
        "--direct",
        action="store_true",
        default=s,
        help="operators only: talk to Temporal directly, signing with the data dir's front "
        "door key, instead of going through the front door",
    )
    return common


def build_parser(argv: Sequence[str] | None = None) -> Parser:
    """The whole command line; for a command line that names an offline command (`calendar
    2027`) or a reading (`status ID`), only that command's parser, so it answers without
    importing (or building the parsers of) the commands it does not run. `main` falls back to
    the whole command line when such a narrowed parse fails, so every error reads the same.

    Each parser is built once per process and reused: argparse parsers hold no state between
    parses, our options' defaults are all SUPPRESS (settings are read when a command runs) and
    the help's width is read when help is printed. The whole command line costs ~100 ms to
    build (argparse looks gettext catalogues up on the disk for every help text), which a
    rehearsal or an in-process caller would otherwise pay per line."""
    from starter import offline, read_cmds

    words = [a for a in (argv or []) if not a.startswith("-")]
    if words and words[0] in offline.COMMANDS:
        return _parser("offline", words[0])
    if words and words[0] in read_cmds.COMMANDS:
        # A reading goes over HTTP: its parser only, not the lifecycle commands' (built from
        # the command models, which it never uses).
        return _parser("read", words[0])
    from starter import directory_cmds

    if words and words[0] in directory_cmds.COMMANDS:
        return _parser("directory", None)
    return _parser("all", None)


@functools.cache
def _parser(scope: str, only: str | None) -> Parser:
    common = common_options()
    parser = Parser(
        prog="sec-release",
        parents=[common],
        description="Run the governance of SEC Releases: deadlines, RID, TAD, testing, go-live.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    # Each command module is imported only when its commands are needed (bench/README.md).
    from starter import offline, read_cmds

    if scope == "offline":
        offline.register(sub, common, only=only)
        return parser
    if scope == "read":
        read_cmds.register(sub, common, only=only)
        return parser
    offline.register(sub, common)
    from starter import directory_cmds

    directory_cmds.register(sub, common)
    if scope == "directory":
        return parser
    from starter import (
        audit_cmds,
        doc_cmds,
        keys_cmds,
        lifecycle_cmds,
        login_cmds,
        mail_cmds,
        rehearse_cmd,
        service,
    )

    service.register(sub, common)
    login_cmds.register(sub, common)
    mail_cmds.register(sub, common)
    audit_cmds.register(sub, common)
    keys_cmds.register(sub, common)
    read_cmds.register(sub, common)
    lifecycle_cmds.register(sub, common)
    doc_cmds.register(sub, common)
    rehearse_cmd.register(sub, common)
    return parser


def parse(raw: list[str]) -> argparse.Namespace:
    """The command line parsed by the narrowest parser that knows its command; if that one
    refuses it (the first word was an option's value, say), by the whole command line, whose
    sentence (or answer) it then is."""
    try:
        return build_parser(raw).parse_args(raw)
    except UsageError:
        return build_parser(None).parse_args(raw)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; the return value is the process exit code."""
    raw = list(sys.argv[1:] if argv is None else argv)
    out = Output(json="--json" in raw)
    try:
        args = parse(raw)
    except UsageError as exc:
        out.refuse(str(exc))
        return EXIT_USAGE
    except SystemExit as exc:  # --help prints and exits 0
        return exc.code if isinstance(exc.code, int) else 0
    out = Output(json=bool(getattr(args, "json", False)))
    handler: Handler = args.handler
    try:
        return handler(args, out)
    except Refused as exc:
        out.refuse(exc.sentence)
        return EXIT_REFUSED
    except UsageError as exc:
        out.refuse(str(exc))
        return EXIT_USAGE
    except Unavailable as exc:
        out.refuse(str(exc))
        return EXIT_REFUSED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `sec-release ... | head`: the reader has gone, nothing to say
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_REFUSED
    except Exception as exc:  # the last line of defence: a sentence, never a traceback
        out.refuse(
            f"unexpected {type(exc).__name__}: {exc}. Please report this with the command you ran."
        )
        return EXIT_REFUSED


def run() -> NoReturn:
    """The console script: run `main`, then exit with its code.

    Once a command has used the Temporal client, the SDK's native threads can outlive the
    interpreter and crash it as it finalizes (SIGABRT "PyGILState_Release", temporalio/sdk-python
    #300), after the answer was printed. So after flushing, such a process ends with `os._exit`,
    which skips the finalization that crashes; nothing is lost as every command has finished.
    """
    import os

    code = main()
    if "temporalio" not in sys.modules:
        raise SystemExit(code)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(code)
