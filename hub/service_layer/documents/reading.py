"""Reading a stored document back: opened chunk by chunk, checked against its recorded digest.

Used by the download link (:class:`~hub.service_layer.documents.supply.Documents`) and by an
auditor's ``interop-hub documents get``; an auditor's read is itself recorded as a
disclosure (recipient ``operator:<name>``, purpose ``audit``), so the data-use report
shows it too.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from hub.adapters.documents.errors import DocumentErased, DocumentNotFound
from hub.adapters.documents.keys import opening_key
from hub.adapters.documents.object_store import DocumentStore
from hub.adapters.documents.sealing import SealingContext, opened_chunks
from hub.adapters.store.ledger import Ledger
from hub.domain.document import Document

AUDIT_PURPOSE = "audit"
_SAVE_ATTEMPTS = 8
AUDITOR_BASIS = "auditor-role"


def document_of(ledger: Ledger, document_id: str) -> Document:
    """The recorded document ``document_id`` (synchronous: call it off the event loop)."""
    try:
        found: object = ledger.repository.get(uuid.UUID(document_id))
    except (AggregateNotFoundError, ValueError):
        found = None
    if not isinstance(found, Document):
        raise DocumentNotFound(f"no document {document_id} in this region",
                               path=f"document:{document_id}", field="document_id")
    return found


async def open_document(ledger: Ledger, store: DocumentStore,
                        document: Document) -> AsyncIterator[bytes]:
    """The plain bytes of ``document``; :class:`DocumentErased` (before any byte) once its
    retention period is over or its subject was forgotten; ``DocumentTampered`` from the
    stream if what is read back is not what was sealed."""
    where = f"document:{document.document_id}"
    if document.expired:
        raise expired_error(document)
    key = await asyncio.to_thread(opening_key, ledger.keyring, document.data_subject,
                                  document.kid, document.key_scope())
    if key is None:
        raise DocumentErased(
            f"document {document.document_id} was erased: the key that sealed it was "
            f"destroyed (its data subject {document.data_subject} was forgotten"
            + (f", or its expiry bucket {document.expiry_bucket} is over" if
               document.expiry_bucket else "") + ")",
            path=where)
    return _plain(store, document, key)


def expired_error(document: Document) -> DocumentErased:
    """What reading (or disclosing) a document whose retention period is over answers."""
    return DocumentErased(
        f"document {document.document_id} was erased: its retention period "
        f"({document.retention}, purpose {document.purpose}) ended with expiry bucket "
        f"{document.expiry_bucket}; it was deleted and the key that sealed it destroyed",
        path=f"document:{document.document_id}", issue="retention-expired")


def _plain(store: DocumentStore, document: Document, key: bytes) -> AsyncIterator[bytes]:
    """The opened chunks. Not hashed again: each chunk's GCM tag authenticates it under the
    document's id, subject, key, index and finality, and the bytes sealed were the bytes
    the door hashed, so a second SHA-256 would prove nothing the tags do not (at half the
    read's CPU)."""
    context = SealingContext(document.document_id, document.data_subject, document.kid)
    return opened_chunks(key, context, store.get(document.document_id))


def record_auditor_read(ledger: Ledger, document: Document, operator: str) -> None:
    """Record that an auditor read the bytes (a disclosure like any other); a disclosure
    recorded meanwhile by someone else makes it reload and try again."""
    for _ in range(_SAVE_ATTEMPTS - 1):
        document.disclose(f"operator:{operator}", AUDIT_PURPOSE, AUDITOR_BASIS, "", "", "", "")
        try:
            ledger.save(document)
            return
        except IntegrityError:
            document = document_of(ledger, document.document_id)
    document.disclose(f"operator:{operator}", AUDIT_PURPOSE, AUDITOR_BASIS, "", "", "", "")
    ledger.save(document)  # the last attempt: a lost race now is the caller's error
