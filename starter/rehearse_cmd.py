"""`rehearse SCENARIO`: the whole lifecycle of a scenario on a private time-skipping server."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starter.errors import Unavailable
from starter.output import Output

if TYPE_CHECKING:
    from starter.rehearsal import Report


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "rehearse",
        parents=[common],
        help="run a scenario file on a private time-skipping server, in seconds",
        description="Run a scenario (YAML or JSON: a release, dated CLI lines, `until`) on a "
        "private time-skipping Temporal server, with the business clock at the scenario's dates; "
        "print the final status, every message that would have been sent, and each refused step.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="e.g. examples/june-2020.yaml")
    p.add_argument("--strict", action="store_true", help="stop at the first refused step (exit 1)")
    p.add_argument(
        "--out", metavar="DIR", help="also write rid.md/.html, go-live-paper.md/.html, timeline.ics"
    )
    p.set_defaults(handler=rehearse_cmd)


def rehearse_cmd(args: argparse.Namespace, out: Output) -> int:
    import asyncio

    from starter.scenario import load_scenario

    scenario = load_scenario(Path(args.scenario))
    out_dir = Path(args.out) if args.out else None
    if out_dir is not None and not (out_dir.is_dir() or out_dir.parent.is_dir()):
        raise Unavailable(
            f"Cannot write the documents to {out_dir}: the folder {out_dir.parent} does not "
            "exist; create it first or choose another --out."
        )
    report = asyncio.run(_run(scenario, args.strict, out_dir))
    out.emit(report.as_json(), summary(report, args.out))
    return 0


async def _run(scenario: Any, strict: bool, out_dir: Path | None) -> Report:
    from temporalio.service import RPCError

    from rules.errors import Refused
    from starter.rehearsal import StepFailed, run_scenario, start_test_server

    env = await start_test_server()
    try:
        return await run_scenario(env, scenario, strict=strict, out_dir=out_dir)
    except StepFailed as exc:
        raise Refused(str(exc)) from None
    except RPCError as exc:
        raise Unavailable(
            f"The rehearsal's test server failed ({exc.message}); the rehearsal did not finish."
        ) from None
    finally:
        await env.shutdown()


def _local(iso: str) -> str:
    from datetime import datetime

    from rules.clock import LONDON

    return f"{datetime.fromisoformat(iso).astimezone(LONDON):%Y-%m-%d %H:%M}"


def summary(report: Report, out_dir: str | None) -> str:
    from starter.render import status_text

    lines = []
    if report.status is not None:
        lines += [status_text(report.status), ""]
    kinds: dict[str, int] = {}
    for row in report.sent:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    counted = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
    lines.append(f"Messages that would have been sent: {len(report.sent)} ({counted}).")
    lines += [
        f"  {_local(row['at'])} {row['kind']:<10} {row['subject']}"
        for row in report.sent
        if row["kind"] != "reminder" and row["kind"] != "escalation"
    ]
    if report.refused:
        lines.append(f"Refused steps: {len(report.refused)}")
        lines += [f"  step {r['step']}: {r['do']}\n    -> {r['error']}" for r in report.refused]
    else:
        lines.append("No step was refused.")
    if out_dir:
        lines.append(f"Documents written to {out_dir}/ (rid, go-live paper, timeline.ics).")
    return "\n".join(lines)
