"""The attachments port: where a provider adapter reads the documents it sends as attachment
parts, and where it puts the ones a provider answers with.

The hub implements it per exchange (the access check and the disclosure record for what it
sends; the door, the sealing and the store for what it receives); translation never touches
the document store itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from contracts import Contract


@dataclass(frozen=True)
class Attachment:
    """A document's media type and plain bytes, streamed."""

    media_type: str
    chunks: AsyncIterator[bytes]


class DocumentAttachments(Protocol):
    """The documents of one exchange, as its provider adapter sees them."""

    async def open(self, document_id: str, field: str) -> Attachment:
        """The document a request field names, once the provider may see it (the disclosure
        is recorded); raises a :class:`~contracts.errors.HubError` naming the field if not."""
        ...

    async def store(self, field: str, media_type: str, chunks: AsyncIterator[bytes]) -> str:
        """Store a document the provider answered with in the response ``field``; its id.
        Raises a :class:`~contracts.errors.HubError` when the document is refused."""
        ...


@runtime_checkable
class CarriesDocuments(Protocol):
    """A provider adapter whose calls may send and receive documents as attachments."""

    @property
    def carries_documents(self) -> bool:
        """Whether its calls need the exchange's :class:`DocumentAttachments`."""
        ...

    async def call(self, request: Contract, *, correlation_id: str,
                   attachments: DocumentAttachments | None = None) -> Contract: ...
