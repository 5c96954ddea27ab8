"""Scenario files for `rehearse` (CLI.md "Scenario files"): a release and dated CLI lines.

```yaml
release: {id: "2020-06", type: system, go_live: 2020-06-25}
steps:
  - {at: 2019-05-09, as: "SECAS:Kemp", do: "mod add 2020-06 SECMP0062 --title 'Alert Storm Protection' --system"}
until: 2020-09-30
```

A step's `at` is a date (the step runs at 10:00 London time, after the day's 09:00 notices) or a
date and time (`2019-05-09 14:30`, London time). Steps run in file order and may not go back in
time. The clock starts at the release's `created` moment if given, else at the first step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from rules.clock import LONDON
from starter.errors import UsageError

STEP_HOUR = 10
MAX_STEPS = 5000
# A scenario is a page of CLI lines: a megabyte is thousands of steps. The file is read up to
# this size and no further, so `/dev/zero` or a huge file stops here, not in memory.
MAX_SCENARIO_BYTES = 1_000_000
# What a scenario may expand to once its YAML aliases are followed, counted as nodes plus the
# characters of their text: about four times the largest file written out in full. An alias
# bomb (a few lines that expand to billions of nodes) is refused while it is composed.
MAX_EXPANDED_WEIGHT = 4 * MAX_SCENARIO_BYTES


class ScenarioTooLarge(Exception):
    """The scenario expands past `MAX_EXPANDED_WEIGHT` (raised while the YAML is composed)."""


def _bounded_loader() -> type:
    """A safe YAML loader that counts what each node expands to, aliases included.

    PyYAML shares an aliased node rather than copying it, so a few lines can stand for billions
    of nodes, which only explode when something walks them. Each node's weight (1, plus its text's
    length for a scalar, plus its children's weights) is known as soon as it is composed; an
    alias costs the weight of the node it names, so the sum is the expanded size, bounded here.
    """
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.weights: dict[int, int] = {}

        def compose_node(self, parent: Any, index: Any) -> Any:
            is_alias = self.check_event(yaml.AliasEvent)
            node: Any = super().compose_node(parent, index)
            if is_alias:
                if id(node) not in self.weights:
                    raise ScenarioTooLarge("an alias refers to the node that contains it")
                return node
            if isinstance(node, yaml.ScalarNode):
                weight = 1 + len(node.value)
            elif isinstance(node, yaml.SequenceNode):
                weight = 1 + sum(self.weights[id(child)] for child in node.value)
            else:
                weight = 1 + sum(
                    self.weights[id(key)] + self.weights[id(value)] for key, value in node.value
                )
            if weight > MAX_EXPANDED_WEIGHT:
                raise ScenarioTooLarge(
                    f"it expands to more than {MAX_EXPANDED_WEIGHT:,} nodes and characters"
                )
            self.weights[id(node)] = weight
            return node

    return BoundedLoader


def _shown(value: Any, limit: int = 60) -> str:
    """A value as an error message shows it: its repr, cut short."""
    text = repr(value) if isinstance(value, str | int | float | date) else type(value).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class ScenarioRelease:
    id: str
    type: str | None
    go_live: date | None
    ad_hoc: bool
    actor: str
    created: datetime | None


@dataclass(frozen=True)
class ScenarioStep:
    number: int
    at: datetime
    actor: str | None
    do: str


@dataclass(frozen=True)
class Scenario:
    release: ScenarioRelease | None
    steps: list[ScenarioStep]
    until: datetime | None

    @property
    def start(self) -> datetime:
        if self.release and self.release.created:
            return self.release.created
        if self.steps:
            return self.steps[0].at
        raise UsageError("the scenario has neither a release `created` date nor any step")


def _keys(keys: set[Any]) -> str:
    """Unknown keys as an error message names them: a few, each cut short."""
    names = sorted(_shown(k, 40).strip("'") for k in keys)
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _moment(value: Any, where: str, *, hour: int = STEP_HOUR) -> datetime:
    """A YAML/JSON date or date-time as an aware London moment."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=LONDON)
    if isinstance(value, date):
        return datetime.combine(value, time(hour), tzinfo=LONDON)
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), time(hour), tzinfo=LONDON)
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise UsageError(
                f"{where}: {_shown(value)} is not a date; write YYYY-MM-DD or YYYY-MM-DD HH:MM"
            ) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=LONDON)
    raise UsageError(
        f"{where}: {_shown(value)} is not a date; write YYYY-MM-DD or YYYY-MM-DD HH:MM"
    )


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"{where} must be a non-empty text")
    return value.strip()


def parse_scenario(text: str, name: str = "scenario") -> Scenario:
    """A scenario from YAML (or JSON, which YAML reads too); every problem is one sentence."""
    import yaml

    size = len(text.encode("utf-8"))
    if size > MAX_SCENARIO_BYTES:
        raise UsageError(_too_big(name))
    try:
        if name.endswith(".json"):
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_bounded_loader())
    except ScenarioTooLarge as exc:
        raise UsageError(
            f"{name} is refused: {exc}; write the steps out instead of repeating them with aliases"
        ) from None
    except RecursionError:
        raise UsageError(f"{name} nests too deeply to be a scenario") from None
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"{name} is not valid YAML or JSON ({first})") from None
    except ValueError as exc:  # YAML read a date that does not exist, e.g. 2019-02-30
        raise UsageError(
            f"{name} has a date that does not exist ({exc}); dates are YYYY-MM-DD"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"{name} must be a mapping with `release`, `steps` and `until`")
    unknown = set(data) - {"release", "steps", "until"}
    if unknown:
        raise UsageError(f"{name} has unknown key(s) {_keys(unknown)}; use release, steps, until")
    release = _release(data.get("release"), name)
    raw_steps = data.get("steps") or []
    if not isinstance(raw_steps, list):
        raise UsageError(f"{name}: `steps` must be a list of {{at, as, do}}")
    if len(raw_steps) > MAX_STEPS:
        raise UsageError(f"{name} has {len(raw_steps)} steps; the limit is {MAX_STEPS}")
    steps: list[ScenarioStep] = []
    for number, raw in enumerate(raw_steps, 1):
        where = f"{name}, step {number}"
        if not isinstance(raw, dict):
            raise UsageError(f"{where} must be a mapping {{at, as, do}}")
        extra = set(raw) - {"at", "as", "do"}
        if extra:
            raise UsageError(f"{where} has unknown key(s) {_keys(extra)}; use at, as, do")
        if "at" not in raw:
            raise UsageError(f"{where} has no `at` date")
        at = _moment(raw["at"], where)
        if steps and at < steps[-1].at:
            raise UsageError(
                f"{where} goes back in time ({at:%Y-%m-%d %H:%M} is before step {number - 1}); keep steps in date order"
            )
        actor = _text(raw["as"], f"{where}: `as`") if raw.get("as") is not None else None
        steps.append(ScenarioStep(number, at, actor, _text(raw.get("do"), f"{where}: `do`")))
    until = (
        _moment(data["until"], f"{name}: `until`", hour=23)
        if data.get("until") is not None
        else None
    )
    if release and release.created and steps and steps[0].at < release.created:
        raise UsageError(f"{name}: step 1 is before the release is created")
    if until and steps and until < steps[-1].at:
        raise UsageError(f"{name}: `until` is before the last step")
    return Scenario(release, steps, until)


def _release(raw: Any, name: str) -> ScenarioRelease | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise UsageError(f"{name}: `release` must be a mapping {{id, type, go_live}}")
    extra = set(raw) - {"id", "type", "go_live", "ad_hoc", "as", "created"}
    if extra:
        raise UsageError(f"{name}: `release` has unknown key(s) {_keys(extra)}")
    kind = raw.get("type")
    if kind is not None and kind not in ("system", "documentation"):
        raise UsageError(f"{name}: release type {_shown(kind)} is not system or documentation")
    go_live = (
        _moment(raw["go_live"], f"{name}: release go_live").date()
        if raw.get("go_live") is not None
        else None
    )
    created = (
        _moment(raw["created"], f"{name}: release created")
        if raw.get("created") is not None
        else None
    )
    return ScenarioRelease(
        id=_text(str(raw.get("id", "")), f"{name}: release id"),
        type=kind,
        go_live=go_live,
        ad_hoc=bool(raw.get("ad_hoc", False)),
        actor=_text(raw.get("as", "SECAS:Rehearsal"), f"{name}: release `as`"),
        created=created,
    )


def _too_big(name: str) -> str:
    return (
        f"{name} is larger than {MAX_SCENARIO_BYTES:,} bytes, the limit for a scenario; "
        "split it into several rehearsals"
    )


def load_scenario(path: Path) -> Scenario:
    """Read a scenario file, never more than `MAX_SCENARIO_BYTES` (plus one, to know it is more)."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_SCENARIO_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_SCENARIO_BYTES:
        raise UsageError(_too_big(str(path)))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text") from None
    return parse_scenario(text, path.name)
