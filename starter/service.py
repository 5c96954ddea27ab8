"""Running the service: `up` (dev server + worker) and `worker` (against a configured server)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Registered in a later step of the foundation."""
