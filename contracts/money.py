"""``common.money@1.0``: an amount of money in one currency."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import Field

from contracts.base import Contract, ContractId
from contracts.social_security import CurrencyCode


class Money(Contract):
    """A non-negative amount in one currency; the field holding it says what it is owed for."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("common.money", 1, 0)

    amount: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
    currency: CurrencyCode
