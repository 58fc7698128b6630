"""The subscriber's acknowledgement of one notification: the response contract."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from contracts.base import Contract, ContractId


class NotificationReceipt(Contract):
    """A subscriber received an issued record; ``reference`` is its own id for it."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("hub.notification-receipt", 1, 0)

    reference: Annotated[str, Field(min_length=1, max_length=200)]
