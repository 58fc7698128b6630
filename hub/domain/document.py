"""The ``Document`` aggregate: a document supplied once, and every disclosure of it.

The ledger holds events, never bytes: ``Supplied`` says what was stored (media type sniffed
from the bytes, size, SHA-256 of the plain bytes), about whom (a pseudonymous subject
reference), by whom, for which service and purpose, and under which key id it is sealed;
each ``Disclosed`` says to whom it was shown, for which purpose and exchange or case step.
A document refused at the door never becomes a ``Document``: the refusal is a
``DocumentRefusal`` of its own (one act, like an erasure), so refusals are recorded
and audited as everything else.
"""

from __future__ import annotations

from typing import Any, dataclass_transform
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from hub.domain.retention import KeyScope


class Document(Aggregate):
    """A stored document and its disclosures."""

    TOPIC = "interop-hub:document"

    @dataclass_transform(frozen_default=True)
    class Event(Aggregate.Event):
        """Base of every document event."""

        TOPIC = "interop-hub:document.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event."""

        TOPIC = "interop-hub:document.created"

    class Supplied(Created):
        """A department supplied the document; its sealed bytes are in the region's bucket.

        ``bucket`` is the Object Store bucket. ``retention`` is the period it is kept (ISO
        8601; "" until its subject is forgotten), ``expiry_bucket`` the month (``YYYY-MM``)
        of its key scope, ``kept_until`` the instant (ISO 8601, UTC) that key is destroyed
        and the document deleted ("" with no period).
        """

        TOPIC = "interop-hub:document.supplied"
        class_version = 2
        document_id: str
        service: str
        supplier: str
        purpose: str
        data_subject: str
        media_type: str
        declared_type: str
        size: int
        sha256: str
        kid: str
        bucket: str
        retention: str
        expiry_bucket: str
        kept_until: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 was sealed under the subject's own key, kept until forgotten."""
            state["retention"] = ""
            state["expiry_bucket"] = ""
            state["kept_until"] = ""

    @staticmethod
    def create_id(document_id: str) -> UUID:
        return UUID(document_id)

    @event(Supplied)
    def __init__(self, document_id: str, service: str, supplier: str, purpose: str,
                 data_subject: str, media_type: str, declared_type: str, size: int,
                 sha256: str, kid: str, bucket: str, retention: str = "",
                 expiry_bucket: str = "", kept_until: str = "") -> None:
        self.document_id = document_id
        self.service = service
        self.supplier = supplier
        self.purpose = purpose
        self.data_subject = data_subject
        self.media_type = media_type
        self.declared_type = declared_type
        self.size = size
        self.sha256 = sha256
        self.kid = kid
        self.bucket = bucket
        self.retention = retention
        self.expiry_bucket = expiry_bucket
        self.kept_until = kept_until
        self.expired = False
        self.disclosures: list[dict[str, str]] = []

    def key_scope(self) -> KeyScope | None:
        """The retention scope whose key seals it; None: the subject's own key."""
        if not self.expiry_bucket:
            return None
        return KeyScope(self.data_subject, self.purpose, self.expiry_bucket)

    class Expired(Event):
        """Its retention period is over: its key scope's bucket (``expiry_bucket``) ended and
        its sealed bytes were (about to be) deleted from the Object Store. No personal data."""

        TOPIC = "interop-hub:document.expired"
        class_version = 1
        expiry_bucket: str

    @event(Expired)
    def expire(self, expiry_bucket: str) -> None:
        self.expired = True

    class Disclosed(Event):
        """The document was shown to ``recipient`` for ``purpose`` (``basis``: legal-basis or
        consent, with its reference), within ``exchange_id`` or case ``step`` when named."""

        TOPIC = "interop-hub:document.disclosed"
        class_version = 1
        recipient: str
        purpose: str
        basis: str
        legal_basis: str
        consent_id: str
        exchange_id: str
        step: str

    @event(Disclosed)
    def disclose(self, recipient: str, purpose: str, basis: str, legal_basis: str,
                 consent_id: str, exchange_id: str, step: str) -> None:
        self.disclosures.append({"recipient": recipient, "purpose": purpose, "basis": basis,
                                 "exchange_id": exchange_id, "step": step})

    def disclosed_within(self, exchange_id: str, recipient: str) -> bool:
        """Whether a disclosure to ``recipient`` within exchange ``exchange_id`` is recorded
        (a redelivery of the exchange sends the document again but discloses nothing new)."""
        return bool(exchange_id) and any(
            d["exchange_id"] == exchange_id and d["recipient"] == recipient
            for d in self.disclosures)


class DocumentRefusal(Aggregate):
    """One document refused at the door: why, and what was known of it then."""

    TOPIC = "interop-hub:document-refusal"

    class Event(Aggregate.Event):
        """Base of every refusal event."""

        TOPIC = "interop-hub:document-refusal.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event (the library requires one per aggregate)."""

        TOPIC = "interop-hub:document-refusal.created"

    class Refused(Created):
        """The document was refused (``code`` and ``reason`` as the supplier was answered);
        ``received`` bytes had arrived when it was."""

        TOPIC = "interop-hub:document-refusal.refused"
        class_version = 1
        service: str
        supplier: str
        purpose: str
        data_subject: str
        declared_type: str
        sniffed_type: str
        received: int
        code: str
        reason: str

    @event(Refused)
    def __init__(self, service: str, supplier: str, purpose: str, data_subject: str,
                 declared_type: str, sniffed_type: str, received: int, code: str,
                 reason: str) -> None:
        self.service = service
        self.supplier = supplier
        self.code = code
        self.reason = reason
