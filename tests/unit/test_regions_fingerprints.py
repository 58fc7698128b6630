"""Contract-registry fingerprints, and how a receiver reads a peer's contract versions."""

from __future__ import annotations

from typing import ClassVar

import pytest

from contracts import ContractId, ContractRegistry, default_registry
from contracts.base import Contract
from contracts.person import PersonIdentity, PersonIdentityV1_1
from contracts.social_security import ContributionHistory, InsuredPeriod
from contracts.social_security_v2 import (
    ContributionHistoryV2,
    InsuredPeriodV2,
    contribution_history_1_to_2,
    insured_period_1_to_2,
)
from contracts.upcasting import Document, upcaster
from federation.errors import FingerprintError
from federation.fingerprints import (
    RegistryFingerprint,
    contract_fingerprint,
    readable_as,
    reading,
    registry_fingerprint,
)


class OtherPersonIdentity(Contract):
    """person.identity@1.0 with another schema (a region that diverged)."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("person.identity", 1, 0)
    national_id: str


class Licence(Contract):
    """test.licence@1.0."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("test.licence", 1, 0)
    number: str


class LicenceV1_1(Contract):
    """test.licence@1.1: adds an optional category."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("test.licence", 1, 1)
    number: str
    category: str | None = None


class LicenceV2(Contract):
    """test.licence@2.0: the number renamed."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("test.licence", 2, 0)
    licence_number: str
    category: str | None = None


@upcaster("test.licence@1.1", "test.licence@2.0")
def licence_1_to_2(document: Document) -> Document:
    return {"licence_number": document["number"], "category": document.get("category")}


def _registry(*models: type[Contract]) -> ContractRegistry:
    registry = ContractRegistry()
    for model in models:
        registry.register(model)
    return registry


def test_fingerprints_are_stable_and_cover_every_contract() -> None:
    """Two fresh registries of the same contracts have equal fingerprints, one per version."""
    first, second = registry_fingerprint(default_registry()), registry_fingerprint(
        default_registry())
    assert first == second
    assert first.digest.startswith("sha256:") and len(first.contracts) == len(default_registry())
    assert ["social-security.contribution-history@1.0",
            "social-security.contribution-history@2.0"] in [list(u) for u in first.upcasters]


def test_a_different_schema_under_the_same_id_has_another_fingerprint() -> None:
    """Same name and version, other schema: the fingerprints differ."""
    assert contract_fingerprint(PersonIdentity) != contract_fingerprint(OtherPersonIdentity)


def test_fingerprint_json_round_trips_and_checks_its_digest() -> None:
    """A fingerprint document reads back; an edited one is refused."""
    fingerprint = registry_fingerprint(default_registry())
    data = fingerprint.as_json()
    assert RegistryFingerprint.from_json(data) == fingerprint
    data["contracts"]["person.identity@1.0"] = "sha256:" + "0" * 64
    with pytest.raises(FingerprintError, match="does not match"):
        RegistryFingerprint.from_json(data)


def test_readable_as_the_version_itself_a_later_minor_or_through_upcasters() -> None:
    """Known versions read as themselves; unknown ones as a later minor or the upcast major."""
    minors_only = _registry(PersonIdentityV1_1)
    assert readable_as(minors_only, "person.identity@1.0") == ContractId("person.identity", 1, 1)
    assert readable_as(_registry(PersonIdentity), "person.identity@1.1") is None
    registry = _registry(InsuredPeriod, InsuredPeriodV2, ContributionHistory, ContributionHistoryV2)
    registry.register_upcaster(insured_period_1_to_2)
    registry.register_upcaster(contribution_history_1_to_2)
    target = readable_as(registry, "social-security.contribution-history@1.0")
    assert target == ContractId("social-security.contribution-history", 1, 0)
    assert readable_as(registry, "social-security.contribution-history@3.0") is None
    assert readable_as(registry, "tax.clearance@1.0") is None


def test_an_unknown_older_minor_is_read_through_the_upcaster() -> None:
    """A peer's test.licence@1.0, unknown here, is read as @2.0 via the 1.1 -> 2.0 upcaster."""
    registry = _registry(LicenceV1_1, LicenceV2)
    registry.register_upcaster(licence_1_to_2)
    assert readable_as(registry, "test.licence@1.0") == ContractId("test.licence", 2, 0)
    upcast = registry.read({"number": "L-1"}, "test.licence@1.1", "test.licence@2.0")
    assert upcast.model_dump() == {"licence_number": "L-1", "category": None}


def test_reading_refuses_a_version_whose_schema_differs_at_the_peer() -> None:
    """The same id with another schema at the issuer is not the same contract."""
    ours = _registry(PersonIdentity)
    theirs = registry_fingerprint(_registry(OtherPersonIdentity))
    result = reading(ours, registry_fingerprint(ours), theirs, "person.identity@1.0")
    assert result.read_as is None and "another schema" in result.detail


def test_reading_a_newer_minor_the_peer_published() -> None:
    """A 1.0 record from a peer reads here as 1.1 when only 1.1 is registered here."""
    ours = _registry(PersonIdentityV1_1)
    theirs = registry_fingerprint(_registry(PersonIdentity))
    result = reading(ours, registry_fingerprint(ours), theirs, "person.identity@1.0")
    assert result.read_as == ContractId("person.identity", 1, 1)


def test_reading_refuses_what_the_peer_did_not_publish() -> None:
    """A contract absent from the issuer's fingerprint is refused with that detail."""
    ours = _registry(PersonIdentity)
    result = reading(ours, registry_fingerprint(ours), registry_fingerprint(_registry()),
                     "person.identity@1.0")
    assert result.read_as is None and "does not list" in result.detail
