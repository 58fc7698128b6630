"""Documents supplied once: sealed per subject in the Object Store, events in the ledger.

Real parts: a nats-server with JetStream (the region's bucket), the ledger and key store on
SQLite, the access policy over recorded rights and consents.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

import pytest

from hub.adapters.crypto.keyring import SubjectKeyring
from hub.adapters.documents.errors import (
    ActiveContentRefused,
    DocumentErased,
    DocumentLinkRefused,
    DocumentNotFound,
    DocumentTooLarge,
    MediaTypeRefused,
)
from hub.adapters.documents.object_store import bucket_name
from hub.adapters.documents.sealing import PLAIN_CHUNK
from hub.adapters.nats.server import NatsServerProcess
from hub.adapters.projections.data_use_book import open_data_uses
from hub.adapters.store.ledger import Arrival, Ledger, Translation
from hub.domain.document import Document, DocumentRefusal
from hub.domain.errors import ExchangeNotFoundError
from hub.service_layer.audit import Auditor
from hub.service_layer.documents.policy import DocumentPolicy
from hub.service_layer.documents.supply import Supply
from hub.service_layer.documents.uploads import UploadAbandoned, Uploads
from hub.service_layer.privacy.erasure import forget_subject
from hub.service_layer.security.refusals import AccessDeniedError, ConsentRequiredError
from hub.service_layer.security.report import data_use_report
from tests.integration.documents_fixtures import (
    ANDERSSON,
    BRANDT,
    OWNER,
    SERVICE_ID,
    SUPPLIER,
    blocks,
    documents_parts,
    object_stream,
    pdf,
)

SUPPLY = Supply(SUPPLIER, SERVICE_ID, "benefit", ANDERSSON, declared_type="application/pdf")


async def _read(parts_documents, document: Document) -> bytes:  # type: ignore[no-untyped-def]
    out = bytearray()
    async for chunk in await parts_documents.open(document):
        out += chunk
    return bytes(out)


def _events(ledger: Ledger, topic: str) -> list[object]:
    return [ledger.mapper.to_domain_event(n) for n in ledger.notifications(1, 1000, (topic,))]


async def test_a_document_round_trips_sealed_and_is_recorded(
    ledger: Ledger, nats_server: NatsServerProcess
) -> None:
    """Several chunks in, the same bytes out; the store holds no plain byte; Supplied says all."""
    data = pdf(pad=2 * PLAIN_CHUNK + 1234)
    async with documents_parts(ledger, nats_server.url) as parts:
        parts.documents.access.rights.grant(SUPPLIER, SERVICE_ID, ["benefit"])
        document = await parts.documents.supply(SUPPLY, blocks(data))
        assert await _read(parts.documents, document) == data
        sealed = bytearray()
        async for chunk in parts.store.get(document.document_id):
            sealed += chunk
        stored = await parts.store.describe(document.document_id)
    assert b"\xff" * 64 not in sealed and len(sealed) == stored.size > len(data)
    assert stored.headers["Hub-Subject"] == document.data_subject
    (supplied,) = _events(ledger, Document.Supplied.TOPIC)
    assert isinstance(supplied, Document.Supplied)
    assert (supplied.media_type, supplied.size, supplied.sha256, supplied.supplier,
            supplied.purpose, supplied.bucket) == (
        "application/pdf", len(data), hashlib.sha256(data).hexdigest(), SUPPLIER, "benefit",
        bucket_name("north"))
    assert supplied.data_subject == ledger.keyring.ref_for(ANDERSSON)


@pytest.mark.parametrize(("data", "policy", "refusal", "code"), [
    (b"PK\x03\x04" + os.urandom(4000), None, MediaTypeRefused, "document-media-type"),
    (pdf(pad=5000), DocumentPolicy(max_bytes=4096), DocumentTooLarge, "document-too-large"),
    (pdf(b"3 0 obj\n<< /S /J#61vaScript /JS (app.alert(1)) >>\nendobj\n"), None,
     ActiveContentRefused, "javascript"),
    (pdf(object_stream(b"3 0 << /Type /Filespec /EF << /F 4 0 R >> /Type /EmbeddedFile >>")),
     None, ActiveContentRefused, "embedded-file"),
], ids=["zip-declared-as-pdf", "over-the-limit", "hex-escaped-javascript",
        "embedded-file-in-object-stream"])
async def test_refusals_at_the_door_are_recorded_and_store_nothing(
    ledger: Ledger, nats_server: NatsServerProcess, data: bytes, policy: DocumentPolicy | None,
    refusal: type[Exception], code: str,
) -> None:
    """Each refusal names its reason, is recorded as DocumentRefusal.Refused, stores no byte."""
    async with documents_parts(ledger, nats_server.url, policy) as parts:
        parts.documents.access.rights.grant(SUPPLIER, SERVICE_ID, ["benefit"])
        with pytest.raises(refusal) as raised:
            await parts.documents.supply(SUPPLY, blocks(data, 1000))
        status = await parts.store.objects.status()
    assert raised.value.issues[0].code == code  # type: ignore[attr-defined]
    assert status.stream_info.state.messages == 0
    (refused,) = _events(ledger, DocumentRefusal.Refused.TOPIC)
    assert isinstance(refused, DocumentRefusal.Refused)
    assert refused.code == raised.value.code  # type: ignore[attr-defined]
    assert refused.supplier == SUPPLIER and refused.reason
    assert not _events(ledger, Document.Supplied.TOPIC)


async def test_a_pdf_the_service_allows_javascript_in_is_accepted(
    ledger: Ledger, nats_server: NatsServerProcess
) -> None:
    """allow_pdf_javascript lets a scripted PDF through (an embedded file would still not)."""
    data = pdf(b"3 0 obj\n<< /S /JavaScript /JS (1) >>\nendobj\n")
    async with documents_parts(ledger, nats_server.url,
                               DocumentPolicy(allow_pdf_javascript=True)) as parts:
        parts.documents.access.rights.grant(SUPPLIER, SERVICE_ID, ["benefit"])
        document = await parts.documents.supply(SUPPLY, blocks(data))
        assert await _read(parts.documents, document) == data


async def test_a_supplier_without_a_right_is_refused_and_recorded(
    ledger: Ledger, nats_server: NatsServerProcess
) -> None:
    """Access is denied by default: no right on the service, no document, one refusal event."""
    async with documents_parts(ledger, nats_server.url) as parts:
        with pytest.raises(AccessDeniedError):
            await parts.documents.supply(SUPPLY, blocks(pdf()))
    (refused,) = _events(ledger, DocumentRefusal.Refused.TOPIC)
    assert refused.code == AccessDeniedError.code  # type: ignore[attr-defined]


async def test_forgetting_the_subject_erases_their_documents_and_audit_still_verifies(
    tmp_path: Path, store_url: str | None, store_ledger: Ledger,
    nats_server: NatsServerProcess,
) -> None:
    """After `subject forget` the document reads as erased, another's still opens, and the
    audit log over the stored events verifies across a checkpoint taken before (each event
    store back end)."""
    ledger = store_ledger
    auditor = Auditor(tmp_path / "hub", store_url, "north")  # store_ledger's data folder
    async with documents_parts(ledger, nats_server.url) as parts:
        parts.documents.access.rights.grant(SUPPLIER, SERVICE_ID, ["benefit"])
        hers = await parts.documents.supply(SUPPLY, blocks(pdf(b"% hers\n")))
        his = await parts.documents.supply(
            Supply(SUPPLIER, SERVICE_ID, "benefit", BRANDT), blocks(pdf(b"% his\n")))
        auditor.checkpoint()
        keyring: SubjectKeyring = ledger.keyring
        forget_subject(ledger, keyring, hers.data_subject)
        with pytest.raises(DocumentErased):
            await parts.documents.open(parts.documents.get(hers.document_id))
        assert await _read(parts.documents, parts.documents.get(his.document_id)) == pdf(
            b"% his\n")
    report = auditor.verify()
    assert report.ok, report.problems
    assert report.checkpoints == 1


def _exchange(ledger: Ledger, client: str) -> str:
    """An accepted query of ``client`` to the service (its id), as the gateway records one."""
    arrival = Arrival(client, SERVICE_ID, "corr-1", "json", "0" * 64, 2)
    translation = Translation("social-security.contribution-history-query@1.0", {}, "0" * 64,
                              OWNER, f"hub.north.deliver.{SERVICE_ID}")
    return str(ledger.record_accepted(arrival, translation))


async def test_reuse_is_decided_by_rights_and_consent_recorded_and_reported(
    ledger: Ledger, nats_server: NatsServerProcess, tmp_path: Path
) -> None:
    """Another department sees a document only with a right for the purpose (and consent
    where the purpose needs it); a disclosure for an exchange goes to that exchange's
    provider, asked by its client; each is recorded and in the data-use report."""
    async with documents_parts(ledger, nats_server.url) as parts:
        documents = parts.documents
        documents.access.rights.grant(SUPPLIER, SERVICE_ID, ["benefit", "loan"])
        document = await documents.supply(SUPPLY, blocks(pdf()))
        with pytest.raises(AccessDeniedError):
            await documents.disclose(document.document_id, by=SUPPLIER,
                                     recipient="north/vehicles", purpose="benefit")
        documents.access.rights.grant("north/vehicles", SERVICE_ID, ["benefit", "loan"])
        with pytest.raises(ConsentRequiredError):
            await documents.disclose(document.document_id, by=SUPPLIER,
                                     recipient="north/vehicles", purpose="loan")
        shown = await documents.disclose(document.document_id, by=SUPPLIER,
                                         recipient="north/vehicles", purpose="benefit",
                                         step="assess")
        fetched, body = await documents.fetch(shown.link.token, "north/vehicles")
        assert fetched.document_id == document.document_id
        assert b"".join([chunk async for chunk in body]) == pdf()
        documents.access.rights.revoke("north/vehicles", SERVICE_ID)
        with pytest.raises(AccessDeniedError):  # revoked since the link was issued
            await documents.fetch(shown.link.token, "north/vehicles")
        mine, theirs = _exchange(ledger, SUPPLIER), _exchange(ledger, "north/vehicles")
        to_owner = await documents.disclose(document.document_id, by=SUPPLIER,
                                            recipient=OWNER, purpose="benefit",
                                            exchange_id=mine)
        assert to_owner.decision.basis == "party"
        with pytest.raises(DocumentLinkRefused, match="only as its client"):
            await documents.disclose(document.document_id, by=SUPPLIER, recipient=OWNER,
                                     purpose="benefit", exchange_id=theirs)
        with pytest.raises(ExchangeNotFoundError):
            await documents.disclose(document.document_id, by=SUPPLIER, recipient=OWNER,
                                     purpose="benefit", exchange_id="ex-1")
    disclosed = _events(ledger, Document.Disclosed.TOPIC)
    assert [(d.recipient, d.basis, d.exchange_id, d.step)  # type: ignore[attr-defined]
            for d in disclosed] == [("north/vehicles", "legal-basis", "", "assess"),
                                    (OWNER, "party", mine, "")]
    book = open_data_uses(ledger, None, tmp_path)  # the data-use index, in its own read store
    try:
        uses = data_use_report(book, document.data_subject)
        others = data_use_report(book, ledger.keyring.ref_for(BRANDT))
    finally:
        book.close()
    described = (f"document {document.document_id} (application/pdf)",)
    assert [(u.recipient, u.purpose, u.exchange_id, u.fields) for u in uses] == [
        ("north/vehicles", "benefit", "", described), (OWNER, "benefit", mine, described)]
    assert others == []


async def test_an_upload_without_bytes_for_too_long_is_abandoned_and_recorded(
    ledger: Ledger, nats_server: NatsServerProcess
) -> None:
    """A resumable upload that stops sending is refused after its idle bound: recorded,
    nothing left in the bucket, the session gone."""
    async with documents_parts(ledger, nats_server.url) as parts:
        parts.documents.access.rights.grant(SUPPLIER, SERVICE_ID, ["benefit"])
        uploads = Uploads(parts.documents, idle_s=0.3)
        data = pdf(pad=2 * PLAIN_CHUNK)
        session = uploads.start(Supply(SUPPLIER, SERVICE_ID, "benefit", ANDERSSON,
                                       declared_size=len(data)))
        assert await uploads.append(session, 0, blocks(data[:PLAIN_CHUNK + 10])) == (
            PLAIN_CHUNK + 10)
        with pytest.raises(UploadAbandoned):
            await uploads.finished(session)
        with pytest.raises(DocumentNotFound):
            uploads.get(session.upload_id, SUPPLIER)
        status = await parts.store.objects.status()
    assert status.stream_info.state.messages == 0
    (refused,) = _events(ledger, DocumentRefusal.Refused.TOPIC)
    assert refused.code == "upload-abandoned"  # type: ignore[attr-defined]
    assert refused.received == PLAIN_CHUNK + 10  # type: ignore[attr-defined]


async def test_concurrent_disclosures_of_one_document_are_all_recorded(
    ledger: Ledger, nats_server: NatsServerProcess
) -> None:
    """Eight disclosures at once: each reloads on a lost race, none is lost or refused."""
    async with documents_parts(ledger, nats_server.url) as parts:
        parts.documents.access.rights.grant(SUPPLIER, SERVICE_ID, ["benefit"])
        document = await parts.documents.supply(SUPPLY, blocks(pdf()))
        await asyncio.gather(*(parts.documents.disclose(
            document.document_id, by=SUPPLIER, recipient=OWNER, purpose="benefit",
            step=f"step-{n}") for n in range(8)))
    steps = {d.step for d in _events(ledger, Document.Disclosed.TOPIC)}  # type: ignore[attr-defined]
    assert steps == {f"step-{n}" for n in range(8)}
