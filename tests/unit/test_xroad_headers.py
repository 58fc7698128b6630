"""X-Road 4.0 headers are read, checked, rendered and echoed; X-Road clients map explicitly."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from translation.soap_envelope import build_envelope, parse_envelope
from translation.xroad_headers import (
    IDENTIFIERS_NS,
    XROAD_NS,
    UnknownXRoadClient,
    XRoadClientId,
    XRoadClientTable,
    XRoadHeaderError,
    XRoadHeaders,
    XRoadServiceId,
    echo_headers,
)

CLIENT = XRoadClientId("DEV", "COM", "4321", "TestClient")
SERVICE = XRoadServiceId("DEV", "COM", "1234", "TestService", "getRandom", "v1")


def _headers(inner: str) -> tuple[etree._Element, ...]:
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:xrd="{XROAD_NS}" xmlns:iden="{IDENTIFIERS_NS}"><s:Header>{inner}</s:Header>'
        "<s:Body><x/></s:Body></s:Envelope>"
    )
    return parse_envelope(envelope.encode()).headers


CLIENT_XML = (
    '<xrd:client iden:objectType="SUBSYSTEM"><iden:xRoadInstance>DEV</iden:xRoadInstance>'
    "<iden:memberClass>COM</iden:memberClass><iden:memberCode>4321</iden:memberCode>"
    "<iden:subsystemCode>TestClient</iden:subsystemCode></xrd:client>"
)
SERVICE_XML = (
    '<xrd:service iden:objectType="SERVICE"><iden:xRoadInstance>DEV</iden:xRoadInstance>'
    "<iden:memberClass>COM</iden:memberClass><iden:memberCode>1234</iden:memberCode>"
    "<iden:subsystemCode>TestService</iden:subsystemCode>"
    "<iden:serviceCode>getRandom</iden:serviceCode><iden:serviceVersion>v1</iden:serviceVersion>"
    "</xrd:service>"
)
REST = "<xrd:id>m-1</xrd:id><xrd:protocolVersion>4.0</xrd:protocolVersion>"


def test_headers_are_read_into_identifiers() -> None:
    """Client, service, id and protocol version become typed values; optional ones stay None."""
    headers = XRoadHeaders.from_soap(_headers(CLIENT_XML + SERVICE_XML + REST))
    assert headers == XRoadHeaders(CLIENT, SERVICE, "m-1", "4.0")
    assert str(CLIENT) == "DEV/COM/4321/TestClient"
    assert str(SERVICE) == "SERVICE:DEV/COM/1234/TestService/getRandom/v1"
    assert SERVICE.unversioned().service_version is None


def test_a_message_without_xroad_headers_reads_as_none() -> None:
    """Headers of other namespaces (the hub's own) mean: not an X-Road message."""
    headers = _headers('<hub:client xmlns:hub="urn:interop-hub:envelope:1">north/tax</hub:client>')
    assert XRoadHeaders.from_soap(headers) is None


@pytest.mark.parametrize(
    ("inner", "path", "code"),
    [
        (SERVICE_XML + REST, "/Envelope/Header/xrd:client", "xroad-header-missing"),
        (
            CLIENT_XML + SERVICE_XML + "<xrd:id>m-1</xrd:id>",
            "/Envelope/Header/xrd:protocolVersion",
            "xroad-header-missing",
        ),
        (
            CLIENT_XML + SERVICE_XML + REST.replace("4.0", "3.1"),
            "/Envelope/Header/xrd:protocolVersion",
            "xroad-protocol-version",
        ),
        (
            CLIENT_XML.replace("<iden:memberCode>4321</iden:memberCode>", "") + SERVICE_XML + REST,
            "/Envelope/Header/xrd:client/iden:memberCode",
            "xroad-header-missing",
        ),
        (
            CLIENT_XML.replace("SUBSYSTEM", "SERVICE") + SERVICE_XML + REST,
            "/Envelope/Header/xrd:client/@iden:objectType",
            "xroad-header-invalid",
        ),
        (
            CLIENT_XML + SERVICE_XML + REST.replace("m-1", " "),
            "/Envelope/Header/xrd:id",
            "xroad-header-empty",
        ),
    ],
)
def test_incomplete_or_foreign_headers_are_named(inner: str, path: str, code: str) -> None:
    """Each missing code, wrong object type, empty id or other version is an issue with its path."""
    with pytest.raises(XRoadHeaderError) as caught:
        XRoadHeaders.from_soap(_headers(inner))
    assert (path, code) in [(i.path, i.code) for i in caught.value.issues]


def test_rendered_headers_read_back_the_same() -> None:
    """to_elements writes what from_soap reads, in X-Road's order, optional ones included."""
    headers = XRoadHeaders(CLIENT, SERVICE, "m-2", user_id="EE1", issue="case-9")
    body = etree.Element("x")
    parsed = parse_envelope(build_envelope(body, headers.to_elements()))
    assert XRoadHeaders.from_soap(parsed.headers) == headers
    assert [etree.QName(h).localname for h in parsed.headers] == [
        "client",
        "service",
        "id",
        "userId",
        "issue",
        "protocolVersion",
    ]
    member = XRoadHeaders(XRoadClientId("DEV", "GOV", "7"), SERVICE, "m-3").to_elements()[0]
    assert member.get(f"{{{IDENTIFIERS_NS}}}objectType") == "MEMBER"


def test_the_samples_echo_exactly_what_was_sent(shared_external: Path) -> None:
    """echo_headers copies the sample's X-Road headers verbatim, nothing else."""
    for name in ("getRandom.xml", "helloService.xml"):
        sent = parse_envelope((shared_external / "xroad-messages" / name).read_bytes()).headers
        echoed = echo_headers([*sent, etree.Element("{urn:other}extra")])
        assert [_c14n(e) for e in echoed] == [_c14n(e) for e in sent]
        headers = XRoadHeaders.from_soap(sent)
        assert headers is not None and headers.client == CLIENT and headers.id == "_REQUEST_ID_"


def _c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


def test_client_table_maps_known_clients_and_refuses_the_rest() -> None:
    """Only listed X-Road clients map onto departments; others are refused, saying how to add."""
    table = XRoadClientTable({"DEV/COM/4321/TestClient": "north/test-client"})
    assert table.department(CLIENT) == "north/test-client"
    with pytest.raises(UnknownXRoadClient) as caught:
        table.department(XRoadClientId("DEV", "COM", "4321"))
    assert "HUB_XROAD_CLIENTS" in caught.value.message
    assert caught.value.issues[0].field == "client"
    with pytest.raises(ValueError, match="INSTANCE/CLASS/CODE"):
        XRoadClientTable({"DEV/COM": "north/x"})
