"""Issue 15's "Done when": a System release driven from creation to CLOSED by following `inbox`
alone, as each role in turn.

The driver knows nothing of the lifecycle. For each role it reads that role's inbox (the rows
`inbox --json` prints: the releases whose SecOwes names the role, then each release's owed rows
for it) and issues the command each row names, with plausible arguments from a small table (a
document reference, a favourable recommendation, GO). A refused command is not yet possible; when
nobody can do anything now, business time runs on to the next due date in anyone's inbox.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from temporalio.testing import WorkflowEnvironment

from rules.clock import london, london_today
from rules.errors import Refused
from schemas import commands as c
from schemas.base import Actor
from schemas.status import InboxRow
from starter.read_ops import inbox_rows
from starter.rehearsal import Rehearsal
from workflows import search

RELEASE = "2020-06"
GO_LIVE = date(2020, 6, 25)
CREATED = london(date(2019, 5, 9), 10)
ROLES = ("SECAS", "PANEL", "DCC", "TAG", "OPSG", "PARTY", "AUTHORITY")
ACTORS = {role: Actor.parse(f"{role}:Inbox Reader") for role in ROLES}
# The UIT window: before the go-live evidence is due (go-live - 6 weeks).
UIT = (GO_LIVE - timedelta(weeks=12), GO_LIVE - timedelta(weeks=8))
MAX_ROUNDS = 400


def command_for(row: InboxRow, today: date) -> c.Command:
    """The command an inbox row names, with plausible arguments (documents, favourable views)."""
    words = row.command
    if words.startswith("criterion set "):
        key = words.removeprefix("criterion set ")
        return c.CriterionSet(key=key, status="met", evidence=f"DCC-EVIDENCE-{key}")
    if words.startswith("notice send --kind approval --mod "):
        return c.NoticeSend(notice="approval", mod=words.rsplit(" ", 1)[1])
    if words.startswith("appeal determine --version "):
        return c.AppealDetermine(upheld=True, version=words.rsplit(" ", 1)[1])
    table: dict[str, c.Command] = {
        "rid baseline --scope system": c.RidBaseline(scope="system"),
        "rid baseline --scope full": c.RidBaseline(scope="full"),
        "rid baseline": c.RidBaseline(),
        "notice send --kind 12m": c.NoticeSend(notice="12m"),
        "notice send --kind 6m": c.NoticeSend(notice="6m"),
        "notice send --kind 1m": c.NoticeSend(notice="1m"),
        "tad submit": c.TadSubmit(doc="DCC-TAD-0.1"),
        "tad review": c.TadReview(comments="Say more about the UIT entry criteria."),
        "tad consult": c.TadConsult(start=today, end=today + timedelta(days=14)),
        "tad submit --updated": c.TadSubmit(doc="DCC-TAD-1.0", updated=True),
        "tad recommend": c.TadRecommend(suitable=True, comments="Suitable for use."),
        "tad incorporate": c.TadIncorporate(),
        "sit start": c.PhaseStart(kind="sit_start"),
        "sit report": c.PhaseReport(kind="sit_report", doc="DCC-SIT-CR"),
        "sit recommend": c.PhaseRecommend(kind="sit_recommend", approve=True, comments="Met."),
        "sit approve": c.PhaseApprove(kind="sit_approve"),
        "uit plan": c.UitPlan(start=UIT[0], end=UIT[1]),
        "uit start": c.PhaseStart(kind="uit_start"),
        "uit close": c.UitClose(),
        "uit report": c.PhaseReport(kind="uit_report", doc="DCC-UIT-CR"),
        "uit recommend": c.PhaseRecommend(kind="uit_recommend", approve=True, comments="Met."),
        "uit approve": c.PhaseApprove(kind="uit_approve"),
        "regression plans": c.Regression(kind="regression_plans", doc="SUPA-REG-PLAN"),
        "regression results": c.Regression(kind="regression_results", doc="SUPA-REG-RESULTS"),
        "evidence submit --kind testing": c.EvidenceSubmit(evidence="testing", doc="DCC-TEST-EV"),
        "evidence submit --kind operational": c.EvidenceSubmit(
            evidence="operational", doc="DCC-OPS-EV"
        ),
        "recommend --group TAG": c.Recommend(group="TAG", go=True, comments="May go live."),
        "recommend --group OPSG": c.Recommend(group="OPSG", go=True, comments="Ready."),
        "defects set": c.DefectsSet(testing_issues=0, threshold=10),
        "costs forecast": c.CostsReport(kind="costs_forecast", total=Decimal("1000000")),
        "costs spend": c.CostsReport(kind="costs_spend", total=Decimal("400000")),
        "costs actual": c.CostsReport(kind="costs_actual", total=Decimal("990000")),
        "vote": c.VoteCast(go=True),
        "golive confirm --deployed": c.GoLiveConfirm(what="deployed"),
        "golive confirm --sec-updated": c.GoLiveConfirm(what="sec_updated"),
        "lessons submit": c.LessonsSubmit(doc="DCC-LESSONS"),
        "redate approve": c.RedateApprove(),
        "release close": c.ReleaseEnd(kind="release_close"),
    }
    assert words in table, f"an inbox row names a command the driver does not know: {row}"
    return table[words]


async def inbox(r: Rehearsal, role: str) -> list[InboxRow]:
    """`inbox --json` as `role`: the release if its SecOwes names the role, then its rows.

    The time-skipping server has no visibility store to search, so the release's search
    attributes are read where `inbox` finds them, from its execution's description.
    """
    described = await r.deployment.handle(RELEASE).describe()
    owes = described.typed_search_attributes.get(search.OWES) or []
    return await inbox_rows(r.deployment, role, [RELEASE] if role in owes else [])


async def test_a_system_release_reaches_closed_by_following_the_inbox_alone(
    env: WorkflowEnvironment,
) -> None:
    async with Rehearsal(env, CREATED) as r:
        await r.deployment.create_release(
            RELEASE, actor=ACTORS["SECAS"], go_live=None, release_type=None, ad_hoc=False
        )
        r.release_ids.append(RELEASE)
        done: list[tuple[str, str]] = []
        for _ in range(MAX_ROUNDS):
            if (await r.deployment.status(RELEASE)).phase == "CLOSED":
                break
            today = london_today(await r.now())
            acted = False
            dues: list[date] = []
            for role in ROLES:
                rows = await inbox(r, role)
                dues += [row.due for row in rows if row.due is not None and row.due > today]
                for row in rows:
                    try:
                        await r.deployment.act(RELEASE, ACTORS[role], command_for(row, today))
                    except Refused:
                        continue  # not possible yet (e.g. GO while the gate is unmet)
                    done.append((role, row.command))
                    acted = True
                    break
            if not acted:
                target = min(dues, default=today + timedelta(days=7))
                await r.advance_to(london(target, 10))
        status = await r.deployment.status(RELEASE)

    assert status.phase == "CLOSED", (status.phase, done, status.owed)
    assert status.owed == []
    assert (status.deployed_on, status.sec_updated_on) == (GO_LIVE, GO_LIVE)
    assert status.closed_on is not None and status.closed_on >= status.early_life_ends  # type: ignore[operator]
    roles = {role for role, _ in done}
    assert roles >= {"SECAS", "PANEL", "DCC", "TAG", "OPSG", "PARTY"}
    commands = [command for _, command in done]
    for step in ("tad review", "sit recommend", "recommend --group OPSG", "vote"):
        assert step in commands, step
    assert commands[-1] == "release close"
