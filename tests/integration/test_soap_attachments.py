"""Attachments at the hub's own /soap ingress, against a RUNNING hub.

Real parts: the hub (embedded nats-server with JetStream and the region's Object Store,
SQLite ledger, HTTP), the emulated Diploma Registry behind it (MTOM), and a raw
``multipart/related`` client (httpx, the package written by hand as a legacy client does).
The client's query carries the diploma as an attachment: it is supplied through the door,
sent on to the registry, and the decision comes back — as an MTOM part when the client spoke
MTOM, as an id when it spoke SwA.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from uuid import UUID

import httpx
import pytest
from lxml import etree

from hub.domain.document import Document, DocumentRefusal
from hub.domain.exchange import Status
from hub.entrypoints.serve import Hub
from hub.settings import HubSettings
from simulations.diploma_registry.app import Registry, decision_pdf
from tests.integration.diploma_fixtures import (
    CLIENT,
    PROVIDER,
    PURPOSE,
    bearer,
    diploma_hub,
    events,
    outage,
    registry,
)
from tests.integration.documents_fixtures import ANDERSSON, pdf
from translation.mime_related import RelatedReader

__all__ = ["outage", "registry"]  # fixtures

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
CONTRACTS_NS = "urn:interop-hub:contracts:1"
XOP_NS = "http://www.w3.org/2004/08/xop/include"
BOUNDARY = "client-boundary-7f3a"


@pytest.fixture
async def hub(hub_settings: HubSettings, registry: tuple[Registry, str]) -> AsyncIterator[Hub]:
    async with diploma_hub(hub_settings, registry[1], "mtom") as running:
        yield running


def query(diploma: bytes, *, mtom: bool, cid: str = "diploma@client",
          media_type: str = "application/pdf") -> tuple[bytes, str]:
    """A DiplomaVerificationQuery package, as a legacy client writes it; and its type."""
    reference = (f'<xop:Include xmlns:xop="{XOP_NS}" href="cid:diploma@client"/>' if mtom
                 else "cid:diploma@client")
    envelope = (f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>'
                f'<c:DiplomaVerificationQuery xmlns:c="{CONTRACTS_NS}">'
                f"<c:national_id>{ANDERSSON}</c:national_id><c:diploma>{reference}</c:diploma>"
                "</c:DiplomaVerificationQuery></soap:Body></soap:Envelope>")
    root_type = "application/xop+xml" if mtom else "text/xml"
    root_headers = ('Content-Type: application/xop+xml; charset=UTF-8; type="text/xml"'
                    if mtom else "Content-Type: text/xml; charset=UTF-8")
    body = (f"--{BOUNDARY}\r\n{root_headers}\r\nContent-ID: <root@client>\r\n\r\n{envelope}"
            f"\r\n--{BOUNDARY}\r\nContent-Type: {media_type}\r\n"
            f"Content-Transfer-Encoding: binary\r\nContent-ID: <{cid}>\r\n\r\n"
            ).encode() + diploma + f"\r\n--{BOUNDARY}--\r\n".encode()
    content_type = (f'multipart/related; type="{root_type}"; boundary="{BOUNDARY}"; '
                    'start="<root@client>"' + ('; start-info="text/xml"' if mtom else ""))
    return body, content_type


def headers(hub: Hub, content_type: str) -> dict[str, str]:
    return {**bearer(hub), "X-Hub-Purpose": PURPOSE, "Content-Type": content_type,
            "SOAPAction": '""'}


def to_provider(hub: Hub) -> list[tuple[UUID, str]]:
    return [(d.originator_id, d.exchange_id) for d in events(hub, Document.Disclosed.TOPIC)
            if isinstance(d, Document.Disclosed) and d.recipient == PROVIDER]


async def test_an_mtom_query_sends_its_attachment_and_is_answered_in_mtom(
    hub: Hub, registry: tuple[Registry, str],
) -> None:
    """The diploma part is supplied by the client and reaches the registry whole; the answer
    is an MTOM package whose decision element includes the decision's part, byte for byte."""
    received, _ = registry
    diploma = pdf(b"% diploma sent over /soap\n", pad=300_000)
    body, content_type = query(diploma, mtom=True)
    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client, client.stream(
            "POST", "/soap", content=body, headers=headers(hub, content_type)) as answered:
        assert answered.status_code == 200, (await answered.aread()).decode()
        assert answered.headers["content-type"].startswith("multipart/related")
        exchange_id = answered.headers["X-Exchange-Id"]
        reader = RelatedReader(answered.headers["content-type"], answered.aiter_bytes(),
                               root_limit=1 << 20, part_limit=64 << 20)
        envelope = etree.fromstring(await reader.root())
        parts = {}
        async for part in reader.parts():
            parts[part.content_id] = (part.media_type, b"".join([c async for c in part.chunks]))
    verification = envelope.find(f"{{{SOAP_NS}}}Body/{{{CONTRACTS_NS}}}DiplomaVerification")
    assert verification is not None
    assert verification.findtext(f"{{{CONTRACTS_NS}}}verdict") == "authentic"
    include = verification.find(f"{{{CONTRACTS_NS}}}decision/{{{XOP_NS}}}Include")
    assert include is not None
    cid = include.get("href", "").removeprefix("cid:")
    decision_id = cid.removesuffix("@interop-hub")
    digest = hashlib.sha256(diploma).hexdigest()
    assert parts == {cid: ("application/pdf", decision_pdf(digest))}
    assert received.received == [(digest, "application/pdf")]
    supplied = {s.document_id: s for s in events(hub, Document.Supplied.TOPIC)
                if isinstance(s, Document.Supplied)}
    (diploma_id,) = [i for i, s in supplied.items() if s.supplier == CLIENT]
    assert supplied[diploma_id].sha256 == digest
    assert supplied[decision_id].supplier == PROVIDER
    assert to_provider(hub) == [(UUID(diploma_id), exchange_id)]
    to_client = [(d.originator_id, d.exchange_id) for d in events(hub, Document.Disclosed.TOPIC)
                 if isinstance(d, Document.Disclosed) and d.recipient == CLIENT]
    assert to_client == [(UUID(decision_id), exchange_id)]


async def test_a_swa_query_is_answered_with_the_decisions_id(
    hub: Hub, registry: tuple[Registry, str],
) -> None:
    """SwA in, a plain envelope out: the decision element holds the stored decision's id."""
    received, _ = registry
    diploma = pdf(b"% diploma sent as swaRef\n")
    body, content_type = query(diploma, mtom=False)
    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
        answered = await client.post("/soap", content=body, headers=headers(hub, content_type))
    assert answered.status_code == 200, answered.text
    assert answered.headers["content-type"].startswith("text/xml")
    decision_id = etree.fromstring(answered.content).findtext(
        f".//{{{CONTRACTS_NS}}}decision")
    (decision,) = [s for s in events(hub, Document.Supplied.TOPIC)
                   if isinstance(s, Document.Supplied) and s.document_id == decision_id]
    digest = hashlib.sha256(diploma).hexdigest()
    assert decision.sha256 == hashlib.sha256(decision_pdf(digest)).hexdigest()
    assert received.received == [(digest, "application/pdf")]


async def test_refusals_are_recorded_faults(hub: Hub, registry: tuple[Registry, str]) -> None:
    """An executable at the door: a Fault naming it and its recorded DocumentRefusal. A part
    the envelope does not refer to: a Fault recorded as a rejected exchange. Nothing reaches
    the registry."""
    received, _ = registry
    exe, exe_type = query(b"MZ\x90\x00" + b"\x00" * 200, mtom=True,
                          media_type="application/pdf")
    wrong, wrong_type = query(pdf(), mtom=False, cid="other@client")
    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
        refused = await client.post("/soap", content=exe, headers=headers(hub, exe_type))
        mismatched = await client.post("/soap", content=wrong, headers=headers(hub, wrong_type))
    assert refused.status_code == 415  # an HTTP-layer status, kept as /soap/documents does
    assert refused.headers["content-type"].startswith("text/xml")
    assert b"Fault" in refused.content and b"document-media-type" in refused.content
    (refusal,) = events(hub, DocumentRefusal.Refused.TOPIC)
    assert isinstance(refusal, DocumentRefusal.Refused)
    assert (str(refusal.originator_id), refusal.code, refusal.supplier) == (
        refused.headers["X-Refusal-Id"], "document-media-type", CLIENT)
    assert mismatched.status_code == 500 and b"soap-attachment" in mismatched.content
    assert b"cid:diploma@client" in mismatched.content
    rejected = hub.ledger.get(UUID(mismatched.headers["X-Exchange-Id"]))
    assert rejected.status is Status.REJECTED
    assert received.received == [] and to_provider(hub) == []
