"""The README and the docs link only to files in the repository (a clone has nothing beside it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("doc", ["README.md", "docs/cli-reference.md", "docs/directory.md"])
def test_every_relative_link_names_a_file_in_the_repository(doc: str) -> None:
    path = ROOT / doc
    for target in _LINK.findall(path.read_text()):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor
        file = (path.parent / target.split("#")[0]).resolve()
        assert file.is_relative_to(ROOT), f"{doc} links outside the repository: {target}"
        assert file.exists(), f"{doc} links to {target}, which is not in the repository"
