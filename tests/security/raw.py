"""What an attacker holding a raw Temporal client sends: any name, any bytes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue

from schemas.status import ReleaseStatus


def payload(data: bytes, encoding: bytes = b"json/plain") -> RawValue:
    """Bytes on the wire, with whatever encoding the sender claims."""
    return RawValue(Payload(metadata={"encoding": encoding}, data=data))


def as_json(value: Any) -> RawValue:
    return payload(json.dumps(value).encode())


def deep(n: int) -> RawValue:
    return payload(b"[" * n + b'"x"' + b"]" * n)


# Forged, oversized and malformed payloads (label, payload), tried on every handler name.
HOSTILE: list[tuple[str, RawValue]] = [
    ("empty", payload(b"")),
    ("null", as_json(None)),
    ("not json", payload(b"\xff\xfe{{{not json")),
    ("wrong encoding", payload(b"\x00\x01", b"binary/protobuf")),
    ("unknown encoding", payload(b"{}", b"x-evil/zip")),
    ("a number", as_json(12345678901234567890)),
    ("deep nesting", deep(5000)),
    ("a huge list", as_json(list(range(200_000)))),
    ("1.2 MB actor", as_json({"actor": {"role": "PANEL", "name": "x" * 1_200_000}})),
    (
        "120,000-character title",
        as_json(
            {
                "actor": {"role": "SECAS", "name": "Kemp"},
                "command": {
                    "kind": "mod_add",
                    "mod": "MP999",
                    "title": "t" * 120_000,
                    "system": True,
                },
            }
        ),
    ),
    (
        "control characters",
        as_json(
            {
                "actor": {"role": "SECAS", "name": "Kemp\r\nBcc: all@example.org"},
                "command": {"kind": "mod_add", "mod": "MP998", "title": "a\u202eb", "system": True},
            }
        ),
    ),
    (
        "a forged appeal outcome",
        as_json({"version": "1.0", "status": "overturned", "appeals": 3, "notes": "forged"}),
    ),
    (
        "a forged freeze list",
        as_json({"freezes": [{"start": "2027-06-01", "end": "2027-06-30", "reason": "forged"}]}),
    ),
    ("an empty freeze list", as_json({"freezes": []})),
    ("a forged registration", as_json({"release_id": "2027-06", "workflow_id": "release/2027-06"})),
    ("a foreign registration", as_json({"release_id": "x", "workflow_id": "evil/other"})),
    ("a forged determination", as_json({"upheld": False, "notes": "forged", "on": "2026-12-01"})),
    ("a forged appeal", as_json({"by": "PARTY:Forger", "reasons": "forged", "on": "2026-12-01"})),
    (
        "an unknown command",
        as_json({"actor": {"role": "PANEL"}, "command": {"kind": "grant_everything"}}),
    ),
    (
        "a refused command claiming PANEL",
        as_json(
            {
                "actor": {"role": "PANEL", "name": "Impostor"},
                "command": {"kind": "vote", "go": True},
            }
        ),
    ),
]


@dataclass
class Handlers:
    signals: list[str]
    updates: list[str]
    queries: list[str]


def handlers_of(cls: type) -> Handlers:
    """Every signal, update and query name a workflow class defines."""
    defn = workflow._Definition.from_class(cls)
    assert defn is not None
    return Handlers(
        signals=sorted(n for n in defn.signals if n is not None),
        updates=sorted(n for n in defn.updates if n is not None),
        queries=sorted(n for n in defn.queries if n is not None),
    )


def comparable(status: ReleaseStatus) -> dict[str, Any]:
    """A status without what refused input may legitimately add: audit lines and the clock."""
    data = status.model_dump(mode="json")
    for key in ("audit", "as_of", "escalations", "notices", "owed", "runs"):
        data.pop(key)
    data["deadlines"] = [(d["key"], d["due"], d["status"], d["met_on"]) for d in data["deadlines"]]
    return data


@dataclass
class Tally:
    signals: int = 0
    updates: int = 0
    queries: int = 0
    payloads: set[str] = field(default_factory=set)
    update_refusals: list[str] = field(default_factory=list)
