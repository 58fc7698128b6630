"""One outbox relay per region at a time, whatever the number of hub processes.

Several hub processes may share a region's PostgreSQL store. Every one of them
answers queries and delivers, but only one may publish the ledger to JetStream:
two relays would race for the same tracking position and publish every exchange
twice. The relay therefore runs only while its process holds the region's
*relay lease*: a PostgreSQL session advisory lock (``pg_try_advisory_lock``)
taken on a connection of its own. The lock lives as long as that connection, so
a holder that dies, even by ``kill -9``, releases it when PostgreSQL closes the
session, and a standby, retrying every ``retry_s``, takes it over. Server-side
TCP keepalives bound how long a silently vanished holder keeps it.

The holder checks its lease connection every ``check_s``; if the connection is
gone it stops relaying at once. Between the lock's release and that check both
processes may publish the same positions: JetStream's duplicate window
(``Nats-Msg-Id``) drops the second publication, and a relay that loses the
tracking race re-reads the position (:mod:`hub.service_layer.exchanges.relay`).

On SQLite the processes sharing a store run on one host (``serve --workers N``, whose
parent holds the folder's :mod:`hub.adapters.store.writer_lock`), and the lease is an
exclusive ``flock`` on a file beside the ledger: the kernel drops it when its holder
ends, ``kill -9`` included, and a standby retrying every ``retry_s`` takes it over. A
lone hub takes it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import psycopg
import structlog

from hub.adapters.store.selection import postgres_environment, sqlite_path
from hub.settings import HubSettings

log = structlog.get_logger("hub.adapters.store.relay_lease")

RETRY_S = 1.0
CHECK_S = 1.0
_QUERY_TIMEOUT_S = 5.0


class RelayLease(Protocol):
    """The right to run the region's relay and checkpointer."""

    # held now (a standby's gateway then wakes the holder's relay: hub.adapters.nats.relay_wake)
    held: bool
    ever_held: bool  # held at some time since the hub started (it signs the last checkpoint)

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait until held (True), or until ``stop`` is set (False)."""

    async def until_lost(self) -> None:
        """Return when the lease is no longer held."""

    async def release(self) -> None:
        """Give the lease up (a standby may take it at once)."""


class FileLease:
    """An exclusive ``flock`` on a file beside a SQLite ledger, for the processes of one host."""

    def __init__(self, path: Path, *, retry_s: float = RETRY_S) -> None:
        self.path = path
        self._retry_s = retry_s
        self._fd: int | None = None
        self.held = False
        self.ever_held = False

    async def acquire(self, stop: asyncio.Event) -> bool:
        while not stop.is_set():
            if self._try():
                self.held = self.ever_held = True
                log.info("relay lease taken", path=str(self.path), pid=os.getpid())
                return True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._retry_s)
        return False

    def _try(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)  # who holds it, for operators
        self._fd = fd
        return True

    async def until_lost(self) -> None:
        await asyncio.Event().wait()  # a lock on a local file holds until released

    async def release(self) -> None:
        if self._fd is not None:
            log.info("relay lease released", path=str(self.path))
            os.close(self._fd)  # frees the lock
        self._fd = None
        self.held = False


def file_lease_holder(path: Path) -> int | None:
    """The pid written by the process that last took the file lease at ``path`` (None: never)."""
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


class AdvisoryLease:
    """A PostgreSQL session advisory lock, held on a dedicated connection."""

    def __init__(self, store_url: str, region: str, *, duty: str = "relay",
                 retry_s: float = RETRY_S, check_s: float = CHECK_S) -> None:
        env = postgres_environment(store_url)
        schema = env.get("POSTGRES_SCHEMA", "public")
        self.key = lease_key(region, env["POSTGRES_DBNAME"], schema, duty)
        self._connect_args: dict[str, Any] = {
            "host": env["POSTGRES_HOST"], "port": int(env["POSTGRES_PORT"]),
            "dbname": env["POSTGRES_DBNAME"], "user": env["POSTGRES_USER"],
            "password": env["POSTGRES_PASSWORD"] or None,
            "connect_timeout": int(env["POSTGRES_CONNECT_TIMEOUT"]),
            "application_name": f"interop-hub {duty} lease {region} pid {os.getpid()}",
            # The server notices a holder that vanished without closing its socket
            # (a cut network, a frozen VM) within about 5 + 3 x 2 s, and frees the lock.
            "options": "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 "
                       "-c tcp_keepalives_count=3",
            "autocommit": True,
        }
        self._retry_s = retry_s
        self._check_s = check_s
        self._conn: psycopg.AsyncConnection[Any] | None = None
        self.held = False
        self.ever_held = False

    async def acquire(self, stop: asyncio.Event) -> bool:
        while not stop.is_set():
            try:
                if await self._try():
                    self.held = self.ever_held = True
                    log.info("relay lease taken", key=self.key, pid=os.getpid())
                    return True
            except (psycopg.Error, OSError, TimeoutError) as exc:
                log.warning("relay lease: store unreachable, will retry", error=repr(exc))
                await self._drop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._retry_s)
        return False

    async def _try(self) -> bool:
        if self._conn is None or self._conn.closed:
            self._conn = await asyncio.wait_for(
                psycopg.AsyncConnection.connect(**self._connect_args), _QUERY_TIMEOUT_S)
        cursor = await asyncio.wait_for(
            self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)), _QUERY_TIMEOUT_S)
        row = await cursor.fetchone()
        return bool(row and row[0])

    async def until_lost(self) -> None:
        while True:
            await asyncio.sleep(self._check_s)
            try:
                assert self._conn is not None  # held: acquire() opened it
                await asyncio.wait_for(self._conn.execute("SELECT 1"), _QUERY_TIMEOUT_S)
            except (psycopg.Error, OSError, TimeoutError) as exc:
                log.warning("relay lease lost: its connection is gone", error=repr(exc))
                self.held = False
                await self._drop()
                return

    async def release(self) -> None:
        if self.held:
            log.info("relay lease released", key=self.key)
        self.held = False
        await self._drop()  # closing the session frees the lock

    async def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error, OSError):
                await self._conn.close()
        self._conn = None


def lease_key(region: str, dbname: str, schema: str, duty: str = "relay") -> int:
    """The advisory lock key of one region's ``duty`` lease in one store (signed 64 bits)."""
    digest = hashlib.sha256(f"interop-hub {duty} {region} {dbname} {schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def relay_lease(settings: HubSettings, duty: str = "relay") -> RelayLease:
    """The lease of a region-wide ``duty`` that fits the store: an advisory lock on
    PostgreSQL, a file lock on SQLite. ``relay``: the outbox relay and the other duties
    of one writer; ``projections``: the read store's follower (:data:`PROJECTIONS`)."""
    store = settings.store
    if store and urlsplit(store).scheme in ("postgresql", "postgres"):
        return AdvisoryLease(store, settings.region, duty=duty)
    ledger = sqlite_path(store, settings.data)
    return FileLease(ledger.with_name(f"{ledger.name}.{duty}-lease"))


PROJECTIONS = "projections"
"""The projections' own lease. Their follower decodes and applies every event in
rounds; in a process that also serves queries those rounds share its one core and GIL
with the event loop, and they were the largest share of the query latency's tail
(p99 12-32 ms with the follower off against 26-75 ms on, 200 queries/s, same machine).
A lease of their own lets the parent of ``serve --workers N`` run them, off the workers'
event loops, while a lone hub still runs them itself."""


Duty = Callable[[asyncio.Event], Awaitable[None]]
"""A region-wide duty: runs until the event it is given is set, then returns."""


Report = Callable[[str, str], None]
"""Told (duty name, reason) when a duty fails: the hub's task supervisor."""


async def while_leased(
    lease: RelayLease, duties: Mapping[str, Duty], stop: asyncio.Event, *, report: Report
) -> None:
    """Run ``duties`` (by name: the relay, the projection follower, the checkpointer)
    whenever this process holds ``lease``, until ``stop``.

    A lost lease stops them at once (cancelled: what the relay had not yet tracked,
    the next holder publishes again, and the duplicate window drops it). A duty that
    fails is reported, so /health turns 503 and the process gets replaced, while the
    others carry on: the relay must not stop because the read models could not.
    """
    try:
        while await lease.acquire(stop):
            try:
                if await _hold(lease, duties, stop, report):
                    return
            finally:
                await lease.release()
    finally:
        await lease.release()  # a standby's waiting connection, too


async def _hold(
    lease: RelayLease, duties: Mapping[str, Duty], stop: asyncio.Event, report: Report
) -> bool:
    """Run the duties while the lease holds; True when the hub is stopping."""
    term = asyncio.Event()
    names = {asyncio.ensure_future(duty(term)): name for name, duty in duties.items()}
    running = set(names)
    lost = asyncio.ensure_future(lease.until_lost())
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while True:
            done, _ = await asyncio.wait({*running, lost, stopping},
                                         return_when=asyncio.FIRST_COMPLETED)
            if stopping.done():
                term.set()  # relay what is recorded, then return
                await asyncio.gather(*running, return_exceptions=True)
                return True
            if lost.done():
                await _cancel(list(running))
                return False
            for task in done & running:
                running.discard(task)
                report(names[task], _reason(task))
    finally:
        for task in (*names, lost, stopping):
            task.cancel()


def _reason(task: asyncio.Future[None]) -> str:
    error = task.exception()
    if error is None:
        return "returned while the hub was running"
    return f"{type(error).__name__}: {getattr(error, 'message', None) or error}"


async def _cancel(tasks: Sequence[asyncio.Future[None]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
