"""Documents follow retention: an expired scope's documents are deleted, and that is recorded.

:class:`DocumentExpiry` is the retention enforcer's sink for the document store
(:class:`~hub.service_layer.privacy.retention.ExpiredDataSink`). Told that the scope
``(subject, purpose, bucket)`` expired, it finds that scope's documents by their objects'
headers (``Hub-Subject``, ``Hub-Purpose``, ``Hub-Expiry-Bucket``, written at supply), records
``Document.Expired`` on each and then deletes its object.

**Cost.** Finding the documents reads the bucket's metadata — one small message per stored
document, the last of each name — never the chunks and never the ledger's history. One
read serves a whole pass: it keeps (in memory) only the objects whose expiry bucket had
ended when it was read — in steady state just what this pass deletes — and any scope that
had ended by then is answered from it. That is complete because a scope is never added to
once its bucket is over (a document's bucket ends after it was supplied). A scope ending
after the read (the enforcer's clock ahead of the sink's: the scope then counts as ended)
or a read older than :data:`REUSE_S` makes a fresh read.

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
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog
from eventsourcing.persistence import IntegrityError

from hub.adapters.documents.errors import DocumentNotFound, DocumentStoreError
from hub.adapters.documents.object_store import DocumentStore
from hub.adapters.store.ledger import Ledger
from hub.domain.retention import RetentionPeriodError, bucket_end
from hub.service_layer.documents.reading import document_of

log = structlog.get_logger("hub.service_layer.documents.expiry")

_SAVE_ATTEMPTS = 8
"""A disclosure recorded at the same moment makes recording the expiry reload and retry."""
DEFAULT_TIMEOUT_S = 300.0
"""How long the enforcer's thread waits for one scope's documents to be deleted."""
REUSE_S = 60.0
"""How long one read of the bucket's metadata answers for (a pass takes less, in general)."""

Scope = tuple[str, str, str]  # subject reference, purpose, expiry bucket


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class _Ended:
    """The objects of every scope whose bucket had ended at ``as_of``, as read then."""

    as_of: dt.datetime
    read_at: float  # time.monotonic() of the read
    scopes: dict[Scope, list[str]] = field(default_factory=dict)


class DocumentExpiry:
    """Deletes (and records) the documents of each expired retention scope."""

    def __init__(self, ledger: Ledger, store: DocumentStore, loop: asyncio.AbstractEventLoop,
                 timeout_s: float = DEFAULT_TIMEOUT_S,
                 clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self.ledger = ledger
        self.store = store
        self._loop = loop  # the loop the store's connection lives on
        self._timeout_s = timeout_s
        self._clock = clock  # the time buckets end by: the enforcer's
        self._ended: _Ended | None = None

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
        names = await self._names((subject_ref, purpose, bucket))
        for name in names:
            await asyncio.to_thread(self._record, name, bucket)
            await self.store.delete(name)
        if names:
            log.info("documents expired", documents=len(names), purpose=purpose,
                     bucket=bucket)
        return names

    async def _names(self, scope: Scope) -> list[str]:
        """The scope's stored documents, taken out of the last read (read again if it is
        too old, or if the scope had not ended when it was made)."""
        ended, end = self._ended, bucket_end(scope[2])
        if ended is None or end > ended.as_of or time.monotonic() - ended.read_at > REUSE_S:
            # the enforcer says the scope ended: it counts as ended even if this clock lags
            ended = self._ended = await self._read(max(self._clock(), end))
        return ended.scopes.pop(scope, [])

    async def _read(self, as_of: dt.datetime) -> _Ended:
        """One read of the bucket's metadata, keeping the objects of the scopes ended at
        ``as_of``."""
        ended = _Ended(as_of, time.monotonic())
        for stored in await self.store.listing():
            headers = stored.headers
            scope = (headers.get("Hub-Subject", ""), headers.get("Hub-Purpose", ""),
                     headers.get("Hub-Expiry-Bucket", ""))
            if not all(scope):
                continue  # kept until its subject is forgotten
            try:
                if bucket_end(scope[2]) > ended.as_of:
                    continue
            except RetentionPeriodError:
                continue  # not a bucket this hub wrote
            ended.scopes.setdefault(scope, []).append(stored.name)
        return ended

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
