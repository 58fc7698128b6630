"""The contracts this distribution ships, registered in one registry."""

from __future__ import annotations

from contracts.cases import CASE_CONTRACTS
from contracts.education import DiplomaVerification, DiplomaVerificationQuery
from contracts.money import Money
from contracts.person import PersonIdentity, PersonIdentityV1_1
from contracts.registry import ContractRegistry
from contracts.social_security import (
    ContributionHistory,
    ContributionHistoryQuery,
    InsuredPeriod,
)
from contracts.social_security_v2 import (
    ContributionHistoryV2,
    InsuredPeriodV2,
    contribution_history_1_to_2,
    insured_period_1_to_2,
)
from contracts.tax import TaxClearance, TaxClearanceQuery
from contracts.xroad_example import Hello, HelloQuery, RandomNumber, RandomNumberQuery

SHIPPED = (
    PersonIdentity,
    ContributionHistoryQuery,
    ContributionHistory,
    InsuredPeriod,
    PersonIdentityV1_1,
    Money,
    InsuredPeriodV2,
    ContributionHistoryV2,
    TaxClearanceQuery,
    TaxClearance,
    RandomNumberQuery, RandomNumber, HelloQuery, Hello,  # X-Road's example services
    DiplomaVerificationQuery, DiplomaVerification,  # documents as attachments
    *CASE_CONTRACTS,  # one-stop cases (contracts.cases)
)

# Each major's upcaster from the previous major (see contracts.upcasting).
UPCASTERS = (insured_period_1_to_2, contribution_history_1_to_2)


def default_registry() -> ContractRegistry:
    """A fresh registry holding every shipped contract (built on call, never at import)."""
    registry = ContractRegistry()
    for model in SHIPPED:
        registry.register(model)
    for upcaster in UPCASTERS:
        registry.register_upcaster(upcaster)
    return registry
