"""Documents follow retention: an expired scope's documents are deleted, and that is recorded.

:class:`DocumentExpiry` is the retention enforcer's sink for the document store
(:class:`~hub.service_layer.privacy.retention.ExpiredDataSink`). Told that the scope
``(subject, purpose, bucket)`` expired, it finds that scope's documents by their objects'
headers (``Hub-Subject``, ``Hub-Purpose``, ``Hub-Expiry-Bucket``, written at supply), records
``Document.Expired`` on each and then deletes its object.

**Cost.** Finding a scope's documents reads the bucket's metadata — one small message per
stored document, the last of each name — never the chunks and never the ledger's history;
a pass makes one such read per expired scope. Documents of an expired scope are never added
to later (a document's bucket ends after it was supplied), so what the read finds is all of
them.

**Idempotent and resumable.** Recording comes first, deleting second: should the process
die in between, the object is still listed, the next pass finds it, sees it recorded (the
document is already ``expired``: nothing recorded twice) and deletes it. A document deleted
and recorded is no longer listed: a second pass does nothing. An object with no recorded
document (a supply that died between storing and recording) is deleted without a record:
no document of it ever existed. Any failure raises, so the enforcer keeps the key for its
next pass.
"""

from __future__ import annotations

import asyncio

import structlog
from eventsourcing.persistence import IntegrityError

from hub.adapters.documents.errors import DocumentNotFound, DocumentStoreError
from hub.adapters.documents.object_store import DocumentStore
from hub.adapters.store.ledger import Ledger
from hub.service_layer.documents.reading import document_of

log = structlog.get_logger("hub.service_layer.documents.expiry")

_SAVE_ATTEMPTS = 8
"""A disclosure recorded at the same moment makes recording the expiry reload and retry."""
DEFAULT_TIMEOUT_S = 300.0
"""How long the enforcer's thread waits for one scope's documents to be deleted."""


class DocumentExpiry:
    """Deletes (and records) the documents of each expired retention scope."""

    def __init__(self, ledger: Ledger, store: DocumentStore, loop: asyncio.AbstractEventLoop,
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.ledger = ledger
        self.store = store
        self._loop = loop  # the loop the store's connection lives on
        self._timeout_s = timeout_s

    def on_expired(self, subject_ref: str, purpose: str, bucket: str) -> None:
        """The enforcer's call, from its worker thread: done on the store's loop, waited for."""
        if _running_loop() is self._loop:
            raise RuntimeError("DocumentExpiry.on_expired blocks: call it off the event loop "
                               "(the enforcer runs in a worker thread)")
        future = asyncio.run_coroutine_threadsafe(
            self.expire(subject_ref, purpose, bucket), self._loop)
        try:
            future.result(timeout=self._timeout_s)
        except TimeoutError:
            future.cancel()
            raise DocumentStoreError(
                f"deleting the expired documents of {subject_ref}, purpose {purpose}, "
                f"bucket {bucket} took over {self._timeout_s:g} s; the next pass retries"
            ) from None

    async def expire(self, subject_ref: str, purpose: str, bucket: str) -> list[str]:
        """Record and delete every document of the scope; the ids of those deleted."""
        names = await self.store.named_by({"Hub-Subject": subject_ref, "Hub-Purpose": purpose,
                                           "Hub-Expiry-Bucket": bucket})
        for name in names:
            await asyncio.to_thread(self._record, name, bucket)
            await self.store.delete(name)
        if names:
            log.info("documents expired", documents=len(names), purpose=purpose,
                     bucket=bucket)
        return names

    def _record(self, document_id: str, bucket: str) -> None:
        """``Document.Expired`` once (a document already expired is left as it is)."""
        for attempt in range(_SAVE_ATTEMPTS):
            try:
                document = document_of(self.ledger, document_id)
            except DocumentNotFound:
                return  # an object whose supply was never recorded: nothing to record
            if document.expired:
                return
            document.expire(bucket)
            try:
                self.ledger.save(document)
                return
            except IntegrityError:
                if attempt + 1 == _SAVE_ATTEMPTS:
                    raise


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
