"""The go/no-go gate lists every unmet item (SPEC section 5.3)."""

from rules.criteria import default_criteria
from rules.gate import GateFacts, go_no_go_gate
from schemas.state import DefectCounts
from schemas.vocabulary import CriterionStatus, ReleaseType

READY = GateFacts(
    release_type=ReleaseType.SYSTEM,
    rid_baselined=True,
    criteria=[(key, CriterionStatus.MET) for key, _, _ in default_criteria()],
    defects=DefectCounts(sev3=2, resolution_plan="DCC-RP-7", testing_issues=3, threshold=10),
    tad_incorporated=True,
    sit_approved=True,
    uit_approved=True,
    testing_evidence=True,
    operational_evidence=True,
    tag_recommendation="go",
    opsg_recommendation="go",
)


def test_a_ready_release_has_nothing_unmet() -> None:
    assert go_no_go_gate(READY) == []


def test_the_default_criteria_are_the_june_2020_rids_ten_and_seven() -> None:
    keys = [key for key, _, _ in default_criteria()]
    assert keys[:10] == [f"op-{i}" for i in range(1, 11)]
    assert keys[10:] == [f"test-{i}" for i in range(1, 8)]


def test_every_unmet_item_is_listed_not_only_the_first() -> None:
    facts = GateFacts(
        release_type=ReleaseType.SYSTEM,
        rid_baselined=True,
        criteria=[("op-1", CriterionStatus.MET), ("test-5", CriterionStatus.NOT_MET)],
        defects=DefectCounts(sev1=1, sev2=2, sev4=3, testing_issues=12, threshold=10),
        tad_incorporated=True,
        sit_approved=True,
    )
    assert go_no_go_gate(facts) == [
        "the Panel has not approved the UIT Completion Report (uit approve)",
        "the DCC has not submitted its testing evidence (evidence submit --kind testing)",
        "the DCC has not submitted its operational evidence (evidence submit --kind operational)",
        "the TAG has not given its go-live recommendation (recommend --group TAG)",
        "the OPSG has not given its go-live recommendation (recommend --group OPSG)",
        "1 Severity 1 defect is open",
        "2 Severity 2 defects are open",
        "3 Severity 3-5 defects have no resolution plan (defects set --resolution-plan REF)",
        "12 testing issues exceed the TAD threshold of 10",
        "acceptance criterion test-5 is neither met nor waived",
    ]


def test_waived_criteria_pass_and_missing_defect_reports_do_not() -> None:
    facts = GateFacts(
        release_type=ReleaseType.SYSTEM,
        rid_baselined=True,
        criteria=[("op-1", CriterionStatus.WAIVED)],
        tad_incorporated=True,
        sit_approved=True,
        uit_approved=True,
        testing_evidence=True,
        operational_evidence=True,
        tag_recommendation="no-go",
        opsg_recommendation="go",
    )
    assert go_no_go_gate(facts) == [
        "the DCC has not reported defects and testing issues (defects set)"
    ]


def test_a_documentation_release_needs_readiness_and_its_panel_criteria() -> None:
    facts = GateFacts(release_type=ReleaseType.DOCUMENTATION, rid_baselined=False)
    assert go_no_go_gate(facts) == [
        "the Panel has not baselined the RID (rid baseline)",
        "SECAS has not confirmed readiness (readiness confirm)",
    ]
    ready = GateFacts(
        release_type=ReleaseType.DOCUMENTATION, rid_baselined=True, readiness_confirmed=True
    )
    assert go_no_go_gate(ready) == []
