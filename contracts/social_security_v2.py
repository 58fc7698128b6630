"""``social-security.contribution-history@2.0`` and its periods, with upcasters from 1.x.

What changed from 1.0: each period's contribution base and currency became one
:class:`~contracts.money.Money` object, ``contribution``; the person became a
``person.identity@1.1``. A 1.0 document is read as 2.0 through the upcasters below.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar

from pydantic import Field

from contracts.base import Contract, ContractId
from contracts.money import Money
from contracts.person import PersonIdentityV1_1
from contracts.upcasting import Document, upcaster


class InsuredPeriodV2(Contract):
    """One period of insurance with one employer and the contribution base for it."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("social-security.insured-period", 2, 0)

    employer_id: Annotated[str, Field(min_length=1, max_length=40)]
    employer_name: Annotated[str, Field(min_length=1, max_length=200)]
    start: dt.date
    end: dt.date | None = Field(default=None, description="None while the period is open")
    contribution: Money


class ContributionHistoryV2(Contract):
    """A citizen's insured periods per employer, with contribution bases as money."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("social-security.contribution-history", 2, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "person.national_id"

    person: PersonIdentityV1_1
    periods: list[InsuredPeriodV2]
    as_of: dt.date


@upcaster("social-security.insured-period@1.0", "social-security.insured-period@2.0")
def insured_period_1_to_2(document: Document) -> Document:
    """The contribution base and its currency become one money object."""
    period = dict(document)
    amount, currency = period.pop("contribution_base"), period.pop("currency")
    return {**period, "contribution": {"amount": amount, "currency": currency}}


@upcaster("social-security.contribution-history@1.0", "social-security.contribution-history@2.0")
def contribution_history_1_to_2(document: Document) -> Document:
    """Each period is upcast; the person, an identity 1.0, is a valid identity 1.1 as it is."""
    periods = [insured_period_1_to_2(period) for period in document["periods"]]
    return {**document, "periods": periods}
