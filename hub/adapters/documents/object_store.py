"""The region's documents bucket on JetStream Object Store, streamed both ways.

**Bucket name.** ``hub-<region>-documents``, the region code lower-cased with any character
outside ``[a-z0-9_-]`` turned into ``_`` (``CN-31`` → ``hub-cn-31-documents``), by the one
rule of :mod:`hub.adapters.nats.buckets` that backup follows too; its stream is JetStream's
``OBJ_hub-<region>-documents``. Replicas: ``HUB_STREAM_REPLICAS``, as the
region's other streams.

**Objects.** One object per document, named by the document id, holding the sealed chunks
(:mod:`hub.adapters.documents.sealing`): each Object Store chunk is one sealed chunk. Its
headers say how to open it (subject reference, key id) — never anything personal.

**Streaming.** Storing publishes each sealed chunk as it is made (a few chunks are sealed
ahead), so a document is sealed and stored as it arrives, never whole. Reading follows the
object's chunk subject with an ordered consumer, one message at a time, and checks the
Object Store's SHA-256 of the stored bytes at the end (each chunk's GCM tag is checked as
it is opened).

Every network await has a timeout; ``nats.errors`` become
:class:`~hub.adapters.documents.errors.DocumentStoreError` here and nowhere else.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.js import api
from nats.js.kv import MSG_ROLLUP_SUBJECT
from nats.js.object_store import (
    OBJ_CHUNKS_PRE_TEMPLATE,
    OBJ_DIGEST_TEMPLATE,
    OBJ_META_PRE_TEMPLATE,
    OBJ_STREAM_TEMPLATE,
    ObjectStore,
)
from nats.nuid import NUID

from hub.adapters.documents.errors import DocumentNotFound, DocumentStoreError, DocumentTampered
from hub.adapters.documents.sealing import SEALED_CHUNK
from hub.adapters.nats.buckets import region_bucket
from hub.adapters.nats.servers import servers

_TIMEOUT_S = 10.0
_STALL_S = 60.0
"""How long storing waits for the next bytes of a document before giving up."""
_AHEAD = 4
"""Sealed chunks prepared ahead of the one being stored (memory: 4 x 256 KiB)."""


def bucket_name(region: str) -> str:
    """The documents bucket of ``region`` (:mod:`hub.adapters.nats.buckets`'s naming rule)."""
    return region_bucket(region, "documents")


@dataclass(frozen=True)
class StoredObject:
    """What the Object Store says of one stored (sealed) document."""

    name: str
    size: int  # sealed bytes
    chunks: int
    headers: Mapping[str, str]


def _header(info: api.ObjectInfo, name: str) -> str | None:
    """One header of an object's info: a string as stored here, or the first of a list as
    other Object Store clients write them."""
    value = (info.headers or {}).get(name)
    if isinstance(value, list):
        return str(value[0]) if value else None
    return None if value is None else str(value)


class _Ahead:
    """Sealed chunks prepared by a task on the loop, :data:`_AHEAD` ahead of the one being
    stored, so sealing the next chunk overlaps waiting for this one's acknowledgement."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue(_AHEAD)
        self.task = asyncio.get_running_loop().create_task(self._fill(chunks))

    async def _fill(self, chunks: AsyncIterator[bytes]) -> None:
        try:
            async for chunk in chunks:
                await self._queue.put(chunk)
        except BaseException as exc:  # raised again where the chunk was awaited
            await self._queue.put(exc)
            return
        await self._queue.put(None)

    async def next(self) -> bytes | None:
        """The next sealed chunk; None after the last (the source's error, raised)."""
        chunk = await asyncio.wait_for(self._queue.get(), _STALL_S)
        if isinstance(chunk, BaseException):
            raise chunk
        return chunk


async def _replicate(js: Any, stream: str, replicas: int) -> None:
    """Bring an existing bucket's stream to ``replicas`` (HUB_STREAM_REPLICAS may have grown
    since it was made), as the bus does for the region's other streams."""
    info = await js.stream_info(stream)
    if int(info.config.num_replicas or 1) != replicas:
        info.config.num_replicas = replicas
        await js.update_stream(info.config)


class DocumentStore:
    """One region's documents bucket over one NATS connection (owned here)."""

    def __init__(self, nc: NatsClient, objects: ObjectStore, bucket: str) -> None:
        self._nc = nc
        self._js = nc.jetstream(timeout=_TIMEOUT_S)
        self.objects = objects  # the raw bucket (the bench compares against it)
        self.bucket = bucket
        self._nuid = NUID()  # each object's chunks go to a subject of their own

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
                await _replicate(js, OBJ_STREAM_TEMPLATE.format(bucket=bucket), replicas)
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

        The Object Store's own protocol, as nats-py's ``put`` speaks it (each chunk published
        to ``$O.<bucket>.C.<nuid>``, then the object's info, SHA-256 included, to
        ``$O.<bucket>.M.<name>`` with a roll-up), so every Object Store client reads it. Not
        nats-py's ``put`` itself: it pulls chunks from a blocking reader in a worker thread,
        two thread hand-offs per chunk for a stream that is produced on the event loop.

        An exception from ``sealed`` (a refusal found mid-stream) propagates as it is, after
        the chunks already stored were purged.
        """
        nuid = self._nuid.next().decode()
        chunks_subject = OBJ_CHUNKS_PRE_TEMPLATE.format(bucket=self.bucket, obj=nuid)
        ahead = _Ahead(sealed)
        digest, size, count = hashlib.sha256(), 0, 0
        try:
            while (chunk := await ahead.next()) is not None:
                digest.update(chunk)
                await self._js.publish(chunks_subject, chunk)
                size, count = size + len(chunk), count + 1
            info = api.ObjectInfo(
                name=name, bucket=self.bucket, nuid=nuid, size=size, chunks=count,
                mtime=dt.datetime.now(dt.UTC).isoformat(), headers=dict(headers),
                options=api.ObjectMetaOptions(max_chunk_size=SEALED_CHUNK),
                digest=OBJ_DIGEST_TEMPLATE.format(
                    digest=base64.urlsafe_b64encode(digest.digest()).decode()))
            meta_subject = OBJ_META_PRE_TEMPLATE.format(
                bucket=self.bucket, obj=base64.urlsafe_b64encode(name.encode()).decode())
            await self._js.publish(meta_subject, json.dumps(info.as_dict()).encode(),
                                   headers={api.Header.ROLLUP: MSG_ROLLUP_SUBJECT})
        except BaseException as exc:
            ahead.task.cancel()
            await self._purge(chunks_subject)
            if isinstance(exc, TimeoutError | nats.errors.Error):
                raise DocumentStoreError(f"cannot store document {name}: {exc!r}") from exc
            raise
        return StoredObject(name, size, count, dict(headers))

    async def _purge(self, subject: str) -> None:
        """Drop the chunks of an object that was not stored (best effort: the store may be
        what failed; orphan chunks hold only sealed bytes and no object names them)."""
        with contextlib.suppress(TimeoutError, nats.errors.Error):
            await self._js.purge_stream(self.stream, subject=subject)

    @property
    def stream(self) -> str:
        """The JetStream stream holding the bucket (``OBJ_<bucket>``)."""
        return OBJ_STREAM_TEMPLATE.format(bucket=self.bucket)

    async def stream_info(self, name: str) -> api.StreamInfo:
        """JetStream's info of stream ``name`` (the durability check reads the bucket's)."""
        try:
            return await self._js.stream_info(name)
        except (TimeoutError, nats.errors.Error) as exc:
            raise DocumentStoreError(f"cannot read stream {name}: {exc!r}") from exc

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
        subject = OBJ_CHUNKS_PRE_TEMPLATE.format(bucket=self.bucket, obj=info.nuid)
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

    async def listing(self) -> list[StoredObject]:
        """Every stored object, with its headers.

        Reads the bucket's metadata only — the last info message of each name, one small
        message per stored object — never the chunks, nor any history: the cost grows with
        the documents the region holds now.
        """
        try:
            infos = await asyncio.wait_for(self.objects.list(ignore_deletes=True), _STALL_S)
        except nats.js.errors.NotFoundError:
            return []  # an empty bucket
        except (TimeoutError, nats.errors.Error) as exc:
            raise DocumentStoreError(f"cannot list the documents of {self.bucket}: "
                                     f"{exc!r}") from exc
        return [StoredObject(str(info.name), int(info.size or 0), int(info.chunks or 0),
                             {k: v for k in (info.headers or {}) if (v := _header(info, k))})
                for info in infos if not info.deleted]

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
