"""Documents that travel with an attestation: served by the issuing region, fetched by peers.

Issuing side: :func:`attested_digest` turns a stored document into the digest an
attestation signs (id, media type, size, SHA-256 of the plain bytes, the region's link);
:func:`attested_opener` answers a peer's fetch — a trusted peer only — recording each one
as a disclosure of the document to ``region:<peer>`` (basis ``attestation``), so the
data-use report lists it.

Receiving side: :func:`receive_attested` fetches the bytes through the link over the leaf
link (:mod:`hub.adapters.peers.documents`), passes them through this region's door for
the service, checks size and SHA-256 against the signed claims as they stream, and stores
them in this region's bucket sealed under *this* region's reference of the subject
(regions have different subject secrets, so the issuer's reference means nothing here).
The document is recorded as supplied by the issuing department (``<issuer>/<department>``).
Bytes that differ from the claims are refused before the last chunk is stored: the chunks
already stored are purged, and ``DocumentRefusal.Refused`` (``document-digest-mismatch``)
is recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection, Sequence

from eventsourcing.persistence import IntegrityError
from nats.aio.client import Client as NatsClient

from federation.attestation import Attestation
from federation.document_digests import DocumentDigest, documents_link
from hub.adapters.documents.errors import DocumentDigestMismatch, DocumentLinkRefused
from hub.adapters.peers.documents import Opener, fetch_document
from hub.adapters.store.ledger import Ledger
from hub.domain.document import Document
from hub.service_layer.documents.door import Door
from hub.service_layer.documents.reading import document_of
from hub.service_layer.documents.supply import Documents, Supply

DOCUMENTS_HEADER = "X-Hub-Documents"
"""The header of ``POST /records/{contract}`` naming documents that go with the record."""
ATTESTATION_BASIS = "attestation"
"""The basis of a disclosure to a peer region that fetched a document it was attested."""
_SAVE_ATTEMPTS = 8


def attested_digest(document: Document, region: str) -> DocumentDigest:
    """What an attestation of ``region`` signs about ``document``."""
    return DocumentDigest(id=document.document_id, media_type=document.media_type,
                          size=document.size, sha256=document.sha256,
                          link=documents_link(region))


def attested_digests(ledger: Ledger, issuer: str, subject: str, document_ids: Sequence[str]
                     ) -> tuple[DocumentDigest, ...]:
    """The digests of documents that go with ``issuer``'s record about ``subject`` (a
    reference; "" when the record will not be attested): each must be about the same
    subject and ``issuer``'s to pass on — supplied by it, or to its own service."""
    if not subject:
        raise DocumentLinkRefused(
            "documents travel only with a record attested to peers (about a data subject, "
            "in a region with peers)", field="documents", path=f"header:{DOCUMENTS_HEADER}",
            issue="not-attested")
    digests = []
    for document_id in dict.fromkeys(document_ids):
        document = document_of(ledger, document_id)
        if document.data_subject != subject:
            raise DocumentLinkRefused(
                f"document {document_id} is about another data subject than the record",
                field="documents", path=f"header:{DOCUMENTS_HEADER}", issue="other-subject")
        if issuer not in (document.supplier, document.service.rsplit("/", 1)[0]):
            raise DocumentLinkRefused(
                f"{issuer} neither supplied document {document_id} nor provides its service",
                field="documents", path=f"header:{DOCUMENTS_HEADER}", issue="not-party")
        digests.append(attested_digest(document, document.service.split("/", 1)[0]))
    return tuple(digests)


def peer_recipient(region: str) -> str:
    """How a disclosure names a peer region."""
    return f"region:{region}"


def attested_opener(documents: Documents, peers: Callable[[], Collection[str]]) -> Opener:
    """Answer a fetch from ``peer`` (one of ``peers()``, the trust list's regions): record
    the disclosure, then the plain bytes (a forgotten subject's document is erased)."""

    async def open_for(document_id: str, peer: str) -> AsyncIterator[bytes]:
        if peer not in peers():
            raise DocumentLinkRefused(f"region {peer!r} is not a trusted peer",
                                      field="region", path="header:Hub-Origin-Region",
                                      issue="untrusted-region")
        document = await asyncio.to_thread(_record_fetch, documents, document_id, peer)
        return await documents.open(document)

    return open_for


def _record_fetch(documents: Documents, document_id: str, peer: str) -> Document:
    for attempt in range(_SAVE_ATTEMPTS):
        document = documents.get(document_id)
        document.disclose(peer_recipient(peer), document.purpose, ATTESTATION_BASIS, "", "",
                          "", "")
        try:
            documents.ledger.save(document)
        except IntegrityError:  # another disclosure of it was recorded first: again
            if attempt + 1 == _SAVE_ATTEMPTS:
                raise
            continue
        return document
    raise AssertionError("unreachable: the loop returns or raises")


async def receive_attested(
    documents: Documents, nc: NatsClient, attestation: Attestation, digest: DocumentDigest,
    *, recipient: str, service: str, purpose: str, subject: str, timeout_s: float = 10.0,
) -> Document:
    """Fetch one of ``attestation``'s documents for ``recipient`` (a department of this
    region, providing ``service``), check it against ``digest`` and keep it here about
    ``subject`` (national id or this region's reference). Refusals are recorded and raised:
    :class:`DocumentDigestMismatch`, the door's, or ``PeerDocumentError`` (the issuer
    refused, or the fetch broke off)."""
    if digest not in attestation.documents:
        raise DocumentLinkRefused(f"document {digest.id} is not one the attestation of "
                                  f"record {attestation.record_id} names",
                                  field="document_id", path="documents", issue="not-attested")
    region = documents.directory.region
    supply = Supply(supplier=attestation.issuing_department, service=service, purpose=purpose,
                    subject=subject, declared_type=digest.media_type)

    def admit(_: Supply, __: str) -> None:
        owner = service.rsplit("/", 1)[0]
        if recipient != owner:
            raise DocumentLinkRefused(
                f"{recipient} may keep a document from {attestation.issuer} only for a "
                f"service of its own, not {service}", field="service", path="service",
                issue="not-own-service")

    body = _bounded(fetch_document(nc, digest.subject, digest.id, region,
                                   timeout_s=timeout_s), digest)
    return await documents.keep(supply, body, admit=admit,
                                expect=lambda door, checked: _attested(door, checked, digest))


async def _bounded(blocks: AsyncIterator[bytes], digest: DocumentDigest
                   ) -> AsyncIterator[bytes]:
    """The fetched bytes, refused as soon as there are more than the attested size."""
    size = 0
    async for block in blocks:
        size += len(block)
        if size > digest.size:
            raise DocumentDigestMismatch(
                f"document {digest.id}: more than the {digest.size} bytes the attestation "
                "signs arrived", field="size", path="documents.size", issue="size")
        yield block


async def _attested(door: Door, checked: AsyncIterator[bytes], digest: DocumentDigest
                    ) -> AsyncIterator[bytes]:
    """The door's bytes, refused at their end unless size and SHA-256 are the attested ones."""
    async for block in checked:
        yield block
    if door.size != digest.size:
        raise DocumentDigestMismatch(
            f"document {digest.id}: {door.size} bytes arrived, the attestation signs "
            f"{digest.size}", field="size", path="documents.size", issue="size")
    if door.sha256 != digest.sha256:
        raise DocumentDigestMismatch(
            f"document {digest.id}: the bytes fetched from {digest.link} have SHA-256 "
            f"{door.sha256}, the attestation signs {digest.sha256}", field="sha256",
            path="documents.sha256", issue="digest")


class AttestedDocuments:
    """The receiving use case over a running region: a department of this region asks for a
    document that came with a peer's record recognised here; :meth:`receive` fetches,
    checks and keeps it (see :func:`receive_attested`)."""

    def __init__(self, documents: Documents, nc: NatsClient,
                 recognised: Callable[[str, str], Attestation | None], *,
                 timeout_s: float) -> None:
        self.documents = documents
        self._nc = nc
        self._recognised = recognised
        self._timeout_s = timeout_s

    async def receive(self, *, recipient: str, issuer: str, record_id: str, document_id: str,
                      service: str, purpose: str, subject: str) -> Document:
        """Keep ``document_id`` of ``issuer``'s record ``record_id`` for ``recipient``'s
        ``service``; DocumentLinkRefused when the record is not recognised here or its
        attestation names no such document."""
        attestation = await asyncio.to_thread(self._recognised, issuer, record_id)
        if attestation is None:
            raise DocumentLinkRefused(
                f"record {record_id} of region {issuer} is not recognised here",
                field="record_id", path="record_id", issue="not-recognised")
        digest = next((d for d in attestation.documents if d.id == document_id), None)
        if digest is None:
            raise DocumentLinkRefused(
                f"the attestation of record {record_id} names no document {document_id}",
                field="document_id", path="document_id", issue="not-attested")
        return await receive_attested(
            self.documents, self._nc, attestation, digest, recipient=recipient,
            service=service, purpose=purpose, subject=subject, timeout_s=self._timeout_s)
