"""Onboarding a department from its WSDL: scaffold → fill the mapping → `adapter check` → live.

The integrator's path of the README's "Onboarding a department from its WSDL":
the real ``interop-hub`` console script scaffolds X-Road's example-adapter.wsdl
(read from ../shared/external, never copied), the getRandom skeleton is filled
the way an integrator fills it, ``adapter check`` accepts it, and a hub whose
``services.toml`` names the filled mapping answers live queries — JSON and SOAP
(zeep) — from the emulated X-Road example provider.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import requests
import zeep
from lxml import etree
from zeep.transports import Transport

from contracts.xroad_example import RandomNumber, RandomNumberQuery
from hub.adapters.nats.server import free_port
from hub.domain.exchange import Status
from hub.settings import HubSettings
from simulations.run_services import running_services
from simulations.scenario import HARDENED_ZEEP
from simulations.xroad_example import ENDPOINT_PATH
from simulations.xroad_example.services import XROAD_PURPOSE
from tests.integration.hub_fixtures import auth_headers, completed, department_token, grant
from translation.mapping import CompiledMapping, load_mapping
from translation.onboarding import ScaffoldOptions, describe_wsdl, render_skeleton

ROOT = Path(__file__).resolve().parents[2]
INTEROP_HUB = Path(sys.executable).parent / "interop-hub"
REFERENCE = ROOT / "simulations" / "mappings" / "xroad-example.get-random.toml"
SKELETON = "testService.testServicePort.getRandom.toml"
HUB_AS_CLIENT = "DEV/GOV/1000/interop-hub"
SERVICE = "north/xroad-example/random"
PRODUCER = "http://test.x-road.global/producer"
# What the integrator writes over the scaffold's placeholders (each occurs exactly once).
FILLS = (
    ('service = "<department/service>"', 'service = "xroad-example/random"'),
    ('request = "<request contract name@MAJOR.MINOR>"',
     'request = "xroad-example.random-query@1.0"'),
    ('response = "<response contract name@MAJOR.MINOR>"',
     'response = "xroad-example.random@1.0"'),
    ('client = "<X-Road client INSTANCE/CLASS/CODE/SUBSYSTEM: the hub>"',
     f'client = "{HUB_AS_CLIENT}"'),
    ('provider = "<X-Road provider INSTANCE/CLASS/CODE/SUBSYSTEM>"',
     'provider = "DEV/COM/1234/TestService"'),
    ('# contract_field = "tns:data"', 'number = "tns:data"'),
)


def fill(skeleton: str) -> str:
    """The getRandom skeleton filled in: placeholders replaced, the one needed line uncommented."""
    for placeholder, value in FILLS:
        assert skeleton.count(placeholder) == 1, placeholder
        skeleton = skeleton.replace(placeholder, value)
    return skeleton


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(INTEROP_HUB), *map(str, args)], cwd=ROOT, capture_output=True, text=True,
        timeout=60, check=False,
    )


def _resolved(path: Path) -> dict[str, Any]:
    """A mapping file's TOML with its file paths made absolute (they are relative to it)."""
    document = tomllib.loads(path.read_text())
    for key in ("wsdl", "catalog"):
        document["soap"][key] = str((path.parent / document["soap"][key]).resolve())
    return document


def _same_behaviour(mine: CompiledMapping, reference: CompiledMapping) -> None:
    """Both encode the query, decode an answer and address X-Road identically."""
    encoded = [m.request.encode(RandomNumberQuery()) for m in (mine, reference)]
    assert [(e.tag, len(e)) for e in encoded] == [(f"{{{PRODUCER}}}getRandom", 0)] * 2
    answer = etree.fromstring(
        f'<p:getRandomResponse xmlns:p="{PRODUCER}"><p:data>42</p:data></p:getRandomResponse>')
    decoded = [m.response.decode(answer) for m in (mine, reference)]
    assert decoded == [RandomNumber(number=42)] * 2
    assert mine.spec.soap is not None and reference.spec.soap is not None
    assert mine.spec.soap.xroad is not None
    assert mine.spec.soap.xroad == reference.spec.soap.xroad
    assert str(mine.spec.soap.xroad.client) == HUB_AS_CLIENT


def _services_toml(folder: Path, mapping: Path, provider_port: int) -> Path:
    """Step 4: the service, as an operator adds it to the region's services.toml."""
    path = folder / "services.toml"
    path.write_text(f"""\
[[service]]
id = "{SERVICE}"
request = "xroad-example.random-query@1.0"
response = "xroad-example.random@1.0"
operation = "XRoadExampleRandom"
adapter = "soap-mapping"
mapping = "{mapping.name}"
endpoint = "http://127.0.0.1:{provider_port}{ENDPOINT_PATH}"
description = "A random number from X-Road's example adapter"

[[service.purpose]]
name = "{XROAD_PURPOSE}"
legal_basis = "X-Road example service: no personal data"
fields = ["number"]
""")
    return path


def _zeep_call(url: str, token: str) -> Any:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    session.headers["X-Hub-Purpose"] = XROAD_PURPOSE
    client = zeep.Client(f"{url}/soap?wsdl", settings=HARDENED_ZEEP,
                         transport=Transport(session=session))
    return client.service.XRoadExampleRandom()


def _scaffold_fill_check(shared_external: Path, out: Path) -> Path:
    """Steps 1-3 with the console script, paths written as the README writes them."""
    wsdl = os.path.relpath(shared_external / "xroad-example-adapter" / "example-adapter.wsdl",
                           ROOT)
    catalog = os.path.relpath(shared_external / "catalog" / "catalog.xml", ROOT)
    scaffold = _cli("adapter", "scaffold", "--wsdl", wsdl, "--catalog", catalog, "--lenient",
                    "--out", out)
    assert scaffold.returncode == 0, scaffold.stderr
    assert "wrote 6 mapping skeleton(s)" in scaffold.stdout
    unfilled = _cli("adapter", "check", out / SKELETON, "--catalog", catalog)
    assert unfilled.returncode == 1
    assert "error [placeholder] mapping.service" in unfilled.stdout
    filled = out / "xroad-example.get-random.toml"
    filled.write_text(fill((out / SKELETON).read_text()))
    check = _cli("adapter", "check", filled, "--catalog", catalog)
    assert check.returncode == 0, check.stdout
    assert "ok: no problems" in check.stdout
    return filled


async def test_a_department_is_onboarded_from_its_wsdl(
    shared_external: Path, tmp_path: Path, hub_settings: HubSettings
) -> None:
    """Scaffold, fill, check with the console script; then JSON and SOAP queries complete."""
    filled = _scaffold_fill_check(shared_external, tmp_path / "mappings")
    assert _resolved(filled) == _resolved(REFERENCE)
    _same_behaviour(load_mapping(filled), load_mapping(REFERENCE))

    port = free_port()
    services = _services_toml(filled.parent, filled, port)
    async with running_services(hub_settings, services, xroad_example_port=port) as region:
        hub, provider = region.hub, region.provider
        assert provider is not None
        await grant(hub, "north/test-client", SERVICE, XROAD_PURPOSE)
        async with httpx.AsyncClient(timeout=30) as http:
            answer = await http.post(
                f"{hub.http_url}/services/{SERVICE}", content=b"{}",
                headers=auth_headers(hub, "north/test-client", **{
                    "Content-Type": "application/json", "X-Correlation-Id": "onboarding-1",
                    "X-Hub-Purpose": XROAD_PURPOSE}))
        assert answer.status_code == 200, answer.text
        assert 1 <= answer.json()["number"] <= 100
        by_soap = await asyncio.to_thread(
            _zeep_call, hub.http_url, department_token(hub, "north/test-client"))
        assert 1 <= by_soap <= 100  # zeep unwraps a one-field answer
        ids = list(hub.ledger.exchange_ids())
        for exchange_id in ids:
            await completed(hub, exchange_id)
        assert [hub.ledger.get(i).status for i in ids] == [Status.COMPLETED] * 2
        history = [type(e).__name__ for e in hub.ledger.history(UUID(answer.headers[
            "X-Exchange-Id"]))]
        assert history[-4:] == ["Delivered", "Responded", "Disclosed", "Completed"]
        assert provider.clients == [HUB_AS_CLIENT] * 2
        assert provider.message_ids[0] == "onboarding-1"


def test_the_reference_mapping_is_the_filled_skeleton(shared_external: Path) -> None:
    """simulations/mappings/xroad-example.get-random.toml is the getRandom skeleton, filled."""
    described = describe_wsdl(
        shared_external / "xroad-example-adapter" / "example-adapter.wsdl",
        ScaffoldOptions(catalog=shared_external / "catalog" / "catalog.xml", lenient=True),
    )
    (shape,) = [s for s in described.operations if s.operation.name == "getRandom"]
    assert fill(render_skeleton(described, shape, REFERENCE.parent)) == REFERENCE.read_text()
