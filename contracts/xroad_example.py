"""Contracts of X-Road's example services (xrd4j's example adapter): a random number, a greeting.

They let the hub answer X-Road's own sample messages (``getRandom``,
``helloService``) end to end; neither carries personal data.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field

from contracts.base import Contract, ContractId


class RandomNumberQuery(Contract):
    """Ask for a random number (the query has no parameters)."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("xroad-example.random-query", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = None


class RandomNumber(Contract):
    """A random number."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("xroad-example.random", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = None

    number: int


class HelloQuery(Contract):
    """Ask to be greeted by name."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("xroad-example.hello-query", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = None

    name: Annotated[str, Field(min_length=1, max_length=200)]


class Hello(Contract):
    """A greeting."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("xroad-example.hello", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = None

    message: Annotated[str, Field(min_length=1, max_length=1000)]
