"""The emulated SOAP bureau served over real HTTP, called through the zeep adapter."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from adapters.errors import ProviderFault, ProviderResponseInvalid, ProviderUnavailable
from adapters.social_security_soap import SocialSecuritySoapAdapter
from contracts.social_security import ContributionHistoryQuery
from hub.entrypoints.asgi_server import serve_asgi
from simulations.social_security_bureau import BureauBehaviour, create_app

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def query(national_id: str = "19800101-1234", start: str = "2010-01-01",
          end: str = "2030-12-31") -> ContributionHistoryQuery:
    return ContributionHistoryQuery(
        national_id=national_id, period_start=dt.date.fromisoformat(start),
        period_end=dt.date.fromisoformat(end),
    )


@pytest.fixture
def behaviour() -> BureauBehaviour:
    return BureauBehaviour()


@pytest.fixture
async def bureau_url(behaviour: BureauBehaviour) -> AsyncIterator[str]:
    async with serve_asgi(create_app(behaviour), name="social-security-bureau") as url:
        yield url


@pytest.fixture
async def adapter(bureau_url: str) -> AsyncIterator[SocialSecuritySoapAdapter]:
    async with await SocialSecuritySoapAdapter.connect(
        f"{bureau_url}/ws/insurance?wsdl", timeout=2.0
    ) as connected:
        yield connected


async def test_zeep_loads_the_served_wsdl_with_the_real_address(
    bureau_url: str, adapter: SocialSecuritySoapAdapter
) -> None:
    """The served WSDL's soap:address is rewritten to the URL it was fetched from."""
    assert adapter.endpoint == f"{bureau_url}/ws/insurance"
    async with httpx.AsyncClient() as http:
        wsdl = (await http.get(f"{bureau_url}/ws/insurance?wsdl")).text
    assert "bureau.invalid" not in wsdl


async def test_answer_is_mapped_into_the_contract(
    adapter: SocialSecuritySoapAdapter, behaviour: BureauBehaviour
) -> None:
    """A known person's overlapping periods come back as a ContributionHistory."""
    history = await adapter.call(query(), correlation_id="corr-ss-1")
    assert history.person.family_name == "Andersson"
    assert history.person.date_of_birth == dt.date(1980, 1, 1)
    assert [p.employer_name for p in history.periods] == [
        "Harbour Logistics Ltd", "Brightline Software",
    ]
    assert history.periods[0].contribution_base == Decimal("318700.50")
    assert history.periods[1].end is None
    assert abs(history.as_of - dt.datetime.now(dt.UTC).date()) <= dt.timedelta(days=1)
    assert list(behaviour.correlation_ids) == ["corr-ss-1"]


async def test_only_periods_overlapping_the_range_are_returned(
    adapter: SocialSecuritySoapAdapter,
) -> None:
    """Periods are filtered to those overlapping period_start..period_end."""
    history = await adapter.call(query("19751224-5678", "2001-06-01", "2002-01-01"),
                                 correlation_id="c")
    assert [(p.start.year, p.currency) for p in history.periods] == [(1998, "DEM"), (2002, "EUR")]


async def test_person_without_periods_has_an_empty_history(
    adapter: SocialSecuritySoapAdapter,
) -> None:
    """A registered person never insured answers with no periods."""
    history = await adapter.call(query("20010707-1357"), correlation_id="c")
    assert history.periods == []


async def test_concurrent_calls_carry_their_own_correlation_ids(
    adapter: SocialSecuritySoapAdapter, behaviour: BureauBehaviour
) -> None:
    """Each concurrent call sends its own X-Correlation-Id header."""
    ids = [f"corr-{n}" for n in range(5)]
    await asyncio.gather(*(adapter.call(query(), correlation_id=i) for i in ids))
    assert sorted(behaviour.correlation_ids) == ids


async def test_unknown_person_is_a_non_retryable_fault(adapter: SocialSecuritySoapAdapter) -> None:
    """soap:Client 'no insured person' becomes ProviderFault(retryable=False)."""
    with pytest.raises(ProviderFault) as caught:
        await adapter.call(query("19990909-4321"), correlation_id="c")
    assert caught.value.retryable is False
    assert "no insured person with PersNo 19990909-4321" in caught.value.message


async def test_schema_violation_is_a_client_fault_naming_the_element(
    adapter: SocialSecuritySoapAdapter,
) -> None:
    """A national id outside the legacy PersNo pattern is refused by the bureau's XSD."""
    with pytest.raises(ProviderFault) as caught:
        await adapter.call(query("AB-1234567"), correlation_id="c")
    assert caught.value.retryable is False
    assert "PersNo" in caught.value.message


async def test_server_fault_is_retryable_and_passes(
    adapter: SocialSecuritySoapAdapter, behaviour: BureauBehaviour
) -> None:
    """An injected soap:Server fault is ProviderFault(retryable=True); the next call succeeds."""
    behaviour.server_faults_next = 1
    with pytest.raises(ProviderFault) as caught:
        await adapter.call(query(), correlation_id="c")
    assert caught.value.retryable is True
    assert "soap:Server" in caught.value.message
    assert (await adapter.call(query(), correlation_id="c")).person.family_name == "Andersson"


async def test_garbage_answer_is_invalid(
    adapter: SocialSecuritySoapAdapter, behaviour: BureauBehaviour
) -> None:
    """Non-XML bytes with HTTP 200 become ProviderResponseInvalid."""
    behaviour.garbage_next = 1
    with pytest.raises(ProviderResponseInvalid):
        await adapter.call(query(), correlation_id="c")


async def test_slow_bureau_is_unavailable(bureau_url: str, behaviour: BureauBehaviour) -> None:
    """An answer slower than the adapter's timeout becomes ProviderUnavailable."""
    async with await SocialSecuritySoapAdapter.connect(
        f"{bureau_url}/ws/insurance?wsdl", timeout=0.15
    ) as impatient:
        behaviour.delay_s = 0.5
        with pytest.raises(ProviderUnavailable):
            await impatient.call(query(), correlation_id="c")


async def test_stopped_bureau_is_unavailable(behaviour: BureauBehaviour) -> None:
    """A bureau that stopped after the WSDL was loaded refuses connections: ProviderUnavailable."""
    async with serve_asgi(create_app(behaviour)) as url:
        adapter = await SocialSecuritySoapAdapter.connect(f"{url}/ws/insurance?wsdl")
    try:
        with pytest.raises(ProviderUnavailable):
            await adapter.call(query(), correlation_id="c")
    finally:
        await adapter.aclose()


async def test_unreachable_wsdl_is_unavailable() -> None:
    """Connecting to a bureau that is not running raises ProviderUnavailable."""
    async with serve_asgi(create_app()) as url:
        pass
    with pytest.raises(ProviderUnavailable):
        await SocialSecuritySoapAdapter.connect(f"{url}/ws/insurance?wsdl", timeout=1.0)


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<GetInsuranceRecordRequest xmlns="http://bureau.social-security.example/ws/2004">
<PersNo>&secret;</PersNo><FromDt>01.01.2010</FromDt><ToDt>01.01.2020</ToDt>
</GetInsuranceRecordRequest></soap:Body></soap:Envelope>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<GetInsuranceRecordRequest xmlns="http://bureau.social-security.example/ws/2004">
<PersNo>&lol3;</PersNo><FromDt>01.01.2010</FromDt><ToDt>01.01.2020</ToDt>
</GetInsuranceRecordRequest></soap:Body></soap:Envelope>"""


@pytest.mark.parametrize("payload", [XXE, LAUGHS], ids=["external-entity", "entity-expansion"])
async def test_doctype_is_refused_with_a_client_fault(bureau_url: str, payload: bytes) -> None:
    """A request carrying a DOCTYPE or entities gets HTTP 500 with a soap:Client fault."""
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{bureau_url}/ws/insurance", content=payload,
                                   headers={"Content-Type": "text/xml; charset=utf-8"})
    assert response.status_code == 500
    fault = etree.fromstring(response.content).find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None
    assert fault.findtext("faultcode") == "soap:Client"
    assert "DOCTYPE" in (fault.findtext("faultstring") or "")
    assert b"root:" not in response.content


async def test_wsdl_with_a_doctype_is_refused_by_the_adapter() -> None:
    """The adapter's hardened zeep settings refuse a WSDL carrying a DOCTYPE."""
    async def hostile_wsdl(_request: Request) -> Response:
        return Response(b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "x">]>'
                        b'<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"/>',
                        media_type="text/xml")

    app = Starlette(routes=[Route("/ws", hostile_wsdl)])
    async with serve_asgi(app) as url:
        with pytest.raises(ProviderResponseInvalid):
            await SocialSecuritySoapAdapter.connect(f"{url}/ws?wsdl", timeout=1.0)
