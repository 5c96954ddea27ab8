"""The lifecycle commands of CLI.md: each command line becomes one `schemas.commands` model.

Every command takes the release id first; repeatable flags may be given several times. The
parser only shapes the request; the rules (in the release's workflow) decide whether it stands.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from rules.release_calendar import ReleaseType
from starter.args import bounded_int, cost_line, gbp, iso_date, release_id
from starter.session import run_server_op

if TYPE_CHECKING:
    from starter.ops import Op

Sub = Any  # argparse's _SubParsersAction is private


def _leaf(
    sub: Sub, name: str, common: argparse.ArgumentParser, help: str, *, release: bool = True
) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = sub.add_parser(name, parents=[common], help=help, description=help)
    if release:
        p.add_argument(
            "release", metavar="ID", type=release_id, help="the release id, e.g. 2020-06"
        )
        p.add_argument(
            "--signal",
            action="store_true",
            help="send as a signal (fire-and-forget); a refusal lands in the audit trail",
        )
    p.set_defaults(handler=run_server_op)
    return p


def _group(sub: Sub, name: str, help: str) -> Sub:
    from starter.cli import Parser

    group = sub.add_parser(name, help=help, description=help)
    inner = group.add_subparsers(dest=f"{name}_command", metavar="ACTION", parser_class=Parser)
    inner.required = True
    return inner


def _cmd(model_name: str, /, **fields: Any) -> Any:
    """The command model `model_name` (imported when a command runs: offline ones stay fast)."""
    from schemas import commands

    model = getattr(commands, model_name)
    unknown = set(fields) - set(model.model_fields)
    if unknown:
        raise TypeError(f"{model_name} has no field(s) {sorted(unknown)}")
    return model(**fields)


def _act(p: argparse.ArgumentParser, build: Any) -> None:
    def make(args: argparse.Namespace) -> Op:
        from starter.ops import ActOp

        return ActOp(args.release, build(args), as_signal=args.signal)

    p.set_defaults(make_op=make)


def _create(args: argparse.Namespace) -> Op:
    from starter.ops import CreateOp

    kind = ReleaseType(args.type) if args.type else None
    return CreateOp(args.release, args.go_live, kind, args.ad_hoc)


def _freeze(args: argparse.Namespace) -> Op:
    from starter.ops import FreezeOp

    return FreezeOp(args.start, args.end, args.reason)


def _either(
    p: argparse.ArgumentParser,
    dest: str,
    yes: str,
    no: str,
    *,
    required: bool = True,
    default: bool | None = None,
) -> None:
    group = p.add_mutually_exclusive_group(required=required)
    group.add_argument(yes, dest=dest, action="store_true")
    group.add_argument(no, dest=dest, action="store_false")
    if default is not None:
        p.set_defaults(**{dest: default})


def register(sub: Sub, common: argparse.ArgumentParser) -> None:
    _release(sub, common)
    _scope(sub, common)
    _rid(sub, common)
    _testing(sub, common)
    _decisions(sub, common)
    _costs(sub, common)


def _release(sub: Sub, common: argparse.ArgumentParser) -> None:
    group = _group(sub, "release", "create, close or cancel a release")
    p = _leaf(group, "create", common, "create a release (SECAS)", release=False)
    p.add_argument("release", metavar="ID", help="YYYY-MM (scheduled) or YYYY-MM-DD (ad hoc)")
    p.add_argument(
        "--go-live",
        type=iso_date,
        metavar="DATE",
        help="default: the calendar date of a scheduled id",
    )
    p.add_argument(
        "--type", choices=[t.value for t in ReleaseType], help="default: the calendar's type"
    )
    p.add_argument(
        "--ad-hoc", action="store_true", help="an ad hoc release (its id carries the day)"
    )
    p.set_defaults(make_op=_create)
    p = _leaf(group, "cancel-request", common, "ask the Panel to cancel the release (SECAS)")
    p.add_argument("--reason", required=True)
    _act(p, lambda a: _cmd("CancelRequest", reason=a.reason))
    for name, kind in (("close", "release_close"), ("cancel", "release_cancel")):
        p = _leaf(group, name, common, f"{name} the release (PANEL)")
        p.add_argument("--reason", default="")
        _act(p, lambda a, kind=kind: _cmd("ReleaseEnd", kind=kind, reason=a.reason))

    group = _group(sub, "freeze", "Panel-wide change freezes")
    p = _leaf(
        group,
        "add",
        common,
        "record a change freeze (PANEL; not tied to one release)",
        release=False,
    )
    p.add_argument("--from", dest="start", type=iso_date, required=True, metavar="DATE")
    p.add_argument("--to", dest="end", type=iso_date, required=True, metavar="DATE")
    p.add_argument("--reason", required=True)
    p.set_defaults(make_op=_freeze)


def _scope(sub: Sub, common: argparse.ArgumentParser) -> None:
    group = _group(sub, "mod", "the modifications in scope (SECAS)")
    p = _leaf(group, "add", common, "add a modification to the scope")
    p.add_argument("mod", metavar="MOD", help="e.g. SECMP0062 or MP079")
    p.add_argument("--title", required=True)
    _either(p, "system", "--system", "--docs-only")
    status = p.add_mutually_exclusive_group()
    status.add_argument(
        "--targeted", action="store_true", help="targeted, not yet approved (the default)"
    )
    status.add_argument("--approved-on", type=iso_date, metavar="DATE")
    p.add_argument(
        "--impact",
        action="append",
        default=[],
        metavar="CATEGORY",
        help='Suppliers, "Electricity Networks", "Gas Networks", "Other SEC Parties", DCC',
    )
    p.add_argument(
        "--document", action="append", default=[], metavar="NAME", help='e.g. "Section H"'
    )
    p.add_argument("--cost", action="append", default=[], type=cost_line, metavar="LINE=GBP")
    p.add_argument("--rationale", help="the Panel's rationale (needed after the scope cut-off)")
    p.add_argument("--decision-by", type=iso_date, metavar="DATE")
    p.add_argument("--fall-back", type=iso_date, metavar="DATE")
    _act(
        p,
        lambda a: _cmd(
            "ModAdd",
            mod=a.mod,
            title=a.title,
            system=a.system,
            approved_on=a.approved_on,
            impacts=a.impact,
            documents=a.document,
            costs=dict(a.cost),
            rationale=a.rationale,
            decision_by=a.decision_by,
            fall_back=a.fall_back,
        ),
    )
    p = _leaf(group, "approve", common, "record a modification's approval")
    p.add_argument("mod", metavar="MOD")
    p.add_argument("--on", type=iso_date, required=True, metavar="DATE")
    _act(p, lambda a: _cmd("ModApprove", mod=a.mod, on=a.on))
    p = _leaf(group, "remove", common, "remove a modification from the scope")
    p.add_argument("mod", metavar="MOD")
    p.add_argument("--reason", required=True)
    _act(p, lambda a: _cmd("ModRemove", mod=a.mod, reason=a.reason))

    group = _group(sub, "notice", "notices to Parties (SECAS)")
    p = _leaf(group, "send", common, "send a notice: approval, 12m, 6m or 1m")
    p.add_argument("--kind", choices=["approval", "12m", "6m", "1m"], required=True)
    p.add_argument("--mod", metavar="MOD", help="the approved modification (approval notices)")
    _act(p, lambda a: _cmd("NoticeSend", notice=a.kind, mod=a.mod))

    group = _group(sub, "timetable", "the RID's planned timetable (SECAS)")
    p = _leaf(group, "set", common, "plan a timetable event")
    p.add_argument("event", metavar="EVENT", help="e.g. baseline_system, uit_report, vote, go_live")
    p.add_argument("--on", type=iso_date, required=True, metavar="DATE")
    _act(p, lambda a: _cmd("TimetableSet", event=a.event, on=a.on))

    group = _group(sub, "criterion", "acceptance criteria")
    p = _leaf(group, "set", common, "mark a criterion met/not met (DCC) or waive it (PANEL)")
    p.add_argument("key", metavar="KEY", help="op-1..op-10, test-1..test-7, or a defined key")
    mark = p.add_mutually_exclusive_group(required=True)
    mark.add_argument("--met", dest="status", action="store_const", const="met")
    mark.add_argument("--not-met", dest="status", action="store_const", const="not_met")
    mark.add_argument("--waived", dest="status", action="store_const", const="waived")
    p.add_argument("--evidence", metavar="REF")
    p.add_argument("--reason", help="why it is waived (PANEL)")
    _act(
        p,
        lambda a: _cmd(
            "CriterionSet", key=a.key, status=a.status, evidence=a.evidence, reason=a.reason
        ),
    )
    p = _leaf(group, "define", common, "add or reword a criterion (SECAS, or PANEL)")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--text", required=True)
    p.add_argument("--group", choices=["operational", "testing", "panel"], default="panel")
    _act(p, lambda a: _cmd("CriterionDefine", key=a.key, text=a.text, group=a.group))

    group = _group(sub, "readiness", "readiness of a documentation release (SECAS)")
    p = _leaf(group, "confirm", common, "confirm a documentation release is ready for the vote")
    _act(
        p,
        lambda a: _cmd(
            "ReadinessConfirm",
        ),
    )


def _rid(sub: Sub, common: argparse.ArgumentParser) -> None:
    group = _group(sub, "rid", "the Release Implementation Document")
    p = _leaf(group, "draft", common, "issue a new RID draft (SECAS; a minor version)")
    p.add_argument("--note", default="")
    _act(p, lambda a: _cmd("RidDraft", note=a.note))
    p = _leaf(group, "baseline", common, "baseline the RID (PANEL; the next integer version)")
    p.add_argument(
        "--published-on",
        type=iso_date,
        metavar="DATE",
        help="default: today; starts the appeal window",
    )
    p.add_argument(
        "--scope", choices=["system", "documentation", "full"], help="what the baseline covers"
    )
    p.add_argument("--note", default="")
    _act(p, lambda a: _cmd("RidBaseline", published_on=a.published_on, scope=a.scope, note=a.note))


def _testing(sub: Sub, common: argparse.ArgumentParser) -> None:
    group = _group(sub, "tad", "the Testing Approach Document")
    p = _leaf(group, "submit", common, "submit the draft TAD, or an updated one (DCC)")
    p.add_argument("--doc", required=True, metavar="REF")
    p.add_argument("--updated", action="store_true")
    _act(p, lambda a: _cmd("TadSubmit", doc=a.doc, updated=a.updated))
    p = _leaf(group, "review", common, "the TAG's comments on the draft TAD")
    p.add_argument("--comments", required=True)
    _act(p, lambda a: _cmd("TadReview", comments=a.comments))
    p = _leaf(group, "consult", common, "the DCC's industry consultation on the TAD")
    p.add_argument("--from", dest="start", type=iso_date, required=True, metavar="DATE")
    p.add_argument("--to", dest="end", type=iso_date, required=True, metavar="DATE")
    _act(p, lambda a: _cmd("TadConsult", start=a.start, end=a.end))
    p = _leaf(group, "recommend", common, "the TAG's recommendation on the updated TAD")
    _either(p, "suitable", "--suitable", "--not-suitable")
    p.add_argument("--comments", default="")
    _act(p, lambda a: _cmd("TadRecommend", suitable=a.suitable, comments=a.comments))
    p = _leaf(group, "incorporate", common, "incorporate the TAD into the RID (PANEL)")
    _act(
        p,
        lambda a: _cmd(
            "TadIncorporate",
        ),
    )

    for phase in ("sit", "uit"):
        group = _group(sub, phase, f"{phase.upper()} events and reports")
        if phase == "uit":
            p = _leaf(
                group, "plan", common, "plan the UIT window (DCC; dates the regression deadlines)"
            )
            p.add_argument("--start", type=iso_date, required=True, metavar="DATE")
            p.add_argument("--end", type=iso_date, required=True, metavar="DATE")
            _act(p, lambda a: _cmd("UitPlan", start=a.start, end=a.end))
            p = _leaf(group, "close", common, "the UIT window closes (DCC)")
            _act(
                p,
                lambda a: _cmd(
                    "UitClose",
                ),
            )
        p = _leaf(group, "start", common, f"start {phase.upper()} (DCC)")
        p.add_argument("--planned-end", type=iso_date, metavar="DATE")
        _act(p, lambda a, k=f"{phase}_start": _cmd("PhaseStart", kind=k, planned_end=a.planned_end))
        p = _leaf(group, "report", common, f"submit the {phase.upper()} Completion Report (DCC)")
        p.add_argument("--doc", required=True, metavar="REF")
        _act(p, lambda a, k=f"{phase}_report": _cmd("PhaseReport", kind=k, doc=a.doc))
        p = _leaf(
            group, "recommend", common, f"the TAG's recommendation on the {phase.upper()} report"
        )
        _either(p, "approve", "--approve", "--reject")
        p.add_argument("--comments", required=True)
        _act(
            p,
            lambda a, k=f"{phase}_recommend": _cmd(
                "PhaseRecommend", kind=k, approve=a.approve, comments=a.comments
            ),
        )
        p = _leaf(
            group, "approve", common, f"approve the {phase.upper()} Completion Report (PANEL)"
        )
        _act(p, lambda a, k=f"{phase}_approve": _cmd("PhaseApprove", kind=k))

    group = _group(sub, "regression", "regression testing by test participants (PARTY)")
    for name in ("plans", "results"):
        p = _leaf(group, name, common, f"file regression testing {name}")
        p.add_argument("--doc", required=True, metavar="REF")
        _act(p, lambda a, k=f"regression_{name}": _cmd("Regression", kind=k, doc=a.doc))

    group = _group(sub, "evidence", "go-live evidence (DCC)")
    p = _leaf(group, "submit", common, "submit testing or operational evidence")
    p.add_argument("--kind", choices=["testing", "operational"], required=True)
    p.add_argument("--doc", required=True, metavar="REF")
    _act(p, lambda a: _cmd("EvidenceSubmit", evidence=a.kind, doc=a.doc))

    p = _leaf(sub, "recommend", common, "a go-live recommendation (TAG or OPSG)")
    p.add_argument("--group", choices=["TAG", "OPSG"], required=True, type=str.upper)
    _either(p, "go", "--go", "--no-go")
    p.add_argument("--comments", required=True)
    _act(p, lambda a: _cmd("Recommend", group=a.group, go=a.go, comments=a.comments))

    group = _group(sub, "defects", "defects and testing issues (DCC)")
    p = _leaf(group, "set", common, "report open defects by severity and testing issues")
    for i in range(1, 6):
        p.add_argument(f"--sev{i}", type=bounded_int(0, 100_000, "defects"), default=0, metavar="N")
    p.add_argument("--resolution-plan", metavar="REF")
    p.add_argument("--testing-issues", type=bounded_int(0, 100_000, "testing issues"), metavar="N")
    p.add_argument("--threshold", type=bounded_int(0, 100_000, "testing issues"), metavar="N")
    _act(
        p,
        lambda a: _cmd(
            "DefectsSet",
            sev1=a.sev1,
            sev2=a.sev2,
            sev3=a.sev3,
            sev4=a.sev4,
            sev5=a.sev5,
            resolution_plan=a.resolution_plan,
            testing_issues=a.testing_issues,
            threshold=a.threshold,
        ),
    )

    group = _group(sub, "risk", "residual risks (DCC)")
    p = _leaf(group, "add", common, "record a residual risk")
    p.add_argument("--risk", required=True)
    p.add_argument("--mitigation", required=True)
    p.add_argument("--view", default="", help="the sub-committees' view")
    _act(p, lambda a: _cmd("RiskAdd", risk=a.risk, mitigation=a.mitigation, view=a.view))


def _decisions(sub: Sub, common: argparse.ArgumentParser) -> None:
    p = _leaf(sub, "vote", common, "the Panel's go/no-go vote")
    p.add_argument("decision", choices=["go", "no-go"])
    p.add_argument("--reason", default="", help="required for no-go")
    _act(p, lambda a: _cmd("VoteCast", go=a.decision == "go", reason=a.reason))

    group = _group(sub, "redate", "revised go-live dates")
    p = _leaf(group, "request", common, "request a new go-live date, or one modification's (PANEL)")
    p.add_argument("--go-live", type=iso_date, required=True, metavar="DATE")
    p.add_argument("--reason", required=True)
    p.add_argument(
        "--mod", metavar="MOD", help="revise this modification's implementation date instead"
    )
    _act(p, lambda a: _cmd("RedateRequest", go_live=a.go_live, reason=a.reason, mod=a.mod))
    p = _leaf(group, "approve", common, "approve the requested date (AUTHORITY)")
    _act(
        p,
        lambda a: _cmd(
            "RedateApprove",
        ),
    )

    p = _leaf(sub, "waive", common, "waive a deadline (PANEL)")
    p.add_argument("key", metavar="KEY", help="a deadline key, e.g. tad_to_tag")
    p.add_argument("--reason", required=True)
    _act(p, lambda a: _cmd("Waive", deadline=a.key, reason=a.reason))

    group = _group(sub, "auditor", "an external auditor (PANEL)")
    p = _leaf(group, "appoint", common, "appoint an external auditor")
    p.add_argument("--name", required=True)
    p.add_argument("--terms", required=True, metavar="REF")
    _act(p, lambda a: _cmd("AuditorAppoint", name=a.name, terms=a.terms))

    group = _group(sub, "appeal", "appeals against a RID approval")
    p = _leaf(group, "lodge", common, "lodge an appeal (PARTY; reasons required)")
    p.add_argument("--reasons", required=True)
    p.add_argument("--version", help="the RID version appealed (default: the open window)")
    _act(p, lambda a: _cmd("AppealLodge", reasons=a.reasons, version=a.version))
    p = _leaf(group, "determine", common, "determine a referred appeal (AUTHORITY)")
    _either(p, "upheld", "--upheld", "--overturned")
    p.add_argument("--notes", default="")
    p.add_argument("--version")
    _act(p, lambda a: _cmd("AppealDetermine", upheld=a.upheld, notes=a.notes, version=a.version))

    group = _group(sub, "golive", "go-live confirmations")
    p = _leaf(group, "confirm", common, "confirm deployment (DCC) or the SEC text update (SECAS)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--deployed", dest="what", action="store_const", const="deployed")
    what.add_argument("--sec-updated", dest="what", action="store_const", const="sec_updated")
    _act(p, lambda a: _cmd("GoLiveConfirm", what=a.what))

    group = _group(sub, "lessons", "lessons learnt (DCC)")
    p = _leaf(group, "submit", common, "submit lessons learnt")
    p.add_argument("--doc", required=True, metavar="REF")
    _act(p, lambda a: _cmd("LessonsSubmit", doc=a.doc))


def _costs(sub: Sub, common: argparse.ArgumentParser) -> None:
    group = _group(sub, "costs", "release costs")
    p = _leaf(group, "quote", common, "the DCC's quoted total (kept beside the computed sum)")
    p.add_argument("--total", type=gbp, required=True, metavar="GBP")
    _act(p, lambda a: _cmd("CostsQuote", total=a.total))
    for name in ("forecast", "spend", "actual"):
        p = _leaf(group, name, common, f"the DCC's {name} cost report")
        p.add_argument("--total", type=gbp, metavar="GBP")
        p.add_argument("--cost", action="append", default=[], type=cost_line, metavar="LINE=GBP")
        p.add_argument("--commentary", default="")
        _act(
            p,
            lambda a, k=f"costs_{name}": _cmd(
                "CostsReport", kind=k, total=a.total, lines=dict(a.cost), commentary=a.commentary
            ),
        )
    p = _leaf(group, "period", common, "how often the DCC reports spend (PANEL)")
    p.add_argument("--months", type=bounded_int(1, 12, "months"), required=True, metavar="N")
    _act(p, lambda a: _cmd("CostsPeriod", months=a.months))
