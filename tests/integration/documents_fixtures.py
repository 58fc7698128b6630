"""Documents over real parts: a nats-server's Object Store, a ledger, the access policy.

Shared by the documents tests: :func:`documents_parts` builds the use cases as the region
does, over one service that declares a legal-basis purpose and a consent purpose.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from contracts.identity import ServiceId
from contracts.social_security import ContributionHistory, ContributionHistoryQuery
from hub.adapters.documents.object_store import DocumentStore
from hub.adapters.readmodels import models_of
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.security import access_policy
from hub.service_layer.documents.links import LINK_SECRET, LinkSigner
from hub.service_layer.documents.policy import DocumentPolicies, DocumentPolicy
from hub.service_layer.documents.supply import Documents
from hub.service_layer.exchanges.routing import ServiceDefinition, ServiceDirectory
from hub.service_layer.security.purposes import Purpose

SERVICE = ServiceDefinition(
    id=ServiceId("north", "social-security", "contribution-history"),
    request=ContributionHistoryQuery, response=ContributionHistory, operation="CH",
    adapter="x", endpoint="x",
    purposes=(
        Purpose("benefit", ("person", "periods"), legal_basis="Act s. 1"),
        Purpose("loan", ("periods.start", "periods.end", "as_of"), consent=True),
    ),
)
SERVICE_ID = str(SERVICE.id)
SUPPLIER = "north/tax"
OWNER = "north/social-security"
ANDERSSON = "19800101-1234"
BRANDT = "19751231-5678"


def pdf(body: bytes = b"", *, pad: int = 0) -> bytes:
    """A small PDF-shaped document: header, ``body`` objects, ``pad`` bytes of image stream."""
    image = (b"5 0 obj\n<< /Type /XObject /Subtype /Image /Filter /DCTDecode /Length "
             + str(pad).encode() + b" >>\nstream\n" + b"\xff" * pad + b"\nendstream\nendobj\n"
             ) if pad else b""
    return (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            + body + image + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")


def object_stream(objects: bytes) -> bytes:
    """An ``/ObjStm`` object whose objects are Flate-compressed (as PDF 1.5+ writes them)."""
    packed = zlib.compress(objects)
    return (b"7 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length "
            + str(len(packed)).encode() + b" >>\nstream\n" + packed + b"\nendstream\nendobj\n")


async def blocks(data: bytes, size: int = 65_536) -> AsyncIterator[bytes]:
    """``data`` as an upload delivers it: in blocks."""
    for start in range(0, len(data), size):
        yield data[start:start + size]


@dataclass
class DocumentParts:
    """The use cases and what they stand on."""

    documents: Documents
    ledger: Ledger
    store: DocumentStore


@contextlib.asynccontextmanager
async def documents_parts(
    ledger: Ledger, nats_url: str, policy: DocumentPolicy | None = None,
    service: ServiceDefinition = SERVICE,
) -> AsyncIterator[DocumentParts]:
    """Documents over ``ledger`` and the region's bucket on the server at ``nats_url``
    (``service``: the one service, by default :data:`SERVICE`)."""
    models_of(ledger)  # the in-memory read models the access decision reads
    store = await DocumentStore.connect(nats_url, region="north")
    access = access_policy(ledger, "north")
    documents = Documents(
        ledger, store, ServiceDirectory("north", [service]), access,
        DocumentPolicies({str(service.id): policy} if policy else {}),
        LinkSigner(ledger.keyring.secret(LINK_SECRET)),
    )
    try:
        yield DocumentParts(documents, ledger, store)
    finally:
        await store.close()
