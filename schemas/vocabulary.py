"""The words of the domain that every message uses: roles, release types, cost lines, criterion
states. They live here, in the one place both the rules and the workflows import, so the models
(`schemas`) import nothing of the rules (`rules` imports `schemas`, never the other way)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The parties of a SEC Release (SPEC section 1): every command names one."""

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


class ReleaseType(StrEnum):
    """A System release may touch DCC Systems; a Documentation release only SEC text."""

    SYSTEM = "system"
    DOCUMENTATION = "documentation"


class CostLine(StrEnum):
    """The DCC's cost lines, as the Release Management Policy breaks them down."""

    DESIGN_BUILD_PIT = "design_build_pit"
    SIT = "sit"
    UIT = "uit"
    IMPLEMENT_TO_LIVE = "implement_to_live"
    ONE_OFF_OPERATIONAL = "one_off_operational"
    ONGOING_OPERATIONAL = "ongoing_operational"


class CriterionStatus(StrEnum):
    """Where an acceptance criterion stands."""

    NOT_MET = "not_met"
    MET = "met"
    WAIVED = "waived"


# The Party Categories a modification may impact (the RID's impact matrix, in its order).
PARTY_CATEGORIES = ("Suppliers", "Electricity Networks", "Gas Networks", "Other SEC Parties", "DCC")
