"""The contract base class and contract identities (``name@MAJOR.MINOR``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from contracts.errors import HubError

_ID = re.compile(r"^(?P<name>[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*)@(?P<major>\d+)\.(?P<minor>\d+)$")


class ContractIdError(HubError, ValueError):
    """Raised when a string is not a valid ``name@MAJOR.MINOR`` contract identity."""

    code = "bad-contract-id"
    status = 400


@dataclass(frozen=True, order=True)
class ContractId:
    """The identity of one contract version, e.g. ``person.identity@1.0``."""

    name: str
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> ContractId:
        match = _ID.match(text)
        if match is None:
            raise ContractIdError(
                f"{text!r} is not a contract identity; expected name@MAJOR.MINOR, "
                "e.g. person.identity@1.0"
            )
        return cls(match["name"], int(match["major"]), int(match["minor"]))

    def __str__(self) -> str:
        return f"{self.name}@{self.major}.{self.minor}"


class Contract(BaseModel):
    """Base of every contract model.

    Subclasses set ``CONTRACT_ID``. Contracts are strict about unknown fields so
    that a typo in a mapping or a client payload is an error, not silent loss.
    A contract about a person sets ``SUBJECT_FIELD`` to the dotted path of the
    field that identifies them (the data subject, e.g. ``person.national_id``);
    None declares that the contract carries no personal data.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    CONTRACT_ID: ClassVar[ContractId]
    SUBJECT_FIELD: ClassVar[str | None] = None

    @classmethod
    def contract_id(cls) -> ContractId:
        return cls.CONTRACT_ID
