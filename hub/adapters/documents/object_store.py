"""The region's documents bucket on JetStream Object Store, streamed both ways.

**Bucket name.** ``hub-documents-<region>``, the region code lower-cased with any character
outside ``[a-z0-9_-]`` turned into ``_`` (``CN-31`` → ``hub-documents-cn-31``); its stream
is JetStream's ``OBJ_hub-documents-<region>``. Replicas: ``HUB_STREAM_REPLICAS``, as the
region's other streams.

**Objects.** One object per document, named by the document id, holding the sealed chunks
(:mod:`hub.adapters.documents.sealing`): each Object Store chunk is one sealed chunk. Its
headers say how to open it (subject reference, key id) — never anything personal.

**Streaming.** nats-py's ``put`` pulls its chunks from a reader in a worker thread; the
reader here hands that thread one sealed chunk at a time from the event loop, so a
document is sealed and stored as it arrives. Reading follows the object's chunk subject
with an ordered consumer, one message at a time, and checks the Object Store's SHA-256
of the stored bytes at the end (each chunk's GCM tag is checked as it is opened).

Every network await has a timeout; ``nats.errors`` become
:class:`~hub.adapters.documents.errors.DocumentStoreError` here and nowhere else.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.js import api
from nats.js.object_store import ObjectStore

from hub.adapters.documents.errors import DocumentNotFound, DocumentStoreError, DocumentTampered
from hub.adapters.documents.sealing import SEALED_CHUNK
from hub.adapters.nats.servers import servers

_TIMEOUT_S = 10.0
_STALL_S = 60.0
"""How long storing waits for the next bytes of a document before giving up."""
_NOT_LETTERS = re.compile(r"[^a-z0-9_-]")


def bucket_name(region: str) -> str:
    """The documents bucket of ``region`` (see the module's naming rule)."""
    return "hub-documents-" + _NOT_LETTERS.sub("_", region.lower())


@dataclass(frozen=True)
class StoredObject:
    """What the Object Store says of one stored (sealed) document."""

    name: str
    size: int  # sealed bytes
    chunks: int
    headers: Mapping[str, str]


class _ChunkReader:
    """A blocking ``readinto`` over an async iterator: nats-py calls it in a worker thread,
    and each call waits for the loop to produce the next sealed chunk."""

    def __init__(self, chunks: AsyncIterator[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self._chunks = chunks
        self._loop = loop

    def readinto(self, buffer: bytearray) -> int:
        future = asyncio.run_coroutine_threadsafe(_next_or_none(self._chunks), self._loop)
        chunk = future.result(timeout=_STALL_S)
        if chunk is None:
            return 0
        buffer[: len(chunk)] = chunk
        return len(chunk)


async def _next_or_none(chunks: AsyncIterator[bytes]) -> bytes | None:
    try:
        return await anext(chunks)
    except StopAsyncIteration:
        return None


class DocumentStore:
    """One region's documents bucket over one NATS connection (owned here)."""

    def __init__(self, nc: NatsClient, objects: ObjectStore, bucket: str) -> None:
        self._nc = nc
        self._js = nc.jetstream(timeout=_TIMEOUT_S)
        self.objects = objects  # the raw bucket (the bench compares against it)
        self.bucket = bucket

    @classmethod
    async def connect(
        cls, url: str, *, region: str, replicas: int = 1, name: str = "interop-hub-documents",
        auth: Mapping[str, Any] | None = None,
    ) -> DocumentStore:
        """Connect, and create the region's bucket unless it exists."""
        try:
            nc = await nats.connect(servers(url), name=name, connect_timeout=5,
                                    max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                                    **dict(auth or {}))
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            raise DocumentStoreError(f"cannot connect to NATS at {url}: {exc!r}") from exc
        bucket = bucket_name(region)
        js = nc.jetstream(timeout=_TIMEOUT_S)
        try:
            try:
                objects = await js.object_store(bucket)
            except nats.js.errors.BucketNotFoundError:
                objects = await js.create_object_store(bucket, api.ObjectStoreConfig(
                    description=f"documents of region {region}, sealed per data subject",
                    storage=api.StorageType.FILE, replicas=replicas))
        except (TimeoutError, nats.errors.Error) as exc:
            await nc.close()
            raise DocumentStoreError(f"cannot open the bucket {bucket}: {exc!r}") from exc
        return cls(nc, objects, bucket)

    async def put(self, name: str, sealed: AsyncIterator[bytes],
                  headers: Mapping[str, str]) -> StoredObject:
        """Store the sealed chunks as object ``name``; a failing source stores nothing.

        An exception from ``sealed`` (a refusal found mid-stream) propagates as it is,
        after nats-py purged the chunks already stored.
        """
        meta = api.ObjectMeta(name=name, headers=dict(headers),
                              options=api.ObjectMetaOptions(max_chunk_size=SEALED_CHUNK))
        reader = _ChunkReader(sealed, asyncio.get_running_loop())
        try:
            info = await self.objects.put(name, reader, meta=meta)  # type: ignore[arg-type]
        except (TimeoutError, nats.errors.Error) as exc:
            raise DocumentStoreError(f"cannot store document {name}: {exc!r}") from exc
        return StoredObject(name, int(info.size or 0), int(info.chunks or 0), dict(headers))

    async def describe(self, name: str) -> StoredObject:
        """The stored object's size and headers; :class:`DocumentNotFound` if absent."""
        info = await self._info(name)
        return StoredObject(name, int(info.size or 0), int(info.chunks or 0),
                            dict(info.headers or {}))

    async def get(self, name: str) -> AsyncIterator[bytes]:
        """The stored (sealed) bytes of ``name``, chunk by chunk; the Object Store's digest of
        them is checked after the last, raising :class:`DocumentTampered` if it differs."""
        info = await self._info(name)
        if not info.size:
            return
        subject = f"$O.{self.bucket}.C.{info.nuid}"
        digest = hashlib.sha256()
        try:
            sub = await self._js.subscribe(subject, ordered_consumer=True)
        except (TimeoutError, nats.errors.Error) as exc:
            raise DocumentStoreError(f"cannot read document {name}: {exc!r}") from exc
        try:
            while True:
                try:
                    msg = await sub.next_msg(timeout=_TIMEOUT_S)
                except (TimeoutError, nats.errors.Error) as exc:
                    raise DocumentStoreError(f"cannot read document {name}: {exc!r}") from exc
                digest.update(msg.data)
                yield msg.data
                if msg.metadata.num_pending == 0:
                    break
        finally:
            await sub.unsubscribe()
        expected = (info.digest or "").split("=", 1)[-1]
        if base64.urlsafe_b64encode(digest.digest()).decode() != expected:
            raise DocumentTampered(f"document {name}: the stored bytes do not match the "
                                   "Object Store's digest of them", path=f"document:{name}")

    async def delete(self, name: str) -> None:
        """Remove object ``name`` (its chunks are purged)."""
        try:
            await self.objects.delete(name)
        except nats.js.errors.NotFoundError:
            return
        except (TimeoutError, nats.errors.Error) as exc:
            raise DocumentStoreError(f"cannot delete document {name}: {exc!r}") from exc

    async def close(self) -> None:
        """Drain and close the connection."""
        try:
            await asyncio.wait_for(self._nc.drain(), timeout=_TIMEOUT_S)
        except (TimeoutError, nats.errors.Error):
            await self._nc.close()

    async def _info(self, name: str) -> api.ObjectInfo:
        try:
            return await self.objects.get_info(name)
        except nats.js.errors.NotFoundError:
            raise DocumentNotFound(f"no stored document {name} in {self.bucket}",
                                   path=f"document:{name}") from None
        except (TimeoutError, nats.errors.Error) as exc:
            raise DocumentStoreError(f"cannot read document {name}: {exc!r}") from exc
