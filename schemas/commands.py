"""The lifecycle commands of SPEC section 5, each declared once, sent to a release as `act`.

A command's model is its one declaration: its `usages` say the words people type, who may issue
it and what it does (SPEC section 6); its fields carry their limits (`schemas.text`), their help
and, where the command line is not simply `--field-name VALUE`, how they are typed
(`schemas.declare`). The CLI, the permission table, refusal sentences and the CLI reference are
generated from these. Each command is a Workflow Update (validated, then applied) and also
accepted as a signal of the same name for fire-and-forget integrations.
"""

from __future__ import annotations

import functools
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union, get_args

from pydantic import Field

from schemas.base import Actor, Model
from schemas.declare import Arg, Choice, Hidden, Opt, Pairs, Switch, Usage
from schemas.seal import Seal
from schemas.state import DefectCounts
from schemas.text import MAX_LIST, IdText, Prose, RefText, TitleText, register_tags
from schemas.vocabulary import PARTY_CATEGORIES, CostLine, Role

S, P, D = Role.SECAS, Role.PANEL, Role.DCC
TAG, OPSG, PARTY, AUTH = Role.TAG, Role.OPSG, Role.PARTY, Role.AUTHORITY

# Money on the wire: bounded in digits, so `1E+999999` is refused before any arithmetic.
Money = Annotated[Decimal, Field(max_digits=24, allow_inf_nan=False)]
Costs = Annotated[
    dict[CostLine, Money],
    Pairs("--cost"),
    Field(
        description="LINE=GBP, repeatable; LINE: design_build_pit, sit, uit, implement_to_live, "
        "one_off_operational, ongoing_operational",
    ),
]
Doc = Annotated[RefText, Opt(metavar="REF"), Field(description="a document reference")]
ModId = Annotated[IdText, Arg("MOD"), Field(description="e.g. SECMP0062 or MP079")]
Reason = Annotated[Prose, Field(description="why, in a sentence")]

# The words of each group of commands, for `sec-release --help`.
GROUPS: dict[str, str] = {
    "release": "create, close or cancel a release",
    "freeze": "Panel-wide change freezes",
    "mod": "the modifications in scope (SECAS)",
    "notice": "notices to Parties (SECAS)",
    "timetable": "the RID's planned timetable (SECAS)",
    "criterion": "acceptance criteria",
    "readiness": "readiness of a documentation release (SECAS)",
    "rid": "the Release Implementation Document",
    "tad": "the Testing Approach Document",
    "sit": "SIT events and reports",
    "uit": "UIT events and reports",
    "regression": "regression testing by test participants (PARTY)",
    "evidence": "go-live evidence (DCC)",
    "defects": "defects and testing issues (DCC)",
    "risk": "residual risks (DCC)",
    "redate": "revised go-live dates",
    "auditor": "an external auditor (PANEL)",
    "appeal": "appeals against a RID approval",
    "golive": "go-live confirmations",
    "lessons": "lessons learnt (DCC)",
    "costs": "release costs",
}

# Commands that are not sent to one release's `act`, declared here for the permission table.
RELEASE_CREATE = Usage("release create", (S,), "create a release", release=False)
FREEZE_ADD = Usage(
    "freeze add", (P,), "record a change freeze (not tied to one release)", release=False
)


class Command(Model):
    """A lifecycle command: its model is its declaration (see `schemas.declare`)."""

    usages: ClassVar[tuple[Usage, ...]] = ()
    kind: str  # each command narrows it to its own literal(s)


# -- scope and the RID (SPEC 5.1) ------------------------------------------------------------------


class ModAdd(Command):
    usages = (Usage("mod add", (S,), "add a modification to the scope"),)
    kind: Annotated[Literal["mod_add"], Hidden()] = "mod_add"
    mod: ModId
    title: TitleText
    system: Annotated[bool, Switch("--system", "--docs-only")]
    approved_on: Annotated[
        date | None,
        Opt(unless=("--targeted", "targeted, not yet approved (the default)")),
        Field(description="the day it was approved"),
    ] = None
    impacts: Annotated[
        list[TitleText],
        Opt("--impact", metavar="CATEGORY", choices=PARTY_CATEGORIES),
        Field(
            max_length=MAX_LIST,
            description="repeatable; CATEGORY: " + ", ".join(PARTY_CATEGORIES),
        ),
    ] = Field(default_factory=list)
    documents: Annotated[
        list[RefText],
        Opt("--document", metavar="NAME"),
        Field(max_length=MAX_LIST, description='repeatable, e.g. "Section H"'),
    ] = Field(default_factory=list)
    costs: Costs = Field(default_factory=dict)
    rationale: Annotated[
        Prose | None, Field(description="the Panel's rationale (needed after the scope cut-off)")
    ] = None
    decision_by: date | None = None
    fall_back: date | None = None


class ModApprove(Command):
    usages = (Usage("mod approve", (S,), "record a modification's approval"),)
    kind: Annotated[Literal["mod_approve"], Hidden()] = "mod_approve"
    mod: ModId
    on: date


class ModRemove(Command):
    usages = (Usage("mod remove", (S,), "remove a modification from the scope"),)
    kind: Annotated[Literal["mod_remove"], Hidden()] = "mod_remove"
    mod: ModId
    reason: Reason


class RidDraft(Command):
    usages = (Usage("rid draft", (S,), "issue a new RID draft"),)
    kind: Annotated[Literal["rid_draft"], Hidden()] = "rid_draft"
    note: Prose = ""


class RidBaseline(Command):
    usages = (Usage("rid baseline", (P,), "baseline the RID"),)
    kind: Annotated[Literal["rid_baseline"], Hidden()] = "rid_baseline"
    published_on: Annotated[
        date | None, Field(description="default: today; starts the appeal window")
    ] = None
    scope: Annotated[
        Literal["system", "documentation", "full"] | None,
        Field(description="what the baseline covers"),
    ] = None
    note: Prose = ""


class NoticeSend(Command):
    usages = (Usage("notice send", (S,), "send a notice to Parties"),)
    kind: Annotated[Literal["notice_send"], Hidden()] = "notice_send"
    notice: Annotated[Literal["approval", "12m", "6m", "1m"], Opt("--kind")]
    mod: Annotated[
        IdText | None,
        Opt(metavar="MOD"),
        Field(description="the approved modification (approval notices)"),
    ] = None


class TimetableSet(Command):
    usages = (Usage("timetable set", (S,), "set a planned date in the RID timetable"),)
    kind: Annotated[Literal["timetable_set"], Hidden()] = "timetable_set"
    event: Annotated[
        IdText, Arg("EVENT"), Field(description="e.g. baseline_system, uit_report, vote, go_live")
    ]
    on: date


class CriterionDefine(Command):
    usages = (Usage("criterion define", (S, P), "define an acceptance criterion"),)
    kind: Annotated[Literal["criterion_define"], Hidden()] = "criterion_define"
    key: Annotated[IdText, Arg("KEY")]
    text: Prose
    group: Literal["operational", "testing", "panel"] = "panel"


class ReadinessConfirm(Command):
    usages = (
        Usage(
            "readiness confirm",
            (S,),
            "confirm readiness of a documentation release",
        ),
    )
    kind: Annotated[Literal["readiness_confirm"], Hidden()] = "readiness_confirm"


class CostsQuote(Command):
    usages = (Usage("costs quote", (D,), "quote the DCC's total implementation cost"),)
    kind: Annotated[Literal["costs_quote"], Hidden()] = "costs_quote"
    total: Annotated[Money, Field(description="kept beside the computed sum")]


# -- the TAD (SPEC 5.2) ---------------------------------------------------------------------------


class TadSubmit(Command):
    usages = (Usage("tad submit", (D,), "submit the TAD"),)
    kind: Annotated[Literal["tad_submit"], Hidden()] = "tad_submit"
    doc: Doc
    updated: Annotated[bool, Field(description="an updated TAD after the consultation")] = False


class TadReview(Command):
    usages = (Usage("tad review", (TAG,), "review the TAD"),)
    kind: Annotated[Literal["tad_review"], Hidden()] = "tad_review"
    comments: Prose


class TadConsult(Command):
    usages = (Usage("tad consult", (D,), "record the industry consultation on the TAD"),)
    kind: Annotated[Literal["tad_consult"], Hidden()] = "tad_consult"
    start: Annotated[date, Opt("--from")]
    end: Annotated[date, Opt("--to")]


class TadRecommend(Command):
    usages = (Usage("tad recommend", (TAG,), "recommend on the TAD"),)
    kind: Annotated[Literal["tad_recommend"], Hidden()] = "tad_recommend"
    suitable: Annotated[bool, Switch("--suitable", "--not-suitable")]
    comments: Prose = ""


class TadIncorporate(Command):
    usages = (Usage("tad incorporate", (P,), "incorporate the TAD into the RID"),)
    kind: Annotated[Literal["tad_incorporate"], Hidden()] = "tad_incorporate"


# -- testing (SPEC 5.3) -----------------------------------------------------------------------------


def _both(verb: str, roles: tuple[Role, ...], what: str, kind: str) -> tuple[Usage, ...]:
    """The SIT and the UIT usages of one model (`what` has {PHASE} for the phase's name)."""
    return tuple(
        Usage(f"{phase} {verb}", roles, what.format(PHASE=phase.upper()), kind=f"{phase}_{kind}")
        for phase in ("sit", "uit")
    )


class PhaseStart(Command):
    """`sit start` / `uit start`."""

    usages = _both("start", (D,), "start {PHASE}", "start")
    kind: Annotated[Literal["sit_start", "uit_start"], Hidden()]
    planned_end: date | None = None


class PhaseReport(Command):
    """`sit report` / `uit report`."""

    usages = _both("report", (D,), "submit the {PHASE} Completion Report", "report")
    kind: Annotated[Literal["sit_report", "uit_report"], Hidden()]
    doc: Doc


class PhaseRecommend(Command):
    """`sit recommend` / `uit recommend` (TAG)."""

    usages = _both("recommend", (TAG,), "recommend on the {PHASE} Completion Report", "recommend")
    kind: Annotated[Literal["sit_recommend", "uit_recommend"], Hidden()]
    approve: Annotated[bool, Switch("--approve", "--reject")]
    comments: Prose


class PhaseApprove(Command):
    """`sit approve` / `uit approve` (PANEL)."""

    usages = _both("approve", (P,), "approve the {PHASE} Completion Report", "approve")
    kind: Annotated[Literal["sit_approve", "uit_approve"], Hidden()]


class UitPlan(Command):
    usages = (Usage("uit plan", (D,), "plan the UIT window"),)
    kind: Annotated[Literal["uit_plan"], Hidden()] = "uit_plan"
    start: date
    end: date


class UitClose(Command):
    usages = (Usage("uit close", (D,), "close the UIT window"),)
    kind: Annotated[Literal["uit_close"], Hidden()] = "uit_close"


class Regression(Command):
    """`regression plans` / `regression results` (PARTY)."""

    usages = tuple(
        Usage(f"regression {n}", (PARTY,), f"file regression testing {n}", kind=f"regression_{n}")
        for n in ("plans", "results")
    )
    kind: Annotated[Literal["regression_plans", "regression_results"], Hidden()]
    doc: Doc


class EvidenceSubmit(Command):
    usages = (Usage("evidence submit", (D,), "submit go-live evidence"),)
    kind: Annotated[Literal["evidence_submit"], Hidden()] = "evidence_submit"
    evidence: Annotated[Literal["testing", "operational"], Opt("--kind")]
    doc: Doc


class Recommend(Command):
    usages = tuple(
        Usage(
            "recommend",
            (Role(group),),
            f"give the {group}'s go-live recommendation",
            when={"group": group},
            flags=f"--group {group}",
        )
        for group in ("TAG", "OPSG")
    )
    kind: Annotated[Literal["recommend"], Hidden()] = "recommend"
    group: Literal["TAG", "OPSG"]
    go: Annotated[bool, Switch("--go", "--no-go")]
    comments: Prose


class DefectsSet(Command, DefectCounts):
    usages = (Usage("defects set", (D,), "report open defects by severity and testing issues"),)
    kind: Annotated[Literal["defects_set"], Hidden()] = "defects_set"


class CriterionSet(Command):
    usages = (
        Usage("criterion set", (D,), "mark an acceptance criterion met or not met"),
        Usage(
            "criterion set",
            (P,),
            "waive an acceptance criterion",
            when={"status": "waived"},
            flags="--waived",
        ),
    )
    kind: Annotated[Literal["criterion_set"], Hidden()] = "criterion_set"
    key: Annotated[
        IdText, Arg("KEY"), Field(description="op-1..op-10, test-1..test-7, or a defined key")
    ]
    status: Annotated[
        Literal["met", "not_met", "waived"],
        Choice({"--met": "met", "--not-met": "not_met", "--waived": "waived"}),
    ]
    evidence: Annotated[RefText | None, Opt(metavar="REF")] = None
    reason: Annotated[Prose | None, Field(description="why it is waived (PANEL)")] = None


class RiskAdd(Command):
    usages = (Usage("risk add", (D,), "record a residual risk"),)
    kind: Annotated[Literal["risk_add"], Hidden()] = "risk_add"
    risk: Prose
    mitigation: Prose
    view: Annotated[Prose, Field(description="the sub-committees' view")] = ""


# -- costs ----------------------------------------------------------------------------------------


class CostsReport(Command):
    """`costs forecast` / `costs spend` / `costs actual` (DCC): a total or line items."""

    usages = (
        Usage("costs forecast", (D,), "give the Forecast Release Cost", kind="costs_forecast"),
        Usage("costs spend", (D,), "give a spend update", kind="costs_spend"),
        Usage("costs actual", (D,), "give the actual cost report", kind="costs_actual"),
    )
    kind: Annotated[Literal["costs_forecast", "costs_spend", "costs_actual"], Hidden()]
    total: Money | None = None
    lines: Costs = Field(default_factory=dict)
    commentary: Prose = ""


class CostsPeriod(Command):
    usages = (Usage("costs period", (P,), "set how often the DCC reports spend"),)
    kind: Annotated[Literal["costs_period"], Hidden()] = "costs_period"
    months: Annotated[int, Field(ge=1, le=12, description="months between spend updates")]


# -- go/no-go, re-dates and waivers (SPEC 5.3, 5.6) ---------------------------------------------


class VoteCast(Command):
    usages = (Usage("vote", (P,), "vote go/no-go"),)
    kind: Annotated[Literal["vote"], Hidden()] = "vote"
    go: Annotated[bool, Arg("DECISION", choices={"go": True, "no-go": False})]
    reason: Annotated[Prose, Field(description="required for no-go")] = ""


class RedateRequest(Command):
    usages = (Usage("redate request", (P,), "request a revised go-live date"),)
    kind: Annotated[Literal["redate_request"], Hidden()] = "redate_request"
    go_live: date
    reason: Reason
    mod: Annotated[
        IdText | None,
        Opt(metavar="MOD"),
        Field(description="revise this modification's implementation date instead"),
    ] = None


class RedateApprove(Command):
    usages = (Usage("redate approve", (AUTH,), "approve a revised go-live date"),)
    kind: Annotated[Literal["redate_approve"], Hidden()] = "redate_approve"


class CancelRequest(Command):
    """SECAS asks the Panel to cancel the release (the Panel decides: release cancel)."""

    usages = (Usage("release cancel-request", (S,), "ask the Panel to cancel the release"),)
    kind: Annotated[Literal["cancel_request"], Hidden()] = "cancel_request"
    reason: Reason


class Waive(Command):
    usages = (Usage("waive", (P,), "waive a deadline"),)
    kind: Annotated[Literal["waive"], Hidden()] = "waive"
    deadline: Annotated[IdText, Arg("KEY"), Field(description="a deadline key, e.g. tad_to_tag")]
    reason: Reason


class AuditorAppoint(Command):
    usages = (Usage("auditor appoint", (P,), "appoint an external auditor"),)
    kind: Annotated[Literal["auditor_appoint"], Hidden()] = "auditor_appoint"
    name: TitleText
    terms: Annotated[RefText, Opt(metavar="REF"), Field(description="the terms of reference")]


# -- appeals (SPEC 5.4) -------------------------------------------------------------------------


class AppealLodge(Command):
    usages = (Usage("appeal lodge", (PARTY,), "lodge an appeal"),)
    kind: Annotated[Literal["appeal_lodge"], Hidden()] = "appeal_lodge"
    reasons: Prose
    version: Annotated[
        IdText | None, Field(description="the RID version appealed (default: the open window)")
    ] = None


class AppealDetermine(Command):
    usages = (Usage("appeal determine", (AUTH,), "determine an appeal"),)
    kind: Annotated[Literal["appeal_determine"], Hidden()] = "appeal_determine"
    upheld: Annotated[bool, Switch("--upheld", "--overturned")]
    notes: Prose = ""
    version: Annotated[
        IdText | None, Field(description="default: the window referred to the Authority")
    ] = None


# -- go-live and closure (SPEC 5.3, 5.5) --------------------------------------------------------


class GoLiveConfirm(Command):
    usages = (
        Usage(
            "golive confirm",
            (D,),
            "confirm deployment at go-live",
            when={"what": "deployed"},
            flags="--deployed",
        ),
        Usage(
            "golive confirm",
            (S,),
            "confirm the SEC text was updated at go-live",
            when={"what": "sec_updated"},
            flags="--sec-updated",
        ),
    )
    kind: Annotated[Literal["golive_confirm"], Hidden()] = "golive_confirm"
    what: Annotated[
        Literal["deployed", "sec_updated"],
        Choice({"--deployed": "deployed", "--sec-updated": "sec_updated"}),
    ]


class LessonsSubmit(Command):
    usages = (Usage("lessons submit", (D,), "submit lessons learnt"),)
    kind: Annotated[Literal["lessons_submit"], Hidden()] = "lessons_submit"
    doc: Doc


class ReleaseEnd(Command):
    """`release close` / `release cancel` (PANEL)."""

    usages = (
        Usage("release close", (P,), "close the release", kind="release_close"),
        Usage("release cancel", (P,), "cancel the release", kind="release_cancel"),
    )
    kind: Annotated[Literal["release_close", "release_cancel"], Hidden()]
    reason: Prose = ""


# Every command: each subclass of `Command` above, in the order declared (the CLI's order too).
COMMANDS: tuple[type[Command], ...] = tuple(Command.__subclasses__())

if TYPE_CHECKING:
    AnyCommand = Command
else:
    # The message a release decodes: one of the commands, told apart by `kind`.
    AnyCommand = Annotated[Union[COMMANDS], Field(discriminator="kind")]  # noqa: UP007

register_tags(
    {kind for model in COMMANDS for kind in get_args(model.model_fields["kind"].annotation)}
)


def usage_of(command: Command) -> Usage:
    """How `command` was issued: the usage its kind and field values select."""
    values: dict[str, Any] = {name: getattr(command, name) for name in type(command).model_fields}
    usages = type(command).usages
    variants = [u for u in usages if u.when and u.matches(values)]
    if variants:
        return variants[0]
    return next(u for u in usages if not u.when and u.matches(values))


def all_usages() -> list[Usage]:
    """Every way of issuing a command, the non-release ones included (the permission table)."""
    return [RELEASE_CREATE, FREEZE_ADD] + [u for model in COMMANDS for u in model.usages]


class ActRequest(Model):
    """One command by one actor: the argument of the `act` update and signal."""

    actor: Actor
    command: AnyCommand
    # The front door's signature (ACCESS.md); a release started since signing requires it.
    seal: Seal | None = None

    def signed_body(self) -> dict[str, Any]:
        """What the seal's signature covers besides the seal itself."""
        return {
            "actor": self.actor.model_dump(mode="json"),
            "command": self.command.model_dump(mode="json"),
        }


class ActResult(Model):
    """What an accepted command changed, in a sentence, plus the release's phase after it."""

    summary: str
    phase: str
    rid_version: str


def typed(command: Command) -> str:
    """The command as a person types it, for the audit trail: `recommend --group TAG --go ...`.

    Only what was given (defaults left out); the release id and the actor are shown elsewhere.
    """
    usage = usage_of(command)
    parts = [usage.words]
    for name, marker, required, default in _shown_fields(type(command)):
        value = getattr(command, name)
        if not required and value == default:
            continue
        if isinstance(marker, Arg):
            if marker.choices:
                value = next(k for k, v in marker.choices.items() if v == value)
            parts.append(_shown(value))
        elif isinstance(marker, Switch):
            parts.append(marker.yes if value else marker.no)
        elif isinstance(marker, Choice):
            parts.append(next(k for k, v in marker.flags.items() if v == value))
        elif isinstance(marker, Pairs):
            parts += [f"{marker.flag} {line}={amount}" for line, amount in value.items()]
        else:
            flag = (marker.flag if isinstance(marker, Opt) else None) or (
                "--" + name.replace("_", "-")
            )
            if value is True:
                parts.append(flag)
            elif isinstance(value, list):
                parts += [f"{flag} {_shown(v)}" for v in value]
            else:
                parts.append(f"{flag} {_shown(value)}")
    return " ".join(parts)


@functools.cache
def _shown_fields(model: type[Command]) -> tuple[tuple[str, Any, bool, Any], ...]:
    """The fields `typed` may show, each with its marker, whether it is required and its
    default: worked out once per command type (pydantic's default lookup inspects the default
    factory's signature on every call, and `typed` runs twice for each command a release takes).
    The defaults are only compared with, never handed out, so sharing them is safe."""
    from schemas.declare import marker_of

    shown = []
    for name, info in model.model_fields.items():
        marker = marker_of(info.metadata)
        if name == "kind" or isinstance(marker, Hidden):
            continue
        required = info.is_required()
        default = None if required else info.get_default(call_default_factory=True)
        shown.append((name, marker, required, default))
    return tuple(shown)


def _shown(value: Any) -> str:
    text = str(value.value if hasattr(value, "value") else value)
    return f"'{text}'" if (" " in text or not text) else text
