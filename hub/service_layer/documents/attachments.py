"""The documents of one exchange, as its provider's adapter sends and receives them.

:class:`ExchangeDocuments` implements the attachments port of the SOAP provider adapters
(:class:`translation.attachments.DocumentAttachments`) for one exchange:

- a request field naming a document is disclosed to the provider department — the same
  decision and ``Document.Disclosed`` record as ``POST /documents/{id}/links`` — and its plain
  bytes are streamed into the attachment part as they are opened;
- a document the provider answers with goes through the door of the service (size, sniffed
  media type, active content), is sealed and stored as a document supplied by the provider
  department about the exchange's subject, for the exchange's purpose; a refusal is recorded
  as ``DocumentRefusal.Refused``.

A document about another data subject than the exchange's is refused: a query about one
person never carries another's papers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from hub.adapters.documents.errors import DocumentError
from hub.service_layer.documents.supply import Documents, Supply
from translation.attachments import Attachment


class DocumentSubjectMismatch(DocumentError):
    """Raised when a request names a document about another data subject than its own."""

    code = "document-subject-mismatch"
    status = 422


class RoutedQuery(Protocol):
    """What an exchange being delivered tells about itself (an ``Exchange`` or a
    ``RoutedExchange`` of hub.service_layer.exchanges)."""

    @property
    def id(self) -> UUID: ...
    @property
    def client(self) -> str: ...
    @property
    def service(self) -> str: ...
    @property
    def data_subject(self) -> str: ...
    @property
    def authorisation(self) -> dict[str, str] | None: ...


@dataclass(frozen=True)
class ExchangeDocuments:
    """The attachments port for one exchange from ``client`` to ``service``'s department."""

    documents: Documents
    client: str  # region/department asking
    provider: str  # region/department answering
    service: str  # region/department/service
    purpose: str
    subject: str  # national id or subject reference of the exchange
    exchange_id: str = ""

    @classmethod
    def of(cls, documents: Documents, exchange: RoutedQuery) -> ExchangeDocuments:
        """The documents of ``exchange`` as its delivery sends them: from its client to its
        service's department, about its data subject, for its decided purpose."""
        return cls(documents, client=exchange.client,
                   provider=exchange.service.rsplit("/", 1)[0], service=exchange.service,
                   purpose=(exchange.authorisation or {}).get("purpose", ""),
                   subject=exchange.data_subject, exchange_id=str(exchange.id))

    async def open(self, document_id: str, field: str) -> Attachment:
        """Disclose the document ``field`` names to the provider, and stream its bytes."""
        document = await asyncio.to_thread(self.documents.get, document_id)
        ref = await asyncio.to_thread(self.documents.ledger.keyring.resolve, self.subject)
        if document.data_subject != ref:
            raise DocumentSubjectMismatch(
                f"{field}: document {document_id} is about another data subject than the "
                "request", field=field, path=field, issue="subject-mismatch")
        disclosure = await self.documents.disclose(
            document_id, by=self.client, recipient=self.provider, purpose=self.purpose,
            exchange_id=self.exchange_id)
        return Attachment(disclosure.document.media_type,
                          await self.documents.open(disclosure.document))

    async def store(self, field: str, media_type: str, chunks: AsyncIterator[bytes]) -> str:
        """Supply the answered document through the service's door; its id."""
        document = await self.documents.supply(Supply(
            supplier=self.provider, service=self.service, purpose=self.purpose,
            subject=self.subject, declared_type=media_type), chunks)
        return document.document_id
