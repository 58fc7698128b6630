"""A refused SOAP request says what to fix: contract, source path, target field and reason,
both in the Fault detail and in the recorded Rejected event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from hub.settings import HubSettings
from tests.integration.hub_fixtures import Region, auth_headers, department_token, running_region
from translation.soap_envelope import parse_envelope, parse_fault

pytestmark = pytest.mark.asyncio(loop_scope="module")

C = 'xmlns:c="urn:interop-hub:contracts:1"'
TAX = "tax.clearance-query@1.0"
SS = "social-security.contribution-history-query@1.0"


def _envelope(body: str, header: str = "") -> bytes:
    return (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:hub="urn:interop-hub:envelope:1">'
        f"<soap:Header>{header}</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def _tax(national_id: str = "19800101-1234", year: str = "2025", ns: str = C) -> str:
    return (
        f"<c:TaxClearanceQuery {ns}><c:national_id>{national_id}</c:national_id>"
        f"<c:tax_year>{year}</c:tax_year></c:TaxClearanceQuery>"
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def region(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Region]:
    settings = HubSettings(data=tmp_path_factory.mktemp("errors") / "hub", log_format="json")
    async with running_region(settings) as running:
        yield running


CASES = {
    "xsd type": (
        _envelope(_tax(year="twenty"), "<hub:client>north/social-security</hub:client>"),
        "schema-violation",
        TAX,
        "/TaxClearanceQuery/tax_year",
        "tax_year",
        "twenty",
    ),
    "xsd pattern": (
        _envelope(_tax(national_id="x"), "<hub:client>north/social-security</hub:client>"),
        "schema-violation",
        TAX,
        "/TaxClearanceQuery/national_id",
        "national_id",
        "'x'",
    ),
    "missing element": (
        _envelope(
            f"<c:TaxClearanceQuery {C}><c:national_id>19800101-1234</c:national_id>"
            "</c:TaxClearanceQuery>",
            "<hub:client>north/social-security</hub:client>",
        ),
        "schema-violation",
        TAX,
        "/TaxClearanceQuery/tax_year",
        "tax_year",
        "Missing child",
    ),
    "cross-field rule": (
        _envelope(
            f"<c:ContributionHistoryQuery {C}><c:national_id>19800101-1234</c:national_id>"
            "<c:period_start>2020-01-01</c:period_start><c:period_end>2019-01-01</c:period_end>"
            "</c:ContributionHistoryQuery>",
            "<hub:client>north/tax</hub:client>",
        ),
        "contract-violation",
        SS,
        "/ContributionHistoryQuery",
        None,
        "period_end must not",
    ),
    "foreign body element": (
        _envelope(
            _tax(ns='xmlns:c="urn:elsewhere"'), "<hub:client>north/social-security</hub:client>"
        ),
        "schema-violation",
        TAX,
        "/Envelope/Body/TaxClearanceQuery",
        None,
        "is not a request",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_refusal_names_contract_path_field_and_reason(region: Region, case: str) -> None:
    """Fault detail and Rejected event carry the contract, the source path, field and reason."""
    body, code, contract, path, field, reason = CASES[case]
    caller = "north/tax" if contract == SS else "north/social-security"
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{region.hub.http_url}/soap", content=body,
            headers=auth_headers(region.hub, caller, **{"Content-Type": "text/xml"}),
        )
    assert response.status_code == 500
    envelope = parse_envelope(response.content)
    fault = parse_fault(envelope.body)
    assert (fault.faultcode, fault.code) == ("Client", code)
    problem = envelope.body.find(".//{urn:interop-hub:fault:1}problem")
    assert problem is not None and problem.get("contract") == contract
    issue = next(i for i in fault.issues if i.path == path)
    assert issue.field == field and reason in issue.reason
    rejected = region.hub.ledger.history(UUID(response.headers["X-Exchange-Id"]))[-1]
    assert type(rejected).__name__ == "Rejected"
    assert rejected.code == code and rejected.message.startswith(f"{contract}: ")
    recorded = next(i for i in rejected.issues if i["path"] == path)
    assert recorded["field"] == field and reason in recorded["reason"]


async def _soap(region: Region, body: bytes, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(f"{region.hub.http_url}/soap", content=body,
                               headers={"Content-Type": "text/xml", **headers})


async def test_soap_without_a_token_is_a_401_client_fault_recorded(region: Region) -> None:
    """No Authorization header: a Client fault naming header:Authorization, 401, recorded."""
    response = await _soap(region, _envelope(_tax(), "<hub:client>north/tax</hub:client>"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    fault = parse_fault(parse_envelope(response.content).body)
    assert (fault.faultcode, fault.code) == ("Client", "missing-credentials")
    assert [i.path for i in fault.issues] == ["header:Authorization"]
    history = region.hub.ledger.history(UUID(response.headers["X-Exchange-Id"]))
    assert [type(e).__name__ for e in history] == ["Received", "Rejected"]


async def test_soap_client_header_naming_another_department_is_a_403(region: Region) -> None:
    """A hub:client other than the token's department is refused, path of the SOAP header."""
    token = department_token(region.hub, "north/social-security")
    response = await _soap(region, _envelope(_tax(), "<hub:client>north/tax</hub:client>"),
                           Authorization=f"Bearer {token}")
    assert response.status_code == 403
    fault = parse_fault(parse_envelope(response.content).body)
    assert fault.code == "client-mismatch"
    assert [i.path for i in fault.issues] == ["/Envelope/Header/hub:client"]
    assert token not in response.text
    rejected = region.hub.ledger.history(UUID(response.headers["X-Exchange-Id"]))[-1]
    assert rejected.code == "client-mismatch" and token not in str(rejected.issues)


async def test_soap_without_client_header_asks_as_the_token_department(region: Region) -> None:
    """hub:client is optional: the exchange's client is the token's department."""
    response = await _soap(region, _envelope(_tax()),
                           **auth_headers(region.hub, "north/social-security"))
    assert response.status_code == 200, response.text
    exchange = region.hub.ledger.get(UUID(response.headers["X-Exchange-Id"]))
    assert exchange.client == "north/social-security"
