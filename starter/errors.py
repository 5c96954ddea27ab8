"""Errors the CLI turns into one sentence and an exit code (never a traceback)."""

from rules.errors import Refused

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """The command line itself was wrong: exit 2."""


class Unavailable(Exception):
    """Something the command needs is not there (e.g. the server is not running): exit 1."""


__all__ = ["EXIT_OK", "EXIT_REFUSED", "EXIT_USAGE", "Refused", "Unavailable", "UsageError"]
