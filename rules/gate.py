"""The go/no-go gate (SPEC section 5.3): every unmet item, never only the first."""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.state import DefectCounts
from schemas.vocabulary import CriterionStatus, ReleaseType


@dataclass(frozen=True)
class GateFacts:
    """What the gate looks at, drawn from a release's state."""

    release_type: ReleaseType
    rid_baselined: bool
    rid_version: str = ""
    rid_changes: list[str] = field(default_factory=list)  # since the last baseline
    criteria: list[tuple[str, CriterionStatus]] = field(default_factory=list)
    defects: DefectCounts | None = None
    tad_incorporated: bool = False
    sit_approved: bool = False
    uit_approved: bool = False
    testing_evidence: bool = False
    operational_evidence: bool = False
    tag_recommendation: str | None = None
    opsg_recommendation: str | None = None
    readiness_confirmed: bool = False


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def go_no_go_gate(facts: GateFacts) -> list[str]:
    """The unmet items that stop a GO vote, each a phrase naming what would meet it."""
    unmet: list[str] = []
    if not facts.rid_baselined:
        unmet.append("the Panel has not baselined the RID (rid baseline)")
    elif facts.rid_changes:
        unmet.append(
            f"the RID as it stands (version {facts.rid_version}) is not baselined: "
            f"{'; '.join(facts.rid_changes)} since the last baseline (rid baseline)"
        )
    if facts.release_type is ReleaseType.DOCUMENTATION:
        if not facts.readiness_confirmed:
            unmet.append("SECAS has not confirmed readiness (readiness confirm)")
    else:
        unmet.extend(_system_items(facts))
    for key, status in facts.criteria:
        if status is CriterionStatus.NOT_MET:
            unmet.append(f"acceptance criterion {key} is neither met nor waived")
    return unmet


def _system_items(facts: GateFacts) -> list[str]:
    unmet: list[str] = []
    if not facts.tad_incorporated:
        unmet.append("the Panel has not incorporated the TAD into the RID (tad incorporate)")
    if not facts.sit_approved:
        unmet.append("the Panel has not approved the SIT Completion Report (sit approve)")
    if not facts.uit_approved:
        unmet.append("the Panel has not approved the UIT Completion Report (uit approve)")
    if not facts.testing_evidence:
        unmet.append(
            "the DCC has not submitted its testing evidence (evidence submit --kind testing)"
        )
    if not facts.operational_evidence:
        unmet.append(
            "the DCC has not submitted its operational evidence (evidence submit --kind operational)"
        )
    if facts.tag_recommendation is None:
        unmet.append("the TAG has not given its go-live recommendation (recommend --group TAG)")
    if facts.opsg_recommendation is None:
        unmet.append("the OPSG has not given its go-live recommendation (recommend --group OPSG)")
    unmet.extend(defect_items(facts.defects))
    return unmet


def defect_items(defects: DefectCounts | None) -> list[str]:
    """What the defect report leaves unmet: open Severity 1/2, unplanned 3-5, issues over threshold."""
    if defects is None:
        return ["the DCC has not reported defects and testing issues (defects set)"]
    unmet: list[str] = []
    if defects.sev1:
        unmet.append(
            f"{_plural(defects.sev1, 'Severity 1 defect is', 'Severity 1 defects are')} open"
        )
    if defects.sev2:
        unmet.append(
            f"{_plural(defects.sev2, 'Severity 2 defect is', 'Severity 2 defects are')} open"
        )
    lower = defects.sev3 + defects.sev4 + defects.sev5
    if lower and not defects.resolution_plan:
        unmet.append(
            f"{_plural(lower, 'Severity 3-5 defect has', 'Severity 3-5 defects have')} no "
            "resolution plan (defects set --resolution-plan REF)"
        )
    if defects.testing_issues is not None:
        if defects.threshold is None:
            unmet.append(
                "no testing-issue threshold from the TAD is recorded (defects set --threshold N)"
            )
        elif defects.testing_issues > defects.threshold:
            unmet.append(
                f"{defects.testing_issues} testing issues exceed the TAD threshold of {defects.threshold}"
            )
    return unmet
