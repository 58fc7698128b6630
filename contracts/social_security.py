"""Social-security contracts: a citizen's contribution history and the query for it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import Field, model_validator

from contracts.base import Contract, ContractId
from contracts.person import NationalId, PersonIdentity

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code")]


class ContributionHistoryQuery(Contract):
    """Ask for the insured periods of one person within a date range."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId(
        "social-security.contribution-history-query", 1, 0
    )
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    period_start: dt.date
    period_end: dt.date

    @model_validator(mode="after")
    def _check_range(self) -> ContributionHistoryQuery:
        if self.period_end < self.period_start:
            raise ValueError("period_end must not be before period_start")
        return self


class InsuredPeriod(Contract):
    """One period of insurance with one employer and its contribution base."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("social-security.insured-period", 1, 0)

    employer_id: Annotated[str, Field(min_length=1, max_length=40)]
    employer_name: Annotated[str, Field(min_length=1, max_length=200)]
    start: dt.date
    end: dt.date | None = Field(default=None, description="None while the period is open")
    contribution_base: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
    currency: CurrencyCode


class ContributionHistory(Contract):
    """A citizen's insured periods per employer, with contribution bases."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("social-security.contribution-history", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "person.national_id"

    person: PersonIdentity
    periods: list[InsuredPeriod]
    as_of: dt.date
