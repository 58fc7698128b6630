"""X-Road without Python, and identity headers that can be read only one way.

A service declared with ``xroad = "..."`` in services.toml answers X-Road 4.0
clients; a doubled identity header (``xrd:client``, ``xrd:service``, ``xrd:id``,
``xrd:protocolVersion``, ``hub:client``) or a MEMBER client carrying a
subsystemCode is a soap:Client Fault naming the header, recorded as Received +
Rejected, and the provider is never called.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from contracts import default_registry
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.serve import Hub, run_hub
from hub.service_layer.exchanges.routing import dump_services, load_services
from hub.settings import HubSettings
from simulations.departments import DepartmentEndpoints, demo_rights, region_services
from simulations.social_security_bureau import create_app as social_security_app
from simulations.tax_bureau import create_app as tax_app
from tests.integration.hub_fixtures import PURPOSE, department_token, grant_all
from tests.integration.xroad_fixtures import XROAD_HEADERS, running_xroad_region
from translation.soap_envelope import parse_envelope, parse_fault
from translation.xroad_headers import XRoadHeaders, XRoadServiceId

SS_XROAD = "NORTH/GOV/1234/social-security/contribution-history/v1"
TAX_CLIENT = "NORTH/GOV/5678/tax"


def _events(hub: Hub, exchange_id: str) -> list[str]:
    return [type(e).__name__ for e in hub.ledger.history(UUID(exchange_id))]


async def _post(hub: Hub, body: bytes, department: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(f"{hub.http_url}/soap", content=body, headers={
            "Content-Type": "text/xml", **headers,
            "Authorization": f"Bearer {department_token(hub, department)}"})


def _doubled(sample: bytes, name: str) -> bytes:
    """``sample`` with its ``xro:NAME`` header element sent twice."""
    found = re.search(rb"<xro:%s[ >].*?</xro:%s>" % (name.encode(), name.encode()), sample, re.S)
    assert found is not None, name
    return sample[: found.end()] + found.group(0) + sample[found.end():]


@pytest.mark.parametrize("name", ["client", "service", "id", "protocolVersion"])
async def test_a_doubled_xroad_header_is_refused_naming_it(
    hub_settings: HubSettings, shared_external: Path, name: str,
) -> None:
    """Two copies of one X-Road identity header: a Client Fault naming it, recorded."""
    sample = (shared_external / "xroad-messages" / "helloService.xml").read_bytes()
    async with running_xroad_region(hub_settings) as region:
        response = await _post(region.hub, _doubled(sample, name), "north/test-client",
                               **XROAD_HEADERS)
        assert response.status_code == 500, response.text
        fault = parse_fault(parse_envelope(response.content).body)
        assert fault.faultcode == "Client" and fault.code == "xroad-header-invalid"
        assert (f"/Envelope/Header/xrd:{name}", "xroad-header-duplicated") in [
            (i.path, i.code) for i in fault.issues]
        assert f"xrd:{name}" in fault.faultstring
        assert _events(region.hub, response.headers["X-Exchange-Id"]) == ["Received", "Rejected"]
        assert region.provider.calls == 0


async def test_a_member_client_with_a_subsystem_code_is_refused(
    hub_settings: HubSettings, shared_external: Path,
) -> None:
    """objectType MEMBER with a subsystemCode: which of the two asks is ambiguous; refused."""
    sample = (shared_external / "xroad-messages" / "helloService.xml").read_bytes()
    member = sample.replace(b'<xro:client iden:objectType="SUBSYSTEM">',
                            b'<xro:client iden:objectType="MEMBER">')
    assert member != sample
    async with running_xroad_region(hub_settings) as region:
        response = await _post(region.hub, member, "north/test-client", **XROAD_HEADERS)
        assert response.status_code == 500, response.text
        fault = parse_fault(parse_envelope(response.content).body)
        assert fault.code == "xroad-header-invalid"
        assert ("/Envelope/Header/xrd:client/iden:subsystemCode", "xroad-header-invalid") in [
            (i.path, i.code) for i in fault.issues]
        assert _events(region.hub, response.headers["X-Exchange-Id"]) == ["Received", "Rejected"]
        assert region.provider.calls == 0


def _envelope(header: str, body: str) -> bytes:
    return (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:hub="urn:interop-hub:envelope:1" xmlns:xro="http://x-road.eu/xsd/xroad.xsd" '
        'xmlns:iden="http://x-road.eu/xsd/identifiers">'
        f"<soap:Header>{header}</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


TAX_QUERY = ('<c:TaxClearanceQuery xmlns:c="urn:interop-hub:contracts:1">'
             "<c:national_id>19800101-1234</c:national_id><c:tax_year>2025</c:tax_year>"
             "</c:TaxClearanceQuery>")
SS_QUERY = ('<c:ContributionHistoryQuery xmlns:c="urn:interop-hub:contracts:1">'
            "<c:national_id>19800101-1234</c:national_id>"
            "<c:period_start>2000-01-01</c:period_start><c:period_end>2026-12-31</c:period_end>"
            "</c:ContributionHistoryQuery>")


async def test_two_hub_client_headers_are_refused(hub_settings: HubSettings) -> None:
    """hub:client twice (whichever copy a reader takes): a Client Fault naming it, recorded."""
    headers = "<hub:client>north/social-security</hub:client><hub:client>north/tax</hub:client>"
    async with running_xroad_region(hub_settings) as region:
        response = await _post(region.hub, _envelope(headers, TAX_QUERY),
                               "north/social-security", **{"X-Hub-Purpose": PURPOSE})
        assert response.status_code == 500, response.text
        fault = parse_fault(parse_envelope(response.content).body)
        assert fault.faultcode == "Client" and "hub:client" in fault.faultstring
        assert ("/Envelope/Header/hub:client", "header-duplicated") in [
            (i.path, i.code) for i in fault.issues]
        assert _events(region.hub, response.headers["X-Exchange-Id"]) == ["Received", "Rejected"]


def _xroad_headers(service: XRoadServiceId) -> str:
    version = (f"<iden:serviceVersion>{service.service_version}</iden:serviceVersion>"
               if service.service_version else "")
    return (
        '<xro:client iden:objectType="SUBSYSTEM"><iden:xRoadInstance>NORTH</iden:xRoadInstance>'
        "<iden:memberClass>GOV</iden:memberClass><iden:memberCode>5678</iden:memberCode>"
        "<iden:subsystemCode>tax</iden:subsystemCode></xro:client>"
        '<xro:service iden:objectType="SERVICE">'
        f"<iden:xRoadInstance>{service.instance}</iden:xRoadInstance>"
        f"<iden:memberClass>{service.member_class}</iden:memberClass>"
        f"<iden:memberCode>{service.member_code}</iden:memberCode>"
        f"<iden:subsystemCode>{service.subsystem_code}</iden:subsystemCode>"
        f"<iden:serviceCode>{service.service_code}</iden:serviceCode>{version}</xro:service>"
        "<xro:id>msg-42</xro:id><xro:protocolVersion>4.0</xro:protocolVersion>"
    )


@contextlib.asynccontextmanager
async def _hub_from_services_toml(settings: HubSettings, tmp: Path) -> AsyncIterator[Hub]:
    """The demo departments, served by a hub whose services come from a services.toml
    that declares the contribution history's X-Road id (no Python declaration)."""
    async with contextlib.AsyncExitStack() as stack:
        ss = await stack.enter_async_context(serve_asgi(social_security_app()))
        tax = await stack.enter_async_context(serve_asgi(tax_app()))
        endpoints = DepartmentEndpoints(f"{ss}/ws/insurance?wsdl", tax)
        text = dump_services(region_services("north", endpoints))
        text = text.replace('id = "north/social-security/contribution-history"\n',
                            f'id = "north/social-security/contribution-history"\n'
                            f'xroad = "{SS_XROAD}"\n')
        (tmp / "services.toml").write_text(text)
        services = load_services(tmp / "services.toml", default_registry())
        hub = await stack.enter_async_context(run_hub(settings.model_copy(
            update={"xroad_clients": {TAX_CLIENT: "north/tax"}}), services))
        await grant_all(hub, demo_rights("north"))
        yield hub


async def test_a_service_declared_in_services_toml_answers_xroad_clients(
    hub_settings: HubSettings, tmp_path: Path,
) -> None:
    """xroad = "NORTH/GOV/1234/social-security/contribution-history/v1" in services.toml:
    an X-Road 4.0 request for that id is answered, headers echoed, as the service it names."""
    declared = XRoadServiceId.parse(SS_XROAD)
    async with _hub_from_services_toml(hub_settings, tmp_path) as hub:
        response = await _post(hub, _envelope(_xroad_headers(declared), SS_QUERY), "north/tax",
                               **{"X-Hub-Purpose": PURPOSE})
        assert response.status_code == 200, response.text
        answer = parse_envelope(response.content)
        echoed = XRoadHeaders.from_soap(answer.headers)
        assert echoed is not None and echoed.service == declared and echoed.id == "msg-42"
        exchange = hub.ledger.get(UUID(response.headers["X-Exchange-Id"]))
        assert exchange.service == "north/social-security/contribution-history"
        assert exchange.client == "north/tax"
        unversioned = await _post(
            hub, _envelope(_xroad_headers(declared.unversioned()).replace("msg-42", "m"),
                           SS_QUERY), "north/tax", **{"X-Hub-Purpose": PURPOSE})
        assert unversioned.status_code == 500  # declared with a version: that one only
        assert "unknown-service" in unversioned.text
