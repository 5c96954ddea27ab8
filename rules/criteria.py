"""The default acceptance criteria of a System release: the June 2020 RID's 10 operational and
7 testing criteria (SPEC section 5.3). A release may edit them before its RID is frozen."""

from __future__ import annotations

OPERATIONAL = (
    "The DCC has brought to readiness all the new and changed components needed to provide the "
    "new services. This will include completing the service design and proving the service "
    "operations capability.",
    "The DCC has demonstrated that all pre-existing services will be stable in the run-up to "
    "deployment of the release.",
    "The DCC has proven that the new services can be operated alongside, and integrated with, "
    "the existing services.",
    "The DCC has assessed the risk posed by existing problems and defects in the existing live "
    "service, and the implications these will have for the revised service.",
    "The DCC has assessed and addressed the impact on Users arising from any issues, defects or "
    "workarounds within the new services.",
    "The DCC has demonstrated that lessons learnt from previous SEC Releases and other DCC "
    "changes have been taken on board.",
    "The DCC has demonstrated there will be no detrimental impact on consumers' experience.",
    "The DCC has completed assurance of the Business Continuity and Disaster Recovery processes.",
    "SECAS will be ready to implement the approved changes to the SEC on the agreed "
    "implementation date.",
    "SECAS has brought to readiness all the new and changed components that it is responsible "
    "for that are needed to support the new services.",
)

TESTING = (
    "The DCC has developed the coding for each approved change and confirmed it will be able to "
    "deploy this to the production environment on the agreed implementation date.",
    "The DCC has completed and closed each test phase against the agreed exit criteria "
    "specified in the TAD.",
    "The DCC has successfully completed regression testing.",
    "The DCC has allowed adequate opportunity for Users to test the changes prior to deployment.",
    "The DCC has confirmed that there are no Severity 1 or 2 defects outstanding that would be "
    "deployed to the live environment.",
    "The DCC has produced a clear resolution plan for any outstanding Severity 3, 4 or 5 defects "
    "and that the number of remaining testing issues is within the agreed threshold figures "
    "specified in the TAD.",
    "The DCC has demonstrated that the SIT and UIT test environments were aligned to the "
    "solution being deployed to the production environment; if there were any differences, "
    "these were identified and the risks these posed demonstrably managed.",
)


def default_criteria() -> list[tuple[str, str, str]]:
    """(key, group, text) of the default criteria: op-1..op-10, then test-1..test-7."""
    ops = [(f"op-{i}", "operational", text) for i, text in enumerate(OPERATIONAL, 1)]
    tests = [(f"test-{i}", "testing", text) for i, text in enumerate(TESTING, 1)]
    return ops + tests
