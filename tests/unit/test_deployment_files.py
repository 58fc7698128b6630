"""docker-compose.yml, its NATS configurations and the Dockerfile, checked without a Docker engine.

The compose file must describe the production shape: per region a
3-node JetStream cluster with its own domain, a leaf link to the other region
(never a gateway), PostgreSQL, and two hub workers that reach only their own
region's database and NATS. The NATS configurations are checked by the real
``nats-server -t``, and the services files by the hub's own loader.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts import default_registry
from hub.adapters.nats.server import nats_server_binary
from hub.service_layer.exchanges.routing import load_services
from simulations.departments import CONTRIBUTION_HISTORY_PURPOSES, TAX_CLEARANCE_PURPOSES

ROOT = Path(__file__).resolve().parents[2]
REGIONS = {"north": "south", "south": "north"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    assert name in compose["services"], f"docker-compose.yml lacks service {name}"
    return compose["services"][name]


def _named_volumes(service: dict[str, Any]) -> list[str]:
    return [v.split(":")[0] for v in service.get("volumes", []) if not v.startswith(".")]


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_each_region_has_a_three_node_cluster_postgres_and_two_workers(
    compose: dict[str, Any], region: str
) -> None:
    """Three NATS nodes, one PostgreSQL, two hub workers, two emulated departments per region."""
    names = set(compose["services"])
    assert {f"{region}-nats-{n}" for n in (1, 2, 3)} <= names
    assert {f"{region}-postgres", f"{region}-hub-1", f"{region}-hub-2"} <= names
    assert {f"{region}-social-security", f"{region}-tax"} <= names
    for n in (1, 2, 3):
        node = _service(compose, f"{region}-nats-{n}")
        assert node["environment"]["SERVER_NAME"] == f"{region}-nats-{n}"
        assert f"./deploy/nats/{region}.conf:/etc/nats/nats.conf:ro" in node["volumes"]
        assert f"{region}-nats-{n}" in _named_volumes(node), "each node keeps its own store"
        assert set(node["networks"]) == {f"{region}-net", "federation"}


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_hub_workers_reach_only_their_own_region(compose: dict[str, Any], region: str) -> None:
    """Workers use their region's PostgreSQL and NATS, R3 with a strict durability policy."""
    for worker in (1, 2):
        hub = _service(compose, f"{region}-hub-{worker}")
        env = hub["environment"]
        assert env["HUB_REGION"] == region
        assert re.fullmatch(rf"postgresql://hub:.+@{region}-postgres:5432/hub", env["HUB_STORE"])
        nodes = env["HUB_NATS_URL"].split(",")  # every node: a worker outlives one node's loss
        assert sorted(nodes) == [f"nats://{region}-nats-{n}:4222" for n in (1, 2, 3)], nodes
        assert env["HUB_STREAM_REPLICAS"] == "3"
        assert env["HUB_DURABILITY_STRICT"] == "true"
        assert yaml.safe_load(env["HUB_PEERS"]) == [REGIONS[region]]
        assert "HUB_KEK" in env and ":?" in env["HUB_KEK"], "the KEK must be supplied, not baked"
        assert hub["networks"] == [f"{region}-net"], "no hub reaches another region directly"
        assert hub["command"][:2] == ["serve", f"/app/deploy/services/{region}.toml"]
        assert _named_volumes(hub) == [f"{region}-hub-data"], "workers share the region's keys"
        depends = hub["depends_on"]
        assert depends[f"{region}-postgres"]["condition"] == "service_healthy"
        assert all(depends[f"{region}-nats-{n}"]["condition"] == "service_healthy"
                   for n in (1, 2, 3))
        for port in hub.get("ports", []):
            assert port.startswith("127.0.0.1:"), "published ports bind to loopback only"


def test_networks_and_volumes_are_declared(compose: dict[str, Any]) -> None:
    """Every network and named volume a service uses is declared at the top level."""
    declared_networks = set(compose["networks"])
    declared_volumes = set(compose["volumes"])
    for name, service in compose["services"].items():
        assert set(service.get("networks", [])) <= declared_networks, name
        assert set(_named_volumes(service)) <= declared_volumes, name
    assert {"north-net", "south-net", "federation"} == declared_networks


def _nats_config(region: str) -> str:
    """The region's NATS configuration without its comments."""
    text = (ROOT / "deploy" / "nats" / f"{region}.conf").read_text()
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_nats_configuration_is_valid_for_nats_server(region: str) -> None:
    """``nats-server -t`` accepts each region's configuration."""
    result = subprocess.run(
        [str(nats_server_binary()), "-t", "-c", str(ROOT / "deploy" / "nats" / f"{region}.conf")],
        capture_output=True, text=True, timeout=30, env={"SERVER_NAME": f"{region}-nats-1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_each_region_is_its_own_jetstream_domain_and_cluster(region: str) -> None:
    """Domain and cluster name are the region; routes list the region's three nodes only."""
    text = _nats_config(region)
    assert f'domain: "{region}"' in text
    assert "sync_interval: always" in text
    assert f'name: "{region}"' in text
    routes = re.findall(r"nats-route://([a-z0-9-]+):6222", text)
    assert routes == [f"{region}-nats-{n}" for n in (1, 2, 3)]
    assert "gateway" not in text, "regions are joined by leaf nodes, never a supercluster"


def test_south_dials_north_by_leaf_node() -> None:
    """North accepts leaf links; south's remotes name every north node."""
    assert re.search(r"leafnodes \{\s*listen:", _nats_config("north"))
    remotes = re.findall(r"nats-leaf://([a-z0-9-]+):7422", _nats_config("south"))
    assert remotes == [f"north-nats-{n}" for n in (1, 2, 3)]


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_services_files_load_with_the_hub_loader(region: str) -> None:
    """The compose services files are real services files: they load and name existing mappings."""
    services = load_services(ROOT / "deploy" / "services" / f"{region}.toml", default_registry())
    assert {str(s.id) for s in services} == {
        f"{region}/social-security/contribution-history", f"{region}/tax/tax-clearance"}
    for service in services:
        assert service.mapping is not None and Path(service.mapping).is_file()
        assert service.endpoint.startswith(f"http://{region}-")


@pytest.mark.parametrize("region", sorted(REGIONS))
def test_services_files_declare_the_purposes_queries_need(region: str) -> None:
    """Access is denied by default and every query names a purpose: a services file whose
    services declare none would make the deployment refuse every query. Each service
    declares the demo's purposes, with the same basis and fields."""
    services = {s.id.service: s for s in load_services(
        ROOT / "deploy" / "services" / f"{region}.toml", default_registry())}
    assert services["contribution-history"].purposes == CONTRIBUTION_HISTORY_PURPOSES
    assert services["tax-clearance"].purposes == TAX_CLEARANCE_PURPOSES


def test_dockerfile_copies_existing_paths_and_runs_the_hub() -> None:
    """Every COPY source exists; the entry point is the console script."""
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    for line in lines:
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"
    assert 'ENTRYPOINT ["interop-hub"]' in lines
    assert any(line.startswith("USER ") and "root" not in line for line in lines)
