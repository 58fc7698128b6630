"""services.toml declares a service's X-Road id: parsed, validated, unique, written back."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from contracts import default_registry
from hub.errors import RoutingError
from hub.service_layer.exchanges.routing import ServiceDirectory, dump_services, load_services
from simulations.demo import demo_services
from simulations.departments import DepartmentEndpoints
from translation.xroad_ids import XRoadServiceId

ENDPOINTS = DepartmentEndpoints("http://127.0.0.1:1/ws/insurance?wsdl", "http://127.0.0.1:2")
SS = "north/social-security/contribution-history"


def _toml(tmp_path: Path, xroad_line: str) -> Path:
    text = dump_services(demo_services("north", ENDPOINTS))
    text = "\n".join(line for line in text.splitlines() if not line.startswith("xroad ="))
    text = text.replace(f'id = "{SS}"', f'id = "{SS}"\n{xroad_line}')
    path = tmp_path / "services.toml"
    path.write_text(text + "\n")
    return path


def test_the_demo_declares_one_and_it_survives_its_services_toml(tmp_path: Path) -> None:
    """The demo's services.toml carries the X-Road id; loading it gives the same id."""
    text = dump_services(demo_services("north", ENDPOINTS))
    assert 'xroad = "NORTH/GOV/1234/social-security/contribution-history/v1"' in text
    (tmp_path / "services.toml").write_text(text)
    loaded = {str(s.id): s for s in load_services(tmp_path / "services.toml", default_registry())}
    assert loaded[SS].xroad_service == XRoadServiceId(
        "NORTH", "GOV", "1234", "social-security", "contribution-history", "v1")
    assert loaded["north/tax/tax-clearance"].xroad_service is None


@pytest.mark.parametrize("line", [
    'xroad = "NORTH/GOV/1234/contribution-history"',  # no subsystem: four parts
    'xroad = "NORTH/GOV/1234/social/history/v1/extra"',
    'xroad = "NORTH/GOV/ /social/history"',
    'xroad = "NORTH/GOV/1234/social/a:b"',
    "xroad = 42",
])
def test_a_malformed_xroad_id_is_refused_naming_the_file_and_service(
    tmp_path: Path, line: str,
) -> None:
    """Each malformed id: RoutingError naming the file, the service and the field."""
    path = _toml(tmp_path, line)
    with pytest.raises(RoutingError) as caught:
        load_services(path, default_registry())
    assert str(path) in caught.value.message and SS in caught.value.message
    assert "xroad" in caught.value.message


def test_two_services_answering_to_one_xroad_id_are_refused() -> None:
    """One X-Road id on two services: the directory refuses to start."""
    xroad = XRoadServiceId.parse("NORTH/GOV/1234/social/history")
    services = [dataclasses.replace(s, xroad=xroad) for s in demo_services("north", ENDPOINTS)]
    with pytest.raises(RoutingError, match="both answer to X-Road"):
        ServiceDirectory("north", services)
