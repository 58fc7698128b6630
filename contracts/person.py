"""``person.identity``: who a record or a query is about (versions 1.0 and 1.1)."""

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
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    family_name: Annotated[str, Field(min_length=1, max_length=200)]
    given_names: Annotated[str, Field(min_length=1, max_length=200)]
    date_of_birth: dt.date


LanguageCode = Annotated[
    str, Field(pattern=r"^[a-z]{2}$", description="ISO 639-1 language code", examples=["fi"])
]


class PersonIdentityV1_1(Contract):
    """A natural person as the issuing administration knows them, with language and birthplace.

    A backward-compatible minor of ``person.identity@1.0``: every 1.0 document is a
    valid 1.1 document, because the two new fields are optional.
    """

    CONTRACT_ID: ClassVar[ContractId] = ContractId("person.identity", 1, 1)
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    family_name: Annotated[str, Field(min_length=1, max_length=200)]
    given_names: Annotated[str, Field(min_length=1, max_length=200)]
    date_of_birth: dt.date
    preferred_language: LanguageCode | None = Field(
        default=None, description="The language the person prefers to be addressed in"
    )
    place_of_birth: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="Place of birth as written in the population register"
    )
