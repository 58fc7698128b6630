"""Services declare their mapping file; the hub builds mapping-driven adapters from it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from contracts import default_registry
from hub.bootstrap.providers import ADAPTER_KINDS, build_adapters
from hub.errors import RoutingError
from hub.service_layer.exchanges.routing import dump_services, load_services
from simulations.departments import DepartmentEndpoints, region_services


def test_demo_services_use_the_mapping_kinds() -> None:
    """The emulated departments are called through soap-mapping and json-mapping adapters."""
    services = region_services("north", DepartmentEndpoints("http://x/ws?wsdl", "http://y"))
    assert [(s.adapter, Path(s.mapping or "").name) for s in services] == [
        ("soap-mapping", "social-security.contribution-history.toml"),
        ("json-mapping", "tax.tax-clearance.toml"),
    ]
    assert {"soap-mapping", "json-mapping"} <= ADAPTER_KINDS.keys()


def test_mapping_survives_dump_and_load(tmp_path: Path) -> None:
    """dump_services writes the mapping path and load_services reads it back."""
    services = region_services("north", DepartmentEndpoints("http://x/ws?wsdl", "http://y"))
    path = tmp_path / "services.toml"
    path.write_text(dump_services(services), encoding="utf-8")
    loaded = load_services(path, default_registry())
    assert [s.mapping for s in loaded] == [s.mapping for s in services]


def test_relative_mapping_is_read_beside_the_services_file(tmp_path: Path) -> None:
    """A relative mapping path in services.toml is relative to that file's folder."""
    path = tmp_path / "conf" / "services.toml"
    path.parent.mkdir()
    path.write_text(
        '[[service]]\nid = "north/tax/tax-clearance"\nrequest = "tax.clearance-query@1.0"\n'
        'response = "tax.clearance@1.0"\noperation = "TaxClearance"\nadapter = "json-mapping"\n'
        'endpoint = "http://y"\nmapping = "mappings/tax.toml"\n', encoding="utf-8")
    (service,) = load_services(path, default_registry())
    assert service.mapping == str(tmp_path / "conf" / "mappings" / "tax.toml")


async def test_mapping_kind_without_a_mapping_is_refused() -> None:
    """A soap-mapping service without a mapping file is a RoutingError at start-up."""
    services = region_services("north", DepartmentEndpoints("http://x/ws?wsdl", "http://y"))
    bare = [dataclasses.replace(services[0], mapping=None)]
    with pytest.raises(RoutingError, match="needs a mapping file"):
        await build_adapters(bare, 1.0)
