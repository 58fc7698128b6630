"""The contract registry finds versions by identity, knows the upcasters, and reads across them."""

from __future__ import annotations

from typing import ClassVar

import pytest

from contracts import ContractRegistry, UnknownContractError, default_registry
from contracts.base import Contract, ContractId, ContractIdError
from contracts.catalogue import SHIPPED, UPCASTERS
from contracts.errors import HubError
from contracts.person import PersonIdentity, PersonIdentityV1_1
from contracts.social_security import ContributionHistory
from contracts.social_security_v2 import ContributionHistoryV2, contribution_history_1_to_2
from contracts.upcasting import Upcaster, UpcasterError


class Note(Contract):
    """A test-only contract, version 1.0."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("test.note", 1, 0)

    text: str


class NoteV2(Contract):
    """A test-only contract, version 2.0."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("test.note", 2, 0)

    body: str


def _notes() -> ContractRegistry:
    registry = ContractRegistry()
    registry.register(Note)
    registry.register(NoteV2)
    return registry


def test_get_finds_an_exact_version() -> None:
    """get() returns the model registered under that exact identity, string or ContractId."""
    registry = default_registry()
    assert registry.get("person.identity@1.0") is PersonIdentity
    assert registry.get(ContractId("person.identity", 1, 1)) is PersonIdentityV1_1


def test_latest_is_the_newest_version_of_a_name() -> None:
    """latest() picks the highest major, then the highest minor."""
    registry = default_registry()
    assert registry.latest("person.identity") is PersonIdentityV1_1
    assert registry.latest("social-security.contribution-history") is ContributionHistoryV2


def test_unknown_contract_is_a_hub_error_listing_what_is_known() -> None:
    """An unregistered identity raises UnknownContractError (a HubError and a LookupError)."""
    with pytest.raises(UnknownContractError) as caught:
        default_registry().get("person.identity@9.0")
    assert isinstance(caught.value, HubError) and isinstance(caught.value, LookupError)
    assert caught.value.code == "unknown-contract"
    assert "person.identity@1.1" in caught.value.known
    assert "'person.identity@9.0'" in str(caught.value)


def test_latest_of_an_unknown_name_raises() -> None:
    """latest() of a name with no versions raises UnknownContractError."""
    with pytest.raises(UnknownContractError, match=r"no\.such"):
        default_registry().latest("no.such")


def test_a_malformed_identity_is_refused() -> None:
    """get() parses the identity and refuses text that is not name@MAJOR.MINOR."""
    with pytest.raises(ContractIdError, match=r"name@MAJOR\.MINOR"):
        default_registry().get("person.identity")


def test_iteration_is_sorted_by_identity_and_len_counts_versions() -> None:
    """Iterating yields every shipped model once, ordered by (name, major, minor)."""
    registry = default_registry()
    ids = [model.contract_id() for model in registry]
    assert ids == sorted(ids)
    assert set(registry) == set(SHIPPED)
    assert len(registry) == len(SHIPPED)


def test_registering_twice_is_idempotent_but_a_second_model_is_refused() -> None:
    """The same model may be registered again; another model under the same id may not."""
    registry = _notes()
    assert registry.register(Note) is Note

    class Impostor(Contract):
        CONTRACT_ID: ClassVar[ContractId] = ContractId("test.note", 1, 0)

    with pytest.raises(ValueError, match=r"test\.note@1\.0 is already registered as Note"):
        registry.register(Impostor)


def test_default_registry_is_fresh_on_each_call() -> None:
    """Registering into one default registry does not leak into the next."""
    registry = default_registry()
    registry.register(Note)
    assert "test.note@1.0" not in [str(model.contract_id()) for model in default_registry()]


def test_shipped_upcasters_are_registered_in_source_order() -> None:
    """The default registry knows every shipped upcaster, listed by source identity."""
    upcasters = default_registry().upcasters()
    assert set(upcasters) == set(UPCASTERS)
    assert [u.source for u in upcasters] == sorted(u.source for u in upcasters)
    assert contribution_history_1_to_2 in upcasters


def test_an_upcaster_needs_both_contracts_registered() -> None:
    """register_upcaster() refuses an upcaster whose source or target is unknown."""
    registry = ContractRegistry()
    registry.register(Note)
    with pytest.raises(UnknownContractError, match=r"test\.note@2\.0"):
        registry.register_upcaster(Upcaster(Note.CONTRACT_ID, NoteV2.CONTRACT_ID, dict))


def test_one_upcaster_per_major() -> None:
    """A second, different upcaster out of the same major is refused, naming the first."""
    registry = _notes()
    first = Upcaster(Note.CONTRACT_ID, NoteV2.CONTRACT_ID, lambda d: {"body": d["text"]})
    registry.register_upcaster(first)
    registry.register_upcaster(first)
    with pytest.raises(UpcasterError, match=r"test\.note@1\.x already upcasts through <lambda>"):
        registry.register_upcaster(Upcaster(Note.CONTRACT_ID, NoteV2.CONTRACT_ID, dict))


def test_read_validates_a_document_as_its_own_version() -> None:
    """read() with the same identity on both sides is plain validation into the model."""
    document = {
        "national_id": "19800101-1234",
        "family_name": "Doe",
        "given_names": "Jane",
        "date_of_birth": "1980-01-01",
    }
    person = default_registry().read(document, "person.identity@1.0", "person.identity@1.0")
    assert person == PersonIdentity(**document)


def test_existing_contracts_are_unchanged_by_the_new_versions() -> None:
    """1.0 keeps its 1.0 person and periods: new versions are new classes, not edits."""
    assert ContributionHistory.model_fields["person"].annotation is PersonIdentity
    assert list(PersonIdentity.model_fields) == [
        "national_id",
        "family_name",
        "given_names",
        "date_of_birth",
    ]
