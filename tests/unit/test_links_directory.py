"""The federated service directory, subjects, catalogues and the star of regions."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts import default_registry
from contracts.identity import ServiceId
from contracts.tax import TaxClearance, TaxClearanceQuery
from hub.adapters.peers import LinkError, star_settings, subjects
from hub.adapters.peers.catalogue_cache import CatalogueCache
from hub.adapters.peers.errors import CatalogueError
from hub.adapters.peers.messages import Catalogue, CatalogueEntry
from hub.errors import UnknownServiceError
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.service_layer.federation.catalogue import (
    REMOTE_ADAPTER,
    catalogue_of,
    remote_services,
    restore,
)
from hub.service_layer.federation.directory import FederatedDirectory
from hub.settings import HubSettings


def _service(region: str, department: str = "tax") -> ServiceDefinition:
    return ServiceDefinition(
        id=ServiceId(region, department, "tax-clearance"),
        request=TaxClearanceQuery,
        response=TaxClearance,
        operation="TaxClearance",
        adapter="json-mapping",
        endpoint="http://127.0.0.1:1",
    )


def _directory() -> FederatedDirectory:
    return FederatedDirectory("north", [_service("north")], ["south", "east", "north"])


def test_remote_services_are_found_but_not_listed() -> None:
    """Learnt services resolve by id; iteration (routes, WSDL) stays local."""
    directory = _directory()
    assert directory.peers == ("east", "south")
    assert directory.learn("south", [_service("south")])
    assert "south/tax/tax-clearance" in directory
    assert directory.get("south/tax/tax-clearance").id.region == "south"
    assert [str(s.id) for s in directory] == ["north/tax/tax-clearance"]
    assert directory.knows_peer("south") and not directory.knows_peer("east")


def test_an_unknown_remote_service_names_what_is_known() -> None:
    """A service no peer offers is an unknown service, listing local and remote ones."""
    directory = _directory()
    directory.learn("south", [_service("south")])
    with pytest.raises(UnknownServiceError, match="south/tax/tax-clearance"):
        directory.get("south/vehicles/registration")


def test_learning_again_replaces_and_counts_changes() -> None:
    """A catalogue learnt again replaces the peer's services; nothing new, no new generation."""
    directory = _directory()
    directory.learn("south", [_service("south")])
    generation = directory.generation
    assert not directory.learn("south", [_service("south")])
    assert directory.generation == generation
    assert directory.learn("south", [])
    assert directory.remote("south") == []
    # Retired, not forgotten: exchanges already routed to it must still reach the peer.
    assert directory.get("south/tax/tax-clearance").id.region == "south"


def test_a_cached_catalogue_routes_before_the_peer_answers() -> None:
    """Services read back from the cache are routable, but the peer is not yet 'learnt'."""
    directory = _directory()
    directory.learn("south", [_service("south")], answered=False)
    assert "south/tax/tax-clearance" in directory and not directory.knows_peer("south")


def test_a_catalogue_may_only_name_its_own_region() -> None:
    """A peer cannot slip in services of another region, nor can a stranger be learnt."""
    directory = _directory()
    with pytest.raises(CatalogueError, match="another region"):
        directory.learn("south", [_service("east")])
    with pytest.raises(CatalogueError, match="not a peer"):
        directory.learn("west", [])


def test_remote_exchanges_wait_in_the_regions_own_stream_apart_from_departments() -> None:
    """Remote delivery subjects are under hub.<region>.deliver but match no department filter."""
    directory = _directory()
    directory.learn("south", [_service("south")])
    subject = directory.delivery_subject(directory.get("south/tax/tax-clearance"))
    assert subject == "hub.north.deliver._peer.south.tax.tax-clearance"
    assert directory.peer_filter("south") == "hub.north.deliver._peer.south.>"
    assert not subject.startswith(directory.department_filter("tax")[:-1])


def test_query_subjects_parse_back_only_for_their_region() -> None:
    """fed.<region>.query.<department>.<service> round-trips; other regions' do not parse."""
    subject = subjects.query("south", "tax", "tax-clearance")
    assert subjects.parse_query(subject, "south") == ("tax", "tax-clearance")
    assert subjects.parse_query(subject, "north") is None
    assert subjects.parse_query("fed.south.query.tax", "south") is None


def test_a_catalogue_round_trips_and_skips_unknown_contracts() -> None:
    """A peer's catalogue becomes remote definitions; an unknown contract is left out."""
    directory = FederatedDirectory("south", [_service("south")], ["north"])
    catalogue = catalogue_of(directory)
    unknown = CatalogueEntry(id="south/vehicles/registration", request="vehicles.query@9.0",
                             response="vehicles.registration@9.0", operation="Registration")
    catalogue = Catalogue(region="south", services=[*catalogue.services, unknown])
    [service] = remote_services(catalogue, default_registry())
    assert (str(service.id), service.adapter) == ("south/tax/tax-clearance", REMOTE_ADAPTER)
    assert (service.request, service.response) == (TaxClearanceQuery, TaxClearance)
    assert service.endpoint == "nats:fed.south.query.tax.tax-clearance"


def test_a_star_puts_the_first_region_in_the_centre(tmp_path: Path) -> None:
    """The first region listens for leaf links, the others dial it; all federate with all."""
    north, south, east = star_settings(HubSettings(), ["north", "south", "east"], tmp_path,
                                       leaf_port=7422)
    assert (north.leaf_port, north.leaf_remotes) == (7422, [])
    assert (south.leaf_port, south.leaf_remotes) == (None, ["nats-leaf://127.0.0.1:7422"])
    assert east.peers == ["north", "south"] and east.data == tmp_path / "east"
    [alone] = star_settings(HubSettings(), ["north"], tmp_path)
    assert (alone.leaf_port, alone.leaf_remotes, alone.peers) == (None, [], [])
    with pytest.raises(LinkError):
        star_settings(HubSettings(), ["north", "north"], tmp_path)


def test_the_last_catalogue_is_cached_and_restored(tmp_path: Path) -> None:
    """A peer's catalogue saved in the data folder routes its services after a restart."""
    south = FederatedDirectory("south", [_service("south")], ["north"])
    cache = CatalogueCache(tmp_path)
    cache.save(catalogue_of(south))
    (cache.folder / "east.json").write_text("{not json")
    directory = _directory()
    restore(directory, cache, default_registry())
    assert "south/tax/tax-clearance" in directory and not directory.knows_peer("south")
    assert directory.remote("east") == []
