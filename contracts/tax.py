"""Tax contracts: a tax clearance (is the taxpayer up to date?) and the query for it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field

from contracts.base import Contract, ContractId
from contracts.person import NationalId
from contracts.social_security import CurrencyCode


class TaxClearanceQuery(Contract):
    """Ask whether a taxpayer has settled their taxes for a tax year."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("tax.clearance-query", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    tax_year: Annotated[int, Field(ge=1900, le=2100)]


class ClearanceStatus(StrEnum):
    """Outcome of a tax clearance."""

    CLEARED = "cleared"
    OUTSTANDING = "outstanding"
    UNDER_REVIEW = "under-review"


class TaxClearance(Contract):
    """The tax administration's statement on one taxpayer for one tax year."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("tax.clearance", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    tax_year: Annotated[int, Field(ge=1900, le=2100)]
    status: ClearanceStatus
    outstanding_amount: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
    currency: CurrencyCode
    issued_on: dt.date
