"""The contracts this distribution ships, registered in one registry."""

from __future__ import annotations

from contracts.person import PersonIdentity
from contracts.registry import ContractRegistry
from contracts.social_security import (
    ContributionHistory,
    ContributionHistoryQuery,
    InsuredPeriod,
)
from contracts.tax import TaxClearance, TaxClearanceQuery

SHIPPED = (
    PersonIdentity,
    ContributionHistoryQuery,
    ContributionHistory,
    InsuredPeriod,
    TaxClearanceQuery,
    TaxClearance,
)


def default_registry() -> ContractRegistry:
    """A fresh registry holding every shipped contract (built on call, never at import)."""
    registry = ContractRegistry()
    for model in SHIPPED:
        registry.register(model)
    return registry
