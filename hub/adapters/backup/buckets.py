"""The region's JetStream Object Store buckets: listed, read and written back, streamed.

Which buckets are a region's: every bucket whose name starts with
``hub-<region>-`` (e.g. ``hub-north-documents``): the naming rule of
:mod:`hub.adapters.nats.buckets`, which the document store follows too.

Objects are read chunk by chunk into a sink (``ObjectStore.get(writeinto=)``)
and written back from a reader (``ObjectStore.put`` reads a file-like object in
chunks), so no object is held whole in memory. nats-py's errors become
:class:`BackupToolError` here; every network await has a timeout.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import nats
from nats.errors import Error as NatsError
from nats.js.api import ObjectMeta
from nats.js.errors import NotFoundError

from hub.adapters.backup.errors import BackupToolError
from hub.adapters.nats.buckets import region_bucket_prefix

_STREAM_PREFIX = "OBJ_"
TIMEOUT_S = 10.0


def bucket_prefix(region: str) -> str:
    """The name prefix of every Object Store bucket that belongs to ``region``."""
    return region_bucket_prefix(region)


@dataclass(frozen=True)
class StoredObject:
    """One object as the backup names it: its bucket, name, and what its meta carried."""

    bucket: str
    name: str
    description: str | None = None
    headers: dict[str, Any] = field(default_factory=dict)


class ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of byte chunks (what ``put`` reads from)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        view = memoryview(buffer)
        size = min(len(view), len(self._pending))
        view[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


@contextlib.asynccontextmanager
async def connected(url: str, auth: dict[str, Any]) -> AsyncIterator[Any]:
    """A JetStream context on ``url`` (with the hub's NATS ``auth``), drained on exit."""
    failures: list[Exception] = []

    async def remember(exc: Exception) -> None:  # instead of nats-py's traceback on stderr
        failures.append(exc)

    try:
        # max_reconnect_attempts=0 is not "no retry" to nats-py: its server selection drops a
        # server only after more than N (> 0) attempts, so 0 retried an unreachable NATS
        # forever (a backup that never ended). 1 drops it after two attempts.
        nc = await nats.connect(url, connect_timeout=TIMEOUT_S, max_reconnect_attempts=1,
                                reconnect_time_wait=0.5, allow_reconnect=False,
                                error_cb=remember, name="interop-hub-backup", **auth)
    except (NatsError, OSError) as exc:
        cause = failures[-1] if failures else exc
        raise BackupToolError(
            f"NATS at {url} is not reachable ({type(cause).__name__}: {cause}); the Object "
            "Store buckets cannot be read or written") from exc
    try:
        yield nc.jetstream(timeout=TIMEOUT_S)
    finally:
        with contextlib.suppress(NatsError, OSError):
            await nc.drain()


async def region_buckets(js: Any, region: str) -> list[str]:
    """Names of the region's buckets (see :func:`bucket_prefix`), sorted."""
    prefix = _STREAM_PREFIX + bucket_prefix(region)
    try:
        streams = await js.streams_info()
    except NatsError as exc:
        raise BackupToolError(f"cannot list JetStream streams: {exc}") from exc
    return sorted(s.config.name[len(_STREAM_PREFIX):] for s in streams
                  if s.config.name and s.config.name.startswith(prefix))


async def objects_of(js: Any, bucket: str) -> list[StoredObject]:
    """The live (not deleted) objects of ``bucket``."""
    try:
        store = await js.object_store(bucket)
        infos = await store.list(ignore_deletes=True)
    except NotFoundError:
        return []  # an empty bucket lists as "not found"
    except NatsError as exc:
        raise BackupToolError(f"cannot list bucket {bucket}: {exc}") from exc
    return [StoredObject(bucket, i.name, i.description, dict(i.headers or {}))
            for i in infos if not i.deleted]


async def read_object(js: Any, item: StoredObject, sink: Callable[[bytes], object]) -> None:
    """Stream one object's bytes into ``sink`` (nats-py checks its digest at the end)."""

    class _Sink(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            sink(bytes(data))
            return len(data)

    try:
        store = await js.object_store(item.bucket)
        await store.get(item.name, writeinto=_Sink())
    except NatsError as exc:
        raise BackupToolError(f"cannot read {item.bucket}/{item.name}: {exc}") from exc


async def write_object(js: Any, item: StoredObject, chunks: Iterable[bytes]) -> None:
    """Put one object back into its bucket (created if missing), streamed from ``chunks``."""
    try:
        try:
            store = await js.object_store(item.bucket)
        except NotFoundError:
            store = await js.create_object_store(item.bucket)
        meta = ObjectMeta(name=item.name, description=item.description,
                          headers=item.headers or None)
        await store.put(item.name, ChunkReader(chunks), meta=meta)
    except NatsError as exc:
        raise BackupToolError(f"cannot write {item.bucket}/{item.name}: {exc}") from exc
