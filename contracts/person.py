"""``person.identity@1.0``: who a record or a query is about."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar

from pydantic import Field

from contracts.base import Contract, ContractId

NationalId = Annotated[
    str,
    Field(
        pattern=r"^[A-Z0-9][A-Z0-9-]{4,18}[A-Z0-9]$",
        description="National identification number, upper-case letters, digits and dashes",
        examples=["19800101-1234"],
    ),
]


class PersonIdentity(Contract):
    """A natural person as the issuing administration knows them."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("person.identity", 1, 0)

    national_id: NationalId
    family_name: Annotated[str, Field(min_length=1, max_length=200)]
    given_names: Annotated[str, Field(min_length=1, max_length=200)]
    date_of_birth: dt.date
