"""The tests' own front door key: their workers trust it, their clients sign with it.

It may start releases on a shifted business clock, as a rehearsal's key may (ACCESS.md).
"""

from __future__ import annotations

from schemas.seal import TrustedKey
from starter.keys import Signer, SigningKey

TEST_KEY = SigningKey.generate("tests")


def signer_for_tests() -> Signer:
    return Signer(TEST_KEY)


def keys_for_tests() -> list[TrustedKey]:
    return [TEST_KEY.trusted(rehearsal=True)]
