"""A document stored as an older version reads as a newer one: minors as is, majors by upcasters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from contracts import ContractRegistry, default_registry
from contracts.base import Contract, ContractId
from contracts.errors import ContractError
from contracts.money import Money
from contracts.person import PersonIdentity, PersonIdentityV1_1
from contracts.social_security import ContributionHistory, InsuredPeriod
from contracts.social_security_v2 import (
    ContributionHistoryV2,
    InsuredPeriodV2,
    contribution_history_1_to_2,
)
from contracts.upcasting import NoUpcastPathError, Upcaster, UpcasterError, upcaster

HISTORY = "social-security.contribution-history"
PERSON = PersonIdentity(
    national_id="19800101-1234",
    family_name="Doe",
    given_names="Jane",
    date_of_birth=dt.date(1980, 1, 1),
)
HISTORY_1_0 = ContributionHistory(
    person=PERSON,
    periods=[
        InsuredPeriod(
            employer_id="EMP-1",
            employer_name="Acme",
            start=dt.date(2010, 1, 1),
            end=dt.date(2019, 12, 31),
            contribution_base=Decimal("2500.50"),
            currency="EUR",
        ),
        InsuredPeriod(
            employer_id="EMP-2",
            employer_name="Beta",
            start=dt.date(2020, 1, 1),
            contribution_base=Decimal("0"),
            currency="SEK",
        ),
    ],
    as_of=dt.date(2024, 6, 30),
)


def test_a_history_stored_as_1_0_reads_as_2_0() -> None:
    """Each period's base and currency become a money object; the person becomes identity 1.1."""
    stored = HISTORY_1_0.model_dump(mode="json")  # as the ledger or a wire message holds it
    history = default_registry().read(stored, f"{HISTORY}@1.0", f"{HISTORY}@2.0")
    assert isinstance(history, ContributionHistoryV2)
    assert history.person == PersonIdentityV1_1(**PERSON.model_dump())
    assert history.periods == [
        InsuredPeriodV2(
            employer_id="EMP-1",
            employer_name="Acme",
            start=dt.date(2010, 1, 1),
            end=dt.date(2019, 12, 31),
            contribution=Money(amount=Decimal("2500.50"), currency="EUR"),
        ),
        InsuredPeriodV2(
            employer_id="EMP-2",
            employer_name="Beta",
            start=dt.date(2020, 1, 1),
            contribution=Money(amount=Decimal("0"), currency="SEK"),
        ),
    ]
    assert history.as_of == HISTORY_1_0.as_of


def test_upcast_returns_the_2_0_document() -> None:
    """upcast() gives the JSON-shaped document of the newer version."""
    document = default_registry().upcast(
        HISTORY_1_0.model_dump(mode="json"), f"{HISTORY}@1.0", f"{HISTORY}@2.0"
    )
    assert document["periods"][0]["contribution"] == {"amount": "2500.50", "currency": "EUR"}
    assert "contribution_base" not in document["periods"][0]
    assert document["person"]["preferred_language"] is None


def test_the_upcaster_function_alone_is_pure_document_surgery() -> None:
    """The declared upcaster turns a 1.0 document into a 2.0 document without touching input."""
    stored = HISTORY_1_0.model_dump(mode="json")
    before = repr(stored)
    upcast = contribution_history_1_to_2(stored)
    assert repr(stored) == before
    assert ContributionHistoryV2.model_validate(upcast).periods[1].contribution.currency == "SEK"


def test_a_minor_1_0_document_reads_as_1_1() -> None:
    """A minor reads its predecessors' documents as they are, new optional fields unset."""
    person = default_registry().read(
        PERSON.model_dump(mode="json"), "person.identity@1.0", "person.identity@1.1"
    )
    assert isinstance(person, PersonIdentityV1_1)
    assert (person.national_id, person.preferred_language, person.place_of_birth) == (
        "19800101-1234",
        None,
        None,
    )


def test_a_newer_minor_cannot_be_read_as_an_older_one() -> None:
    """1.1 may carry fields 1.0 does not know: refused, naming both ids."""
    document = {**PERSON.model_dump(mode="json"), "preferred_language": "sv"}
    with pytest.raises(NoUpcastPathError) as caught:
        default_registry().read(document, "person.identity@1.1", "person.identity@1.0")
    assert "person.identity@1.1" in str(caught.value) and "person.identity@1.0" in str(caught.value)
    assert caught.value.code == "no-upcast-path"


def test_no_downcasting_across_majors() -> None:
    """A 2.0 document is never read as 1.0."""
    with pytest.raises(
        NoUpcastPathError, match=rf"{HISTORY}@2\.0: cannot be read as {HISTORY}@1\.0"
    ):
        default_registry().read({}, f"{HISTORY}@2.0", f"{HISTORY}@1.0")


def test_different_contracts_have_no_path() -> None:
    """One contract is never read as another."""
    with pytest.raises(NoUpcastPathError, match="different contracts"):
        default_registry().read({}, "tax.clearance@1.0", "person.identity@1.0")


def test_an_invalid_stored_document_names_its_own_version_and_field() -> None:
    """The stored document is validated as what it claims to be before any upcasting."""
    stored = HISTORY_1_0.model_dump(mode="json")
    stored["periods"][0]["currency"] = "euro"
    with pytest.raises(ContractError) as caught:
        default_registry().read(stored, f"{HISTORY}@1.0", f"{HISTORY}@2.0")
    assert caught.value.contract == f"{HISTORY}@1.0"
    assert [issue.path for issue in caught.value.issues] == ["/periods/0/currency"]


# Test-only contracts across three majors, to show chaining and its failures.
class Reading(Contract):
    CONTRACT_ID: ClassVar[ContractId] = ContractId("test.reading", 1, 0)
    celsius: float


class ReadingV1_1(Contract):
    CONTRACT_ID: ClassVar[ContractId] = ContractId("test.reading", 1, 1)
    celsius: float
    station: str | None = None


class ReadingV2(Contract):
    CONTRACT_ID: ClassVar[ContractId] = ContractId("test.reading", 2, 0)
    kelvin: float


class ReadingV3(Contract):
    CONTRACT_ID: ClassVar[ContractId] = ContractId("test.reading", 3, 0)
    kelvin: float
    unit: str


@upcaster("test.reading@1.0", "test.reading@2.0")
def _reading_1_to_2(document: dict[str, Any]) -> dict[str, Any]:
    return {"kelvin": document["celsius"] + 273.15}


@upcaster("test.reading@2.0", "test.reading@3.0")
def _reading_2_to_3(document: dict[str, Any]) -> dict[str, Any]:
    return {**document, "unit": "K"}


def _readings(*upcasters: Upcaster) -> ContractRegistry:
    registry = ContractRegistry()
    for model in (Reading, ReadingV1_1, ReadingV2, ReadingV3):
        registry.register(model)
    for declared in upcasters:
        registry.register_upcaster(declared)
    return registry


def test_upcasters_chain_across_majors() -> None:
    """1.0 → 2.0 → 3.0 runs both upcasters in order."""
    registry = _readings(_reading_1_to_2, _reading_2_to_3)
    assert registry.read({"celsius": 0.0}, "test.reading@1.0", "test.reading@3.0") == ReadingV3(
        kelvin=273.15, unit="K"
    )


def test_a_missing_upcaster_names_both_ids_and_the_gap() -> None:
    """Without an upcaster out of major 2 there is no way from 1.0 to 3.0."""
    registry = _readings(_reading_1_to_2)
    with pytest.raises(NoUpcastPathError) as caught:
        registry.read({"celsius": 0.0}, "test.reading@1.0", "test.reading@3.0")
    message = str(caught.value)
    assert message.startswith("test.reading@1.0: cannot be read as test.reading@3.0")
    assert "no upcaster is declared from test.reading@2.x" in message
    assert (caught.value.source, caught.value.target) == (
        ContractId("test.reading", 1, 0),
        ContractId("test.reading", 3, 0),
    )


def test_an_upcaster_reads_only_up_to_its_source_minor() -> None:
    """An upcaster written for 1.0 is not handed a 1.1 document it may not understand."""
    registry = _readings(_reading_1_to_2)
    with pytest.raises(
        NoUpcastPathError, match=r"reads test\.reading@1\.0, not test\.reading@1\.1"
    ):
        registry.read({"celsius": 1.0}, "test.reading@1.1", "test.reading@2.0")


def test_a_faulty_upcaster_is_named() -> None:
    """An upcaster whose output does not satisfy its target is reported by name."""
    faulty = Upcaster(ReadingV2.CONTRACT_ID, ReadingV3.CONTRACT_ID, lambda document: document)
    registry = _readings(_reading_1_to_2, faulty)
    with pytest.raises(UpcasterError, match=r"upcaster <lambda> from test\.reading@2\.0") as caught:
        registry.read({"kelvin": 1.0}, "test.reading@2.0", "test.reading@3.0")
    assert [issue.field for issue in caught.value.issues] == ["unit"]


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("test.reading@1.0", "test.reading@3.0"),
        ("test.reading@2.0", "test.reading@1.0"),
        ("test.reading@1.0", "other.reading@2.0"),
    ],
)
def test_an_upcaster_goes_one_major_forward(source: str, target: str) -> None:
    """Declaring an upcaster that skips, goes back or changes contract is refused."""
    with pytest.raises(UpcasterError, match="one major to the next"):
        upcaster(source, target)(dict)
