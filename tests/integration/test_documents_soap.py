"""Documents at the SOAP edge against a running region hub: supplied as MTOM/XOP and as SOAP
with Attachments (swaRef) by a raw multipart client, fetched back as MTOM, refusals as
recorded Faults."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import os
from collections.abc import AsyncIterator

import httpx
import pytest
from lxml import etree

from hub.domain.document import DocumentRefusal
from hub.entrypoints.serve import Hub
from hub.settings import HubSettings
from tests.integration.documents_fixtures import ANDERSSON, pdf
from tests.integration.hub_fixtures import PURPOSE, department_token, running_region

NS = "urn:interop-hub:documents:1"
XOP = "http://www.w3.org/2004/08/xop/include"
SERVICE = "north/social-security/contribution-history"
TAX, OWNER = "north/tax", "north/social-security"


@pytest.fixture
async def hub(hub_settings: HubSettings) -> AsyncIterator[Hub]:
    async with running_region(hub_settings) as region:
        yield region.hub


def _envelope(content: str, operation: str = "SupplyDocument") -> str:
    return (f'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
            f'xmlns:d="{NS}" xmlns:xop="{XOP}"><soap:Body><d:{operation}>'
            f"<d:service>{SERVICE}</d:service><d:purpose>{PURPOSE}</d:purpose>"
            f"<d:subject>{ANDERSSON}</d:subject><d:content>{content}</d:content>"
            f"</d:{operation}></soap:Body></soap:Envelope>")


def _package(root_type: str, envelope: str, data: bytes, cid: str = "cert@client"
             ) -> tuple[bytes, str]:
    """A multipart/related package as SwA / MTOM clients send it: envelope, then the file."""
    boundary = "uuid:" + os.urandom(8).hex()
    root_part_type = ('application/xop+xml; charset=UTF-8; type="text/xml"'
                      if root_type == "application/xop+xml" else "text/xml; charset=UTF-8")
    body = (f"--{boundary}\r\nContent-Type: {root_part_type}\r\n"
            f"Content-Transfer-Encoding: 8bit\r\nContent-ID: <root@client>\r\n\r\n"
            f"{envelope}\r\n--{boundary}\r\nContent-Type: application/pdf\r\n"
            f"Content-Transfer-Encoding: binary\r\nContent-ID: <{cid}>\r\n\r\n").encode()
    body += data + f"\r\n--{boundary}--\r\n".encode()
    content_type = (f'multipart/related; type="{root_type}"; boundary="{boundary}"; '
                    'start="<root@client>"')
    return body, content_type


def _headers(hub: Hub, department: str, content_type: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {department_token(hub, department)}",
            "Content-Type": content_type}


def _answer(reply: httpx.Response, element: str) -> dict[str, str]:
    body = etree.fromstring(reply.content).find(
        "{http://schemas.xmlsoap.org/soap/envelope/}Body")
    assert body is not None
    answer = body.find(f"{{{NS}}}{element}")
    assert answer is not None, reply.text
    return {etree.QName(child).localname: child.text or "" for child in answer}


async def test_mtom_and_swa_supplies_are_stored_and_fetched_back_as_mtom(hub: Hub) -> None:
    """An MTOM xop:Include and a SwA swaRef both supply the attachment; the recipient of a
    link fetches it as an MTOM package whose xop:Include names the part holding the bytes."""
    data = pdf(pad=400_000)
    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
        mtom, mtom_type = _package("application/xop+xml",
                                   _envelope('<xop:Include href="cid:cert%40client"/>'), data)
        supplied = await client.post("/soap/documents", content=mtom,
                                     headers=_headers(hub, TAX, mtom_type))
        assert supplied.status_code == 200, supplied.text
        mtom_answer = _answer(supplied, "SupplyDocumentResponse")
        swa, swa_type = _package("text/xml", _envelope("cid:cert@client"), data)
        by_swa = await client.post("/soap/documents", content=swa,
                                   headers=_headers(hub, TAX, swa_type))
        assert by_swa.status_code == 200, by_swa.text
        swa_answer = _answer(by_swa, "SupplyDocumentResponse")
        assert mtom_answer["sha256"] == swa_answer["sha256"] == hashlib.sha256(data).hexdigest()
        assert mtom_answer["media_type"] == "application/pdf"
        link = await client.post(f"/documents/{mtom_answer['document_id']}/links",
                                 headers={"Authorization":
                                          f"Bearer {department_token(hub, TAX)}"},
                                 json={"recipient": OWNER, "purpose": PURPOSE})
        token = link.json()["token"]
        fetch = (f'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
                 f'xmlns:d="{NS}"><soap:Body><d:FetchDocument><d:token>{token}</d:token>'
                 "</d:FetchDocument></soap:Body></soap:Envelope>")
        fetched = await client.post("/soap/documents", content=fetch.encode(),
                                    headers=_headers(hub, OWNER, "text/xml; charset=utf-8"))
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["content-type"].startswith("multipart/related")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + fetched.headers["content-type"].encode() + b"\r\n\r\n"
        + fetched.content)
    root, part = list(message.iter_parts())
    answer = etree.fromstring(root.get_payload(decode=True)).find(
        f".//{{{NS}}}FetchDocumentResponse")
    assert answer is not None
    include = answer.find(f"{{{NS}}}content/{{{XOP}}}Include")
    assert include is not None
    assert include.get("href") == "cid:" + part["Content-ID"].strip("<>")
    assert part.get_payload(decode=True) == data
    assert answer.findtext(f"{{{NS}}}sha256") == hashlib.sha256(data).hexdigest()


async def test_soap_refusals_are_faults_naming_the_reason_and_recorded(hub: Hub) -> None:
    """A zip attachment is refused at the door (recorded as DocumentRefusal); an envelope
    naming another Content-ID than the attachment's is refused as a request error."""
    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
        zipped, zip_type = _package("application/xop+xml",
                                    _envelope('<xop:Include href="cid:cert@client"/>'),
                                    b"PK\x03\x04" + os.urandom(3000))
        refused = await client.post("/soap/documents", content=zipped,
                                    headers=_headers(hub, TAX, zip_type))
        wrong, wrong_type = _package("text/xml", _envelope("cid:other@client"), pdf())
        mismatched = await client.post("/soap/documents", content=wrong,
                                       headers=_headers(hub, TAX, wrong_type))
    assert refused.status_code in (415, 500)
    assert b"document-media-type" in refused.content and b"application/zip" in refused.content
    (recorded,) = [hub.ledger.mapper.to_domain_event(n) for n in hub.ledger.notifications(
        1, 10_000, (DocumentRefusal.Refused.TOPIC,))]
    assert refused.headers["X-Refusal-Id"] == str(recorded.originator_id)
    assert b"soap-document-request" in mismatched.content
    assert b"cid:other@client" in mismatched.content
    assert mismatched.headers["X-Exchange-Id"]  # recorded as a rejected exchange


async def test_a_supply_whose_part_headers_span_network_reads_names_its_part(hub: Hub) -> None:
    """The attachment's Content-ID is read whole even when its headers arrive in pieces (the
    package sent 7 bytes at a time): the part the envelope names is found and stored."""
    data = pdf(b"% small\n")
    body, content_type = _package("application/xop+xml",
                                  _envelope('<xop:Include href="cid:cert%40client"/>'), data)

    async def trickle() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 7):
            yield body[start:start + 7]

    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
        supplied = await client.post("/soap/documents", content=trickle(),
                                     headers=_headers(hub, TAX, content_type))
    assert supplied.status_code == 200, supplied.text
    assert _answer(supplied, "SupplyDocumentResponse")["sha256"] == hashlib.sha256(
        data).hexdigest()
