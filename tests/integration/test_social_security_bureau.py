"""The emulated SOAP bureau served over real HTTP, called through its declarative mapping."""

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

from contracts.social_security import ContributionHistoryQuery
from hub.entrypoints.http.asgi_server import serve_asgi
from simulations.departments import SOCIAL_SECURITY_MAPPING
from simulations.social_security_bureau import BureauBehaviour, create_app
from translation.errors import ProviderFault, ProviderResponseInvalid, ProviderUnavailable
from translation.mapping import ProviderRequestInvalid, load_mapping
from translation.mapping.compiled import CompiledMapping
from translation.mapping.soap_provider import SoapMappingProvider

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
BUREAU_NS = "http://bureau.social-security.example/ws/2004"


def query(national_id: str = "19800101-1234", start: str = "2010-01-01",
          end: str = "2030-12-31") -> ContributionHistoryQuery:
    return ContributionHistoryQuery(
        national_id=national_id, period_start=dt.date.fromisoformat(start),
        period_end=dt.date.fromisoformat(end),
    )


@pytest.fixture(scope="module")
def mapping() -> CompiledMapping:
    return load_mapping(SOCIAL_SECURITY_MAPPING)


@pytest.fixture
def behaviour() -> BureauBehaviour:
    return BureauBehaviour()


@pytest.fixture
async def bureau_url(behaviour: BureauBehaviour) -> AsyncIterator[str]:
    async with serve_asgi(create_app(behaviour), name="social-security-bureau") as url:
        yield url


@pytest.fixture
async def adapter(bureau_url: str, mapping: CompiledMapping
                  ) -> AsyncIterator[SoapMappingProvider]:
    async with await SoapMappingProvider.connect(
        mapping, f"{bureau_url}/ws/insurance?wsdl", timeout=2.0
    ) as connected:
        yield connected


def canned(status: int, body: bytes) -> Starlette:
    """A stand-in bureau that answers every POST with ``body`` (for answers the real one
    never gives)."""
    async def answer(_request: Request) -> Response:
        return Response(body, status, media_type="text/xml; charset=utf-8")

    return Starlette(routes=[Route("/ws", answer, methods=["POST"])])


def envelope(body: str) -> bytes:
    return (f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>{body}</soap:Body>'
            "</soap:Envelope>").encode()


RECORD = ('<GetInsuranceRecordResponse xmlns="{ns}"><Holder><PersNo>{pers_no}</PersNo>'
          "<Surname>Andersson</Surname><Forenames>Maria Elena</Forenames>"
          "<BirthDt>01.01.1980</BirthDt></Holder><Period><EmplNo>1</EmplNo>"
          "<EmplName>Harbour Logistics Ltd</EmplName><BeginDt>{begin}</BeginDt>"
          "<EndDt>00.00.0000</EndDt><ContribBaseCents>100</ContribBaseCents><Curr>EUR</Curr>"
          "</Period><ExtractDt>28.11.2026</ExtractDt></GetInsuranceRecordResponse>")


def record(pers_no: str = "19800101-1234", begin: str = "01.01.2016") -> str:
    return RECORD.format(ns=BUREAU_NS, pers_no=pers_no, begin=begin)


async def test_served_wsdl_gives_the_real_address(
    bureau_url: str, adapter: SoapMappingProvider
) -> None:
    """The address is read from the served WSDL, whose soap:address the bureau rewrites."""
    assert adapter.endpoint == f"{bureau_url}/ws/insurance"
    async with httpx.AsyncClient() as http:
        wsdl = (await http.get(f"{bureau_url}/ws/insurance?wsdl")).text
    assert "bureau.invalid" not in wsdl


async def test_direct_address_is_used_as_given(bureau_url: str, mapping: CompiledMapping) -> None:
    """An endpoint without ?wsdl is the SOAP address itself; no WSDL is fetched."""
    async with await SoapMappingProvider.connect(mapping, f"{bureau_url}/ws/insurance") as direct:
        history = await direct.call(query(), correlation_id="c")
    assert history.person.family_name == "Andersson"


async def test_answer_is_mapped_into_the_contract(
    adapter: SoapMappingProvider, behaviour: BureauBehaviour
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
    adapter: SoapMappingProvider,
) -> None:
    """Periods are filtered to those overlapping period_start..period_end."""
    history = await adapter.call(query("19751224-5678", "2001-06-01", "2002-01-01"),
                                 correlation_id="c")
    assert [(p.start.year, p.currency) for p in history.periods] == [(1998, "DEM"), (2002, "EUR")]


async def test_person_without_periods_has_an_empty_history(
    adapter: SoapMappingProvider,
) -> None:
    """A registered person never insured answers with no periods."""
    history = await adapter.call(query("20010707-1357"), correlation_id="c")
    assert history.periods == []


async def test_concurrent_calls_carry_their_own_correlation_ids(
    adapter: SoapMappingProvider, behaviour: BureauBehaviour
) -> None:
    """Each concurrent call sends its own X-Correlation-Id header."""
    ids = [f"corr-{n}" for n in range(5)]
    await asyncio.gather(*(adapter.call(query(), correlation_id=i) for i in ids))
    assert sorted(behaviour.correlation_ids) == ids


async def test_unknown_person_is_a_non_retryable_fault(adapter: SoapMappingProvider) -> None:
    """soap:Client 'no insured person' becomes ProviderFault(retryable=False)."""
    with pytest.raises(ProviderFault) as caught:
        await adapter.call(query("19990909-4321"), correlation_id="c")
    assert caught.value.retryable is False
    assert "no insured person with PersNo 19990909-4321" in caught.value.message


async def test_request_the_legacy_schema_refuses_is_not_sent(
    adapter: SoapMappingProvider, behaviour: BureauBehaviour
) -> None:
    """A national id outside the legacy PersNo pattern fails the bureau's XSD before sending."""
    with pytest.raises(ProviderRequestInvalid) as caught:
        await adapter.call(query("AB-1234567"), correlation_id="c")
    assert caught.value.retryable is False
    assert "PersNo" in caught.value.message
    assert [issue.path for issue in caught.value.issues] == ["/GetInsuranceRecordRequest/PersNo"]
    assert caught.value.issues[0].field == "national_id"
    assert behaviour.calls == 0


async def test_server_fault_is_retryable_and_passes(
    adapter: SoapMappingProvider, behaviour: BureauBehaviour
) -> None:
    """An injected soap:Server fault is ProviderFault(retryable=True); the next call succeeds."""
    behaviour.server_faults_next = 1
    with pytest.raises(ProviderFault) as caught:
        await adapter.call(query(), correlation_id="c")
    assert caught.value.retryable is True
    assert "soap:Server" in caught.value.message
    assert (await adapter.call(query(), correlation_id="c")).person.family_name == "Andersson"


async def test_garbage_answer_is_invalid(
    adapter: SoapMappingProvider, behaviour: BureauBehaviour
) -> None:
    """Non-XML bytes with HTTP 200 become ProviderResponseInvalid naming the whole document."""
    behaviour.garbage_next = 1
    with pytest.raises(ProviderResponseInvalid) as caught:
        await adapter.call(query(), correlation_id="c")
    assert [issue.path for issue in caught.value.issues] == ["$"]


async def test_answer_breaking_the_legacy_schema_names_the_element(
    mapping: CompiledMapping,
) -> None:
    """An answer the bureau's XSD refuses is ProviderResponseInvalid at the legacy path."""
    body = envelope(record(begin="2016-01-01"))
    async with serve_asgi(canned(200, body)) as url, \
            await SoapMappingProvider.connect(mapping, f"{url}/ws") as adapter:
        with pytest.raises(ProviderResponseInvalid) as caught:
            await adapter.call(query(), correlation_id="c")
    (issue,) = caught.value.issues
    assert (issue.path, issue.field) == ("/GetInsuranceRecordResponse/Period[1]/BeginDt",
                                         "periods.0.start")


async def test_answer_about_another_person_is_invalid(mapping: CompiledMapping) -> None:
    """[response.match]: an answer whose PersNo differs from the question is refused."""
    body = envelope(record(pers_no="19751224-5678"))
    async with serve_asgi(canned(200, body)) as url, \
            await SoapMappingProvider.connect(mapping, f"{url}/ws") as adapter:
        with pytest.raises(ProviderResponseInvalid) as caught:
            await adapter.call(query(), correlation_id="c")
    (issue,) = caught.value.issues
    assert (issue.path, issue.code) == ("/GetInsuranceRecordResponse/Holder/PersNo", "mismatch")


@pytest.mark.parametrize(("status", "retryable"), [(503, True), (429, True), (404, False)])
async def test_http_error_without_a_fault_follows_the_status(
    mapping: CompiledMapping, status: int, retryable: bool
) -> None:
    """A non-SOAP error page is a ProviderFault, retryable only for 5xx and 429."""
    async with serve_asgi(canned(status, b"<html>busy</html>")) as url, \
            await SoapMappingProvider.connect(mapping, f"{url}/ws") as adapter:
        with pytest.raises(ProviderFault) as caught:
            await adapter.call(query(), correlation_id="c")
    assert caught.value.retryable is retryable
    assert str(status) in caught.value.message


async def test_slow_bureau_is_unavailable(bureau_url: str, behaviour: BureauBehaviour,
                                          mapping: CompiledMapping) -> None:
    """An answer slower than the adapter's timeout becomes ProviderUnavailable."""
    async with await SoapMappingProvider.connect(
        mapping, f"{bureau_url}/ws/insurance?wsdl", timeout=0.15
    ) as impatient:
        behaviour.delay_s = 0.5
        with pytest.raises(ProviderUnavailable):
            await impatient.call(query(), correlation_id="c")


async def test_stopped_bureau_is_unavailable(behaviour: BureauBehaviour,
                                             mapping: CompiledMapping) -> None:
    """A bureau that stopped after the WSDL was read refuses connections: ProviderUnavailable."""
    async with serve_asgi(create_app(behaviour)) as url:
        adapter = await SoapMappingProvider.connect(mapping, f"{url}/ws/insurance?wsdl")
    try:
        with pytest.raises(ProviderUnavailable):
            await adapter.call(query(), correlation_id="c")
    finally:
        await adapter.aclose()


async def test_unreachable_wsdl_is_unavailable(mapping: CompiledMapping) -> None:
    """Connecting through the WSDL of a bureau that is not running raises ProviderUnavailable."""
    async with serve_asgi(create_app()) as url:
        pass
    with pytest.raises(ProviderUnavailable):
        await SoapMappingProvider.connect(mapping, f"{url}/ws/insurance?wsdl", timeout=1.0)


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


async def test_answer_with_a_doctype_is_refused_unread(mapping: CompiledMapping) -> None:
    """The hardened parser refuses an answer carrying a DOCTYPE: ProviderResponseInvalid."""
    async with serve_asgi(canned(200, XXE)) as url, \
            await SoapMappingProvider.connect(mapping, f"{url}/ws") as adapter:
        with pytest.raises(ProviderResponseInvalid) as caught:
            await adapter.call(query(), correlation_id="c")
    assert caught.value.issues[0].code == "dtd-forbidden"


async def test_wsdl_with_a_doctype_is_refused_by_the_adapter(mapping: CompiledMapping) -> None:
    """A served WSDL carrying a DOCTYPE is refused when the adapter reads its address."""
    async def hostile_wsdl(_request: Request) -> Response:
        return Response(b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "x">]>'
                        b'<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"/>',
                        media_type="text/xml")

    app = Starlette(routes=[Route("/ws", hostile_wsdl)])
    async with serve_asgi(app) as url:
        with pytest.raises(ProviderResponseInvalid):
            await SoapMappingProvider.connect(mapping, f"{url}/ws?wsdl", timeout=1.0)
