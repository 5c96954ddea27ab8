"""Who may do what (SPEC section 6): deny by default.

Every command names its actor, a role and a name. A command not in `ACTIONS`, or a role not
listed for it, is refused with a sentence that names the role(s) that may do it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rules.errors import Refused


class Role(StrEnum):
    """The parties of a SEC Release (SPEC section 1)."""

    SECAS = "SECAS"
    PANEL = "PANEL"
    DCC = "DCC"
    TAG = "TAG"
    OPSG = "OPSG"
    PARTY = "PARTY"
    AUTHORITY = "AUTHORITY"


ROLE_NAMES: dict[Role, str] = {
    Role.SECAS: "the Code Administrator (SECAS)",
    Role.PANEL: "the SEC Panel",
    Role.DCC: "the DCC",
    Role.TAG: "the Testing Advisory Group (TAG)",
    Role.OPSG: "the Operations Group (OPSG)",
    Role.PARTY: "a SEC Party",
    Role.AUTHORITY: "the Authority (Ofgem)",
}


@dataclass(frozen=True)
class ActionRule:
    """One command family entry: the roles allowed and what the action is, in words."""

    roles: frozenset[Role]
    what: str


def _rule(what: str, *roles: Role) -> ActionRule:
    return ActionRule(frozenset(roles), what)


S, P, D = Role.SECAS, Role.PANEL, Role.DCC
TAG, OPSG, PARTY, AUTH = Role.TAG, Role.OPSG, Role.PARTY, Role.AUTHORITY

# The action names are the CLI's command words; a variant that a different role performs gets
# its own name (e.g. `criterion waive` for PANEL beside `criterion set` for the DCC).
ACTIONS: dict[str, ActionRule] = {
    # SECAS: create releases, scope and RID drafts, notices, timetable, readiness.
    "release create": _rule("create a release", S),
    "cancel request": _rule("ask the Panel to cancel the release", S),
    "mod add": _rule("add a modification to the scope", S),
    "mod approve": _rule("record a modification's approval", S),
    "mod remove": _rule("remove a modification from the scope", S),
    "rid draft": _rule("issue a new RID draft", S),
    "notice send": _rule("send a notice to Parties", S),
    "timetable set": _rule("set a planned date in the RID timetable", S),
    # SECAS keeps the RID's criteria; the Panel may add its own (e.g. to a documentation release).
    "criterion define": _rule("define an acceptance criterion", S, P),
    "readiness confirm": _rule("confirm readiness of a documentation release", S),
    "golive sec-updated": _rule("confirm the SEC text was updated at go-live", S),
    # PANEL: decisions.
    "rid baseline": _rule("baseline the RID", P),
    "tad incorporate": _rule("incorporate the TAD into the RID", P),
    "sit approve": _rule("approve the SIT Completion Report", P),
    "uit approve": _rule("approve the UIT Completion Report", P),
    "vote": _rule("vote go/no-go", P),
    "waive": _rule("waive a deadline", P),
    "criterion waive": _rule("waive an acceptance criterion", P),
    "freeze add": _rule("record a change freeze", P),
    "redate request": _rule("request a revised go-live date", P),
    "auditor appoint": _rule("appoint an external auditor", P),
    "costs period": _rule("set how often the DCC reports spend", P),
    "release close": _rule("close the release", P),
    "release cancel": _rule("cancel the release", P),
    # DCC: builds and tests.
    "tad submit": _rule("submit the TAD", D),
    "tad consult": _rule("record the industry consultation on the TAD", D),
    "uit plan": _rule("plan the UIT window", D),
    "sit start": _rule("start SIT", D),
    "sit report": _rule("submit the SIT Completion Report", D),
    "uit start": _rule("start UIT", D),
    "uit close": _rule("close the UIT window", D),
    "uit report": _rule("submit the UIT Completion Report", D),
    "evidence submit": _rule("submit go-live evidence", D),
    "defects set": _rule("report defects and testing issues", D),
    "criterion set": _rule("mark an acceptance criterion met or not met", D),
    "risk add": _rule("record a residual risk", D),
    "costs quote": _rule("quote the DCC's total implementation cost", D),
    "costs forecast": _rule("give the Forecast Release Cost", D),
    "costs spend": _rule("give a spend update", D),
    "costs actual": _rule("give the actual cost report", D),
    "lessons submit": _rule("submit lessons learnt", D),
    "golive deployed": _rule("confirm deployment at go-live", D),
    # TAG and OPSG: recommendations.
    "tad review": _rule("review the TAD", TAG),
    "tad recommend": _rule("recommend on the TAD", TAG),
    "sit recommend": _rule("recommend on the SIT Completion Report", TAG),
    "uit recommend": _rule("recommend on the UIT Completion Report", TAG),
    "recommend TAG": _rule("give the TAG's go-live recommendation", TAG),
    "recommend OPSG": _rule("give the OPSG's go-live recommendation", OPSG),
    # Parties and the Authority.
    "appeal lodge": _rule("lodge an appeal", PARTY),
    "regression plans": _rule("file regression testing plans", PARTY),
    "regression results": _rule("file regression testing results", PARTY),
    "appeal determine": _rule("determine an appeal", AUTH),
    "redate approve": _rule("approve a revised go-live date", AUTH),
}


def parse_role(text: str) -> Role:
    """The role named by `text` (case-insensitive), or a refusal listing the roles."""
    try:
        return Role(text.strip().upper())
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise Refused(f"{text!r} is not a role; use one of {known}.") from None


def check_permission(action: str, role: Role) -> None:
    """Refuse unless `role` may perform `action`; the sentence names who may."""
    rule = ACTIONS.get(action)
    if rule is None:
        raise Refused(f"{action!r} is not a command this release knows.")
    if role in rule.roles:
        return
    allowed = " or ".join(sorted(r.value for r in rule.roles))
    raise Refused(f"Only {allowed} may {rule.what} (`{action}`); you acted as {role.value}.")


def allowed_roles(action: str) -> frozenset[Role]:
    """The roles that may perform `action` (empty for an unknown action)."""
    rule = ACTIONS.get(action)
    return rule.roles if rule else frozenset()
