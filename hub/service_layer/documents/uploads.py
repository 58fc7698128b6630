"""Resumable uploads: a document sent in several ``PUT`` requests, each at a stated offset.

``start`` opens a session for a declared size and begins the supply at once: sealing and
storing consume the bytes as each ``PUT`` delivers them, so nothing accumulates between
requests. A ``PUT`` must start exactly at the bytes received so far (its offset): one that
does not is refused, naming the offset to resume from. A ``PUT`` cut off midway keeps what
arrived; the client asks for the offset and sends the rest. The session ends when the
declared size has arrived (the document is recorded) or when a refusal ends it, or after
:data:`IDLE_S` without bytes (recorded as abandoned).

Sessions live in the process that started them (the supply is streaming into that
process's Object Store put): a client resumes against the same hub process, and a
restarted process has none (known limit).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field

import structlog

from contracts.errors import HubError
from hub.adapters.documents.errors import DocumentNotFound, DocumentRefused, UploadOffsetError
from hub.domain.document import Document
from hub.service_layer.documents.supply import Documents, Supply

log = structlog.get_logger("hub.service_layer.documents.uploads")

IDLE_S = 300.0
"""A session without new bytes for this long is abandoned (and its refusal recorded)."""


class UploadAbandoned(DocumentRefused):
    """Raised (and recorded) when a resumable upload receives no bytes for IDLE_S."""

    code = "upload-abandoned"
    status = 408


@dataclass
class UploadSession:
    """One resumable upload: who, what, how far."""

    upload_id: str
    supply: Supply
    size: int
    received: int = 0
    outcome: asyncio.Task[Document] | None = None
    _queue: asyncio.Queue[bytes | None] = field(  # None: the declared size arrived
        default_factory=lambda: asyncio.Queue(maxsize=4))
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def done(self) -> bool:
        return self.outcome is not None and self.outcome.done()

    async def source(self, idle_s: float) -> AsyncIterator[bytes]:
        """The bytes as the PUTs hand them over, until the declared size has arrived."""
        while True:
            try:
                block = await asyncio.wait_for(self._queue.get(), idle_s)
            except TimeoutError:
                raise UploadAbandoned(
                    f"upload {self.upload_id} received no bytes for {idle_s:.0f} s at offset "
                    f"{self.received} of {self.size}", path=f"upload:{self.upload_id}",
                    field="offset") from None
            if block is None:
                return
            yield block


class Uploads:
    """The resumable upload sessions of this process."""

    def __init__(self, documents: Documents, *, idle_s: float = IDLE_S) -> None:
        self.documents = documents
        self.idle_s = idle_s
        self._sessions: dict[str, UploadSession] = {}

    def start(self, supply: Supply) -> UploadSession:
        """A new session for ``supply`` (its ``declared_size`` is required)."""
        if supply.declared_size is None or supply.declared_size < 0:
            raise DocumentRefused("a resumable upload declares its size in bytes",
                                  field="size", path="size")
        session = UploadSession(str(uuid.uuid4()), supply, supply.declared_size)
        session.outcome = asyncio.create_task(
            self.documents.supply(supply, session.source(self.idle_s)),
            name=f"upload-{session.upload_id}")
        session.outcome.add_done_callback(
            lambda task: self._ended(session.upload_id, task))
        self._sessions[session.upload_id] = session
        return session

    def get(self, upload_id: str, owner: str) -> UploadSession:
        """The live session ``upload_id`` of department ``owner``."""
        session = self._sessions.get(upload_id)
        if session is None or session.supply.supplier != owner:
            raise DocumentNotFound(f"no open upload {upload_id} of {owner} in this hub process "
                                   "(finished, abandoned, refused, or started elsewhere)",
                                   path=f"upload:{upload_id}", field="upload_id")
        return session

    async def append(self, session: UploadSession, offset: int,
                     body: AsyncIterable[bytes]) -> int:
        """Pass ``body`` on from ``offset``; returns the offset reached (even if cut off)."""
        async with session._lock:  # one PUT at a time per session
            if offset != session.received:
                error = UploadOffsetError(
                    f"this chunk starts at byte {offset} but upload {session.upload_id} has "
                    f"received {session.received}: resume from {session.received}",
                    field="offset", path="header:Upload-Offset")
                error.offset = session.received
                raise error
            async for block in body:  # a cut-off PUT ends early and keeps what arrived
                if block:
                    await self._put(session, block)
            if session.received >= session.size:
                await self._put(session, None)
        return session.received

    def _ended(self, upload_id: str, task: asyncio.Task[Document]) -> None:
        """Forget a finished session; its refusal, if any, was recorded by the supply."""
        self._sessions.pop(upload_id, None)
        error = None if task.cancelled() else task.exception()
        if error is not None:  # retrieved: a refusal nobody awaits is no asyncio warning
            log.info("upload ended without a document", upload_id=upload_id,
                     error=repr(error))

    async def finished(self, session: UploadSession) -> Document:
        """The recorded document once the whole size arrived (or the refusal)."""
        assert session.outcome is not None  # set by start()
        return await session.outcome

    async def _put(self, session: UploadSession, block: bytes | None) -> None:
        """Hand one block over, unless the supply already ended (a refusal mid-upload)."""
        if block is not None:
            session.received += len(block)
        put = asyncio.ensure_future(session._queue.put(block))
        assert session.outcome is not None
        await asyncio.wait({put, session.outcome}, return_when=asyncio.FIRST_COMPLETED)
        if not put.done():
            put.cancel()
        if session.outcome.done():
            error = session.outcome.exception()
            if isinstance(error, HubError):
                raise error
