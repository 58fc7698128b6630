"""Supplying a document once, reading it back, and disclosing it to a department.

- :meth:`Documents.supply` streams the bytes through the door
  (:mod:`~hub.service_layer.documents.door`), seals them under the key
  :func:`~hub.adapters.documents.keys.sealing_key` chooses — its retention scope's key when
  it is kept for a period (:meth:`Documents.retention_of`) — stores them in the region's
  bucket, and records ``Document.Supplied`` with its retention and kept-until. Any
  refusal — unknown service, no right, a fault at the door — is recorded as
  ``DocumentRefusal.Refused`` and raised.
- :meth:`Documents.open` streams the plain bytes back, checking every chunk's tag and, at
  the end, the SHA-256 recorded at supply. A forgotten subject's document reads as erased.
- :meth:`Documents.disclose` decides whether a department may see a document for a purpose,
  records ``Document.Disclosed`` and issues it a signed link; :meth:`Documents.fetch` checks
  the link and decides again (a revocation since refuses) before the bytes flow.

Who may see a document: the department that supplied it and the department providing
the service it was supplied to, for the purpose it was supplied for; any other department
on the same terms as a client querying that service — an active right covering the
purpose, and the data subject's consent when the purpose needs it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass

from eventsourcing.persistence import IntegrityError

from contracts.errors import HubError
from hub.adapters.documents.errors import DocumentLinkRefused, DocumentStoreError
from hub.adapters.documents.keys import sealing_key
from hub.adapters.documents.object_store import DocumentStore
from hub.adapters.documents.sealing import SealingContext, sealed_chunks
from hub.adapters.store.ledger import Ledger
from hub.domain.document import Document, DocumentRefusal
from hub.domain.errors import ExchangeNotFoundError
from hub.domain.retention import KeyScope, scope_of
from hub.service_layer.documents.door import Door
from hub.service_layer.documents.links import Link, LinkSigner
from hub.service_layer.documents.policy import DocumentPolicies
from hub.service_layer.documents.reading import document_of, expired_error, open_document
from hub.service_layer.exchanges.routing import ServiceDirectory
from hub.service_layer.security.decision import AccessPolicy, Decision

REFUSAL_NOTE = "document refusal recorded: "
"""Prefix of the note a refused supply's error carries, followed by the refusal's id."""
PARTY = "party"
_SAVE_ATTEMPTS = 16
"""Concurrent disclosures of one document: each round one of them is recorded, the others
reload and try again (a short random pause apart), so up to this many at once all pass."""
"""The basis of a disclosure to the supplier or the service's own department."""
Expectation = Callable[[Door, AsyncIterator[bytes]], AsyncIterator[bytes]]
"""What a keeper expects of the bytes: given the door and its checked stream, the stream to
seal (raising at its end when the bytes were not what was expected)."""


@dataclass(frozen=True)
class Supply:
    """What a department says when it supplies a document."""

    supplier: str  # region/department, proven by its token
    service: str  # region/department/service the document is supplied to
    purpose: str
    subject: str  # national id or subject reference
    declared_type: str = ""
    declared_size: int | None = None


@dataclass(frozen=True)
class Disclosure:
    """A recorded disclosure and the link that carries it."""

    document: Document
    decision: Decision
    link: Link


class Documents:
    """The document use cases over the ledger and the region's bucket."""

    def __init__(self, ledger: Ledger, store: DocumentStore, directory: ServiceDirectory,
                 access: AccessPolicy, policies: DocumentPolicies, links: LinkSigner) -> None:
        self.ledger = ledger
        self.store = store
        self.directory = directory
        self.access = access
        self.policies = policies
        self.links = links

    async def supply(self, supply: Supply, body: AsyncIterable[bytes]) -> Document:
        """Check, seal and store ``body``; record and return the supplied document."""
        return await self.keep(supply, body, admit=self._may_supply, expect=_as_checked)

    async def keep(self, supply: Supply, body: AsyncIterable[bytes], *,
                   admit: Callable[[Supply, str], None], expect: Expectation) -> Document:
        """Check, seal and store ``body`` if ``admit(supply, subject_ref)`` lets it in and
        ``expect(door, checked)`` (which passes the door's bytes on, and may raise at the end
        of them) finds them what was expected; record the document. A refusal stores
        nothing and is recorded as ``DocumentRefusal.Refused``."""
        door: Door | None = None
        ref = ""
        try:
            ref = await asyncio.to_thread(self.ledger.keyring.resolve, supply.subject)
            admit(supply, ref)
            retention = self.retention_of(supply.service, supply.purpose)
            scope = scope_of(ref, supply.purpose, retention, dt.datetime.now(dt.UTC))
            kid, key = await asyncio.to_thread(sealing_key, self.ledger.keyring, ref, scope)
            document_id = str(uuid.uuid4())
            door = Door(self.policies.of(supply.service), supply.service,
                        declared_size=supply.declared_size)
            context = SealingContext(document_id, ref, kid)
            plain = expect(door, door.check(body))
            await self.store.put(document_id, sealed_chunks(key, context, plain),
                                 _headers(ref, kid, scope))
        except HubError as refused:
            recorded = await asyncio.to_thread(self._record_refusal, supply, ref, door, refused)
            refused.add_note(f"{REFUSAL_NOTE}{recorded}")  # the id a problem answer names
            raise
        document = Document(
            document_id=document_id, service=supply.service, supplier=supply.supplier,
            purpose=supply.purpose, data_subject=ref, media_type=door.media_type,
            declared_type=supply.declared_type, size=door.size, sha256=door.sha256, kid=kid,
            bucket=self.store.bucket, retention=retention,
            expiry_bucket=scope.bucket if scope else "",
            kept_until=scope.expires_at.isoformat() if scope else "")
        try:
            await asyncio.to_thread(self.ledger.save, document)
        except BaseException:
            await self.store.delete(document_id)  # nothing stored that is not recorded
            raise
        return document

    def retention_of(self, service: str, purpose: str) -> str:
        """How long a document supplied to ``service`` for ``purpose`` is kept: the service's
        ``[[documents]]`` retention, else the purpose's; "" (until forgotten) with neither."""
        declared = self.policies.of(service).retention
        if declared:
            return declared
        named = [p for p in self.directory.get(service).purposes if p.name == purpose]
        return named[0].retention if named else ""

    def get(self, document_id: str) -> Document:
        """The recorded document (synchronous: call it off the event loop)."""
        return document_of(self.ledger, document_id)

    async def open(self, document: Document) -> AsyncIterator[bytes]:
        """The plain bytes of ``document``, each chunk authenticated as it is opened."""
        return await open_document(self.ledger, self.store, document)

    async def disclose(self, document_id: str, *, by: str, recipient: str, purpose: str,
                       exchange_id: str = "", step: str = "") -> Disclosure:
        """Decide, record ``Disclosed`` and issue ``recipient`` a link (``by`` asks for it and
        must be allowed to see the document itself; an ``exchange_id`` must be one of ``by``'s
        exchanges, the recipient its provider). Within an exchange a document is disclosed to a
        recipient once: when that is recorded already (a redelivery, or a race lost to
        another worker), the access is decided again but nothing new is recorded."""
        if exchange_id:
            await asyncio.to_thread(self._check_exchange, exchange_id, by, recipient)
        for attempt in range(_SAVE_ATTEMPTS):
            document = await asyncio.to_thread(self.get, document_id)
            if document.expired:
                raise expired_error(document)  # nothing left to disclose
            self.may_see(document, by, purpose)
            decision = self.may_see(document, recipient, purpose)
            if document.disclosed_within(exchange_id, recipient):  # a redelivery: once only
                return Disclosure(document, decision,
                                  self.links.issue(document_id, recipient, decision.purpose))
            document.disclose(recipient, decision.purpose, decision.basis,
                              decision.legal_basis, decision.consent_id, exchange_id, step)
            try:
                await asyncio.to_thread(self.ledger.save, document)
            except IntegrityError:  # another disclosure of it was recorded first: again
                if attempt + 1 == _SAVE_ATTEMPTS:
                    raise DocumentStoreError(
                        f"document {document_id} is being disclosed by many at once; try "
                        "again", path=f"document:{document_id}") from None
                await asyncio.sleep(random.uniform(0, 0.01))  # noqa: S311 - jitter, not a secret
                continue
            return Disclosure(document, decision,
                              self.links.issue(document_id, recipient, decision.purpose))
        raise AssertionError("unreachable: the loop returns or raises")

    async def fetch(self, token: str, caller: str) -> tuple[Document, AsyncIterator[bytes]]:
        """The document a link names and its bytes, for ``caller`` if it is the link's
        recipient — and may still see it: a right or consent revoked since the link was
        issued refuses the download."""
        link = self.links.check(token, caller)
        document = await asyncio.to_thread(self.get, link.document_id)
        self.may_see(document, caller, link.purpose)
        return document, await self.open(document)

    def may_see(self, document: Document, department: str, purpose: str) -> Decision:
        """The decision letting ``department`` see ``document`` for ``purpose``, or the refusal."""
        owner = _department_of(document.service)
        if department in (document.supplier, owner) and purpose == document.purpose:
            return Decision(purpose, PARTY)
        return self.access.decide(department, self.directory.get(document.service), purpose,
                                  document.data_subject)

    def _check_exchange(self, exchange_id: str, by: str, recipient: str) -> None:
        """A disclosure "for an exchange" names one of ``by``'s exchanges, and goes to its
        provider department (or back to ``by``)."""
        try:
            exchange = self.ledger.get(uuid.UUID(exchange_id))
        except ValueError:
            raise ExchangeNotFoundError(exchange_id) from None
        provider = _department_of(exchange.service)
        if exchange.client != by or recipient not in (provider, by):
            raise DocumentLinkRefused(
                f"exchange {exchange_id} is {exchange.client}'s query to {exchange.service}: "
                f"{by} may disclose a document for it only as its client, to {provider}",
                field="exchange_id", path="exchange_id", issue="exchange-mismatch")

    def _may_supply(self, supply: Supply, ref: str) -> None:
        """A supplier needs what a client of the service needs for the purpose."""
        definition = self.directory.get(supply.service)  # unknown service: refused here
        if supply.supplier == _department_of(supply.service):
            return  # a department may keep documents for its own service
        self.access.decide(supply.supplier, definition, supply.purpose, ref)

    def _record_refusal(self, supply: Supply, ref: str, door: Door | None,
                        refused: HubError) -> str:
        refusal = DocumentRefusal(
            service=supply.service, supplier=supply.supplier, purpose=supply.purpose,
            data_subject=ref, declared_type=supply.declared_type,
            sniffed_type=door.media_type if door else "",
            received=door.size if door else 0, code=refused.code, reason=refused.message)
        self.ledger.save(refusal)
        return str(refusal.id)


def refusal_id(error: BaseException) -> str | None:
    """The id of the ``DocumentRefusal`` recorded for ``error``, if a supply recorded one."""
    for note in getattr(error, "__notes__", ()):
        if note.startswith(REFUSAL_NOTE):
            return str(note[len(REFUSAL_NOTE):])
    return None


def _headers(ref: str, kid: str, scope: KeyScope | None) -> dict[str, str]:
    """The object's headers: how to open it, and the retention scope it expires with (the
    index :mod:`~hub.service_layer.documents.expiry` finds a scope's documents by)."""
    headers = {"Hub-Subject": ref, "Hub-Kid": kid}
    if scope is not None:
        headers |= {"Hub-Purpose": scope.purpose, "Hub-Expiry-Bucket": scope.bucket}
    return headers


def _as_checked(door: Door, checked: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """A supplier's bytes: whatever passed the door."""
    return checked


def _department_of(service: str) -> str:
    """``region/department`` of ``region/department/service``."""
    return service.rsplit("/", 1)[0]

