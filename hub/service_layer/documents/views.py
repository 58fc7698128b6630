"""What operators see of documents: the list, and one document's history — from the ledger.

Built from ``Document.Supplied`` notifications (and, for one document, its own events):
ids, media types, sizes, digests, subject references, suppliers and disclosures. Never the
bytes: reading those is :meth:`hub.service_layer.documents.supply.Documents.open`, for the
auditor role.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from hub.adapters.documents.errors import DocumentNotFound
from hub.adapters.store.ledger import Ledger
from hub.domain.document import Document


@dataclass(frozen=True)
class DocumentSummary:
    """One supplied document, as listed."""

    document_id: str
    supplied_at: dt.datetime
    service: str
    supplier: str
    purpose: str
    subject: str
    media_type: str
    size: int
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "supplied_at": self.supplied_at.isoformat()}


def list_documents(ledger: Ledger, subject: str = "", batch: int = 500) -> list[DocumentSummary]:
    """Every supplied document (about ``subject``, a reference, when given), oldest first."""
    found: list[DocumentSummary] = []
    start = 1
    while page := ledger.notifications(start, batch, (Document.Supplied.TOPIC,)):
        for notification in page:
            supplied = ledger.mapper.to_domain_event(notification)
            if isinstance(supplied, Document.Supplied) and subject in ("", supplied.data_subject):
                found.append(DocumentSummary(
                    supplied.document_id, supplied.timestamp, supplied.service,
                    supplied.supplier, supplied.purpose, supplied.data_subject,
                    supplied.media_type, supplied.size, supplied.sha256))
        start = page[-1].id + 1
    return found


def document_history(ledger: Ledger, document_id: str) -> list[dict[str, Any]]:
    """Every recorded event of one document, oldest first, as plain dicts."""
    try:
        events = list(ledger.events.get(uuid.UUID(document_id)))
    except ValueError:
        events = []
    history = [_described(e) for e in events if isinstance(e, Document.Event)]
    if not history:
        raise DocumentNotFound(f"no document {document_id} in this region",
                               path=f"document:{document_id}", field="document_id")
    return history


def _described(event: Document.Event) -> dict[str, Any]:
    fields = {k: v for k, v in event.__dict__.items()
              if k not in ("originator_id", "originator_version", "timestamp",
                           "originator_topic")}
    return {"event": type(event).__name__, "at": event.timestamp.isoformat(),
            "version": event.originator_version, "across": across_regions(event), **fields}


def across_regions(event: Document.Event) -> str:
    """What an event says about another region, in words ("" when it is about this one):
    a document fetched from its issuing region is supplied by a department of that region;
    a peer region's fetch of an attested document is a disclosure to ``region:<peer>``."""
    if isinstance(event, Document.Supplied):
        issuer, service_region = event.supplier.split("/", 1)[0], event.service.split("/", 1)[0]
        if issuer != service_region:
            return f"fetched from region {issuer}, checked against its signed attestation"
    elif isinstance(event, Document.Disclosed) and event.recipient.startswith("region:"):
        return f"fetched by region {event.recipient.removeprefix('region:')} " \
               "through its attestation's link"
    return ""
