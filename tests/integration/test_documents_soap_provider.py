"""The hub as a SOAP client sending documents to a legacy provider as attachments, and storing
the documents it answers with.

Real parts: the emulated Diploma Registry (aiohttp on a loopback port) speaking MTOM or SOAP
with Attachments, the SOAP provider adapter driven by the shipped mappings, a nats-server with
JetStream holding the region's documents, the ledger on SQLite and the access policy.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from contracts.education import DiplomaVerification, DiplomaVerificationQuery
from hub.adapters.nats.server import NatsServerProcess
from hub.adapters.store.ledger import Ledger
from hub.domain.document import Document, DocumentRefusal
from hub.service_layer.documents.attachments import DocumentSubjectMismatch, ExchangeDocuments
from hub.service_layer.documents.supply import Documents, Supply
from simulations.diploma_registry.app import LARGE, PATH, Registry, decision_pdf, registry_app
from tests.integration.documents_fixtures import (
    ANDERSSON,
    BRANDT,
    OWNER,
    SERVICE_ID,
    SUPPLIER,
    blocks,
    documents_parts,
    pdf,
)
from translation.errors import ProviderFault, ProviderResponseInvalid
from translation.mapping.errors import ProviderRequestInvalid
from translation.mapping.soap_provider import SoapMappingProvider

MAPPINGS = Path(__file__).parents[2] / "simulations" / "mappings"
PURPOSE = "benefit"


@pytest.fixture
async def registry() -> AsyncIterator[tuple[Registry, str]]:
    """The emulated registry on a free loopback port, and its address."""
    received = Registry()
    runner = web.AppRunner(registry_app(received))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield received, f"http://127.0.0.1:{port}{PATH}"
    finally:
        await runner.cleanup()


def _exchange(documents: Documents) -> ExchangeDocuments:
    return ExchangeDocuments(documents, client=SUPPLIER, provider=OWNER, service=SERVICE_ID,
                             purpose=PURPOSE, subject=ANDERSSON)


async def _read(documents: Documents, document_id: str) -> bytes:
    out = bytearray()
    async for chunk in await documents.open(documents.get(document_id)):
        out += chunk
    return bytes(out)


def _events(ledger: Ledger, topic: str) -> list[object]:
    return [ledger.mapper.to_domain_event(n) for n in ledger.notifications(1, 1000, (topic,))]


@pytest.mark.parametrize(("packaging", "answer"), [("mtom", "ok"), ("swa", "ok"),
                                                   ("mtom", "large"), ("swa", "large")])
async def test_a_document_goes_out_as_an_attachment_and_the_answered_one_is_stored(
    packaging: str, answer: str, ledger: Ledger, nats_server: NatsServerProcess,
    registry: tuple[Registry, str],
) -> None:
    """The diploma reaches the provider byte for byte (its digest), its disclosure to the
    provider is recorded, and the decision it answers with is stored as a new document
    supplied by the provider department, its id in the response."""
    received, address = registry
    diploma = pdf(b"% diploma\n", pad=600_000)  # several sealed chunks and network blocks
    async with documents_parts(ledger, nats_server.url) as parts:
        parts.documents.access.rights.grant(SUPPLIER, SERVICE_ID, [PURPOSE])
        supplied = await parts.documents.supply(
            Supply(SUPPLIER, SERVICE_ID, PURPOSE, ANDERSSON), blocks(diploma))
        mapping = MAPPINGS / f"education.diploma-verification-{packaging}.toml"
        async with await SoapMappingProvider.connect(mapping, f"{address}?answer={answer}"
                                                     ) as provider:
            verified = await provider.call(
                DiplomaVerificationQuery(national_id=ANDERSSON, diploma=supplied.document_id),
                correlation_id="c-1", attachments=_exchange(parts.documents))
        assert isinstance(verified, DiplomaVerification)
        digest = hashlib.sha256(diploma).hexdigest()
        assert received.received == [(digest, "application/pdf")]
        assert verified.verdict == "authentic" and verified.decision != supplied.document_id
        expected = decision_pdf(digest, pad=LARGE if answer == "large" else 0)
        assert await _read(parts.documents, verified.decision) == expected
    (disclosed,) = _events(ledger, Document.Disclosed.TOPIC)
    assert isinstance(disclosed, Document.Disclosed)
    assert (disclosed.originator_id.hex, disclosed.recipient, disclosed.purpose) == (
        supplied.document_id.replace("-", ""), OWNER, PURPOSE)
    decision = _events(ledger, Document.Supplied.TOPIC)[-1]
    assert isinstance(decision, Document.Supplied)
    assert (decision.document_id, decision.supplier, decision.service, decision.sha256,
            decision.data_subject) == (
        verified.decision, OWNER, SERVICE_ID, hashlib.sha256(expected).hexdigest(),
        supplied.data_subject)


@pytest.mark.parametrize(("packaging", "answer", "code"), [
    ("mtom", "missing-part", "attachment-unknown-cid"),
    ("swa", "unknown-cid", "attachment-unknown-cid"),
    ("mtom", "duplicate", "attachment-duplicate-id"),
    ("swa", "oversized", "attachment-too-large"),
    ("mtom", "exe", "document-media-type"),
])
async def test_a_wrong_answer_package_is_refused_with_its_reason(
    packaging: str, answer: str, code: str, ledger: Ledger, nats_server: NatsServerProcess,
    registry: tuple[Registry, str],
) -> None:
    """A part missing, a reference naming no part, two parts with one Content-ID, a part over
    the mapping's cap, a part of a media type the service refuses: each a ProviderResponseInvalid
    naming it; a door refusal is recorded, and no decision is stored."""
    _, address = registry
    async with documents_parts(ledger, nats_server.url) as parts:
        parts.documents.access.rights.grant(SUPPLIER, SERVICE_ID, [PURPOSE])
        supplied = await parts.documents.supply(
            Supply(SUPPLIER, SERVICE_ID, PURPOSE, ANDERSSON), blocks(pdf()))
        mapping = MAPPINGS / f"education.diploma-verification-{packaging}.toml"
        async with await SoapMappingProvider.connect(mapping, f"{address}?answer={answer}"
                                                     ) as provider:
            with pytest.raises(ProviderResponseInvalid) as raised:
                await provider.call(DiplomaVerificationQuery(
                    national_id=ANDERSSON, diploma=supplied.document_id),
                    correlation_id="c-2", attachments=_exchange(parts.documents))
    assert raised.value.issues[0].code == code, raised.value.issues
    assert len(_events(ledger, Document.Supplied.TOPIC)) == 1  # the diploma only
    refusals = _events(ledger, DocumentRefusal.Refused.TOPIC)
    assert [r.code for r in refusals] == (  # type: ignore[attr-defined]
        {"exe": ["document-media-type"], "oversized": ["attachment-too-large"]}.get(answer, []))


async def test_a_plain_fault_answer_is_a_provider_fault(
    ledger: Ledger, nats_server: NatsServerProcess, registry: tuple[Registry, str],
) -> None:
    """A provider that answers a multipart request with a plain SOAP Fault is read as one."""
    _, address = registry
    async with documents_parts(ledger, nats_server.url) as parts:
        parts.documents.access.rights.grant(SUPPLIER, SERVICE_ID, [PURPOSE])
        supplied = await parts.documents.supply(
            Supply(SUPPLIER, SERVICE_ID, PURPOSE, ANDERSSON), blocks(pdf()))
        mapping = MAPPINGS / "education.diploma-verification-swa.toml"
        async with await SoapMappingProvider.connect(mapping, f"{address}?answer=fault"
                                                     ) as provider:
            with pytest.raises(ProviderFault, match="closed for maintenance") as raised:
                await provider.call(DiplomaVerificationQuery(
                    national_id=ANDERSSON, diploma=supplied.document_id),
                    correlation_id="c-5", attachments=_exchange(parts.documents))
    assert not raised.value.retryable  # soap:Client: sending it again cannot help


async def test_a_document_about_another_person_is_not_sent(
    ledger: Ledger, nats_server: NatsServerProcess, registry: tuple[Registry, str],
) -> None:
    """A query about one person naming another's document is refused before anything is sent,
    and no disclosure is recorded."""
    received, address = registry
    async with documents_parts(ledger, nats_server.url) as parts:
        parts.documents.access.rights.grant(SUPPLIER, SERVICE_ID, [PURPOSE])
        hers = await parts.documents.supply(
            Supply(SUPPLIER, SERVICE_ID, PURPOSE, BRANDT), blocks(pdf()))
        mapping = MAPPINGS / "education.diploma-verification-mtom.toml"
        async with await SoapMappingProvider.connect(mapping, address) as provider:
            with pytest.raises(DocumentSubjectMismatch) as raised:
                await provider.call(DiplomaVerificationQuery(
                    national_id=ANDERSSON, diploma=hers.document_id),
                    correlation_id="c-3", attachments=_exchange(parts.documents))
            with pytest.raises(ProviderRequestInvalid):
                await provider.call(DiplomaVerificationQuery(
                    national_id=ANDERSSON, diploma=hers.document_id), correlation_id="c-4")
    assert raised.value.issues[0].field == "diploma"
    assert received.received == []
    assert not _events(ledger, Document.Disclosed.TOPIC)
