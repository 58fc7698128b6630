"""A citizen's data-use report: every disclosure of their data, built by replay from the ledger.

It reads the ledger's ``Exchange.Disclosed`` and ``Document.Disclosed`` notifications and
keeps those about the subject (by pseudonymous reference): when, which department received
which fields of which service (or which document), for what purpose, under which legal
basis or consent, and until when the hub keeps it (the end of its retention bucket,
:mod:`hub.domain.retention`). Nothing personal is read: Disclosed names fields by path, never
by value, and documents by id and media type, so the report still lists the uses of a person
whose key was destroyed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from hub.domain.document import Document
from hub.domain.exchange import Exchange
from hub.domain.retention import bucket_end, expiry_bucket

if TYPE_CHECKING:
    from hub.adapters.store.ledger import Ledger


@dataclass(frozen=True)
class DataUse:
    """One disclosure of the subject's data to a department."""

    at: dt.datetime
    exchange_id: str
    recipient: str
    service: str
    purpose: str
    basis: str
    legal_basis: str
    consent_id: str
    fields: tuple[str, ...]
    retention: str = ""  # the purpose's retention period (ISO 8601); "" until forgotten
    kept_until: dt.datetime | None = None  # unreadable from then on; None: until forgotten

    def as_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["at"] = self.at.isoformat()
        record["fields"] = list(self.fields)
        record["kept_until"] = self.kept_until.isoformat() if self.kept_until else None
        return record


def data_use_report(ledger: Ledger, subject_ref: str, batch: int = 500) -> list[DataUse]:
    """Every recorded disclosure about ``subject_ref``, oldest first."""
    uses: list[DataUse] = []
    start = 1
    topics = (Exchange.Disclosed.TOPIC, Document.Disclosed.TOPIC)
    while page := ledger.notifications(start, batch, topics):
        for notification in page:
            disclosed = ledger.mapper.to_domain_event(notification)
            if isinstance(disclosed, Document.Disclosed):
                uses.extend(_document_use(ledger, disclosed, subject_ref))
                continue
            if not isinstance(disclosed, Exchange.Disclosed):
                continue
            if disclosed.data_subject != subject_ref:
                continue
            exchange = ledger.get(disclosed.originator_id)
            uses.append(DataUse(
                at=disclosed.timestamp,
                exchange_id=str(disclosed.originator_id),
                recipient=disclosed.recipient,
                service=exchange.service,
                purpose=disclosed.purpose,
                basis=disclosed.basis,
                legal_basis=disclosed.legal_basis,
                consent_id=disclosed.consent_id,
                fields=tuple(disclosed.fields),
                retention=exchange.retention,
                kept_until=_kept_until(disclosed.timestamp, exchange.retention),
            ))
        start = page[-1].id + 1
    return uses


def _kept_until(at: dt.datetime, retention: str) -> dt.datetime | None:
    """When what was stored at ``at`` becomes unreadable: the end of its expiry bucket."""
    return bucket_end(expiry_bucket(at, retention)) if retention else None


def _document_use(
    ledger: Ledger, disclosed: Document.Disclosed, subject_ref: str
) -> list[DataUse]:
    """The use a document's disclosure makes of its subject's data (none if not theirs)."""
    document: object = ledger.repository.get(disclosed.originator_id)
    if not isinstance(document, Document) or document.data_subject != subject_ref:
        return []
    return [DataUse(
        at=disclosed.timestamp, exchange_id=disclosed.exchange_id,
        recipient=disclosed.recipient, service=document.service, purpose=disclosed.purpose,
        basis=disclosed.basis, legal_basis=disclosed.legal_basis,
        consent_id=disclosed.consent_id,
        fields=(f"document {document.document_id} ({document.media_type})",),
        retention=document.retention,
        kept_until=dt.datetime.fromisoformat(document.kept_until) if document.kept_until
        else None,
    )]


def subject_report(ledger: Ledger, subject: str) -> tuple[str, list[DataUse]]:
    """The subject's pseudonymous reference and every recorded use of their data.

    ``subject`` is the identifier a department would send (or already a reference);
    the keyring turns it into the reference the ledger records, so the identifier
    itself is never stored by asking.
    """
    ref = ledger.keyring.resolve(subject)
    return ref, data_use_report(ledger, ref)
