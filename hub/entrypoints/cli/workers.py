"""``interop-hub serve --workers N``: N hub processes sharing one region, one listening socket.

One Python process is held to one core by the GIL, so a region scales by
processes. This parent binds the HTTP socket once and starts N ``serve``
processes that inherit it, with a table of how many connections each worker serves
(:mod:`hub.entrypoints.http.connection_share`): a worker takes new connections while
it holds no more than the others, so kept-alive clients spread over the pool instead
of staying with whichever worker accepted a burst. Every worker answers queries and
delivers, pulling from the same durable JetStream consumers; exactly one, the holder of the relay
lease (:mod:`hub.adapters.store.relay_lease`), publishes the ledger and signs checkpoints.

The workers share the region's store and NATS. On SQLite the parent holds the data
folder's lock (:mod:`hub.adapters.store.writer_lock`) and its workers share it;
without ``HUB_NATS_URL`` the parent runs the region's embedded nats-server and its
users, and the workers connect to it; the parent also keeps the read store's
projections, off the workers' event loops (:mod:`hub.bootstrap.pool`). Workers start
one after another (the first creates tables and keys, the next find them), and a
worker that exits on its own is started again after ``RESTART_DELAY_S``; a SIGTERM
or SIGINT to the parent is passed to every worker, which drain and stop as a single
hub does.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

import structlog

from contracts import default_registry
from contracts.errors import HubError
from hub.adapters.store.selection import describe_store, is_sqlite
from hub.adapters.store.writer_lock import sole_writer
from hub.bootstrap.pool import running_pool_parent
from hub.entrypoints.http.asgi_server import bind_socket
from hub.entrypoints.http.connection_share import ConnectionShare
from hub.service_layer.exchanges.routing import load_services
from hub.settings import HubSettings

log = structlog.get_logger("hub.workers")

READY_LINE = b"running; SIGTERM or Ctrl-C stops it"
READY_WITHIN_S = 120.0
RESTART_DELAY_S = 1.0
STOP_WITHIN_S = 30.0
_PR_SET_PDEATHSIG = 1


async def run_workers(settings: HubSettings, services: Path, workers: int, *,
                      announce: bool = True) -> int:
    """Run ``workers`` hub processes on one listening socket until cancelled (a signal)."""
    async with contextlib.AsyncExitStack() as stack:
        if is_sqlite(settings.store):
            stack.enter_context(sole_writer(settings.data))  # held for the workers too
        # the region's nats-server (without HUB_NATS_URL) and projections (hub.bootstrap.pool)
        parent = await stack.enter_async_context(running_pool_parent(
            settings, load_services(services, default_registry())))
        sock = bind_socket(settings.http_host, settings.http_port)
        stack.callback(sock.close)
        sock.set_inheritable(True)
        host, port = sock.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        share = ConnectionShare.create(workers)  # who holds how many connections
        stack.callback(os.close, share.fd)
        stack.callback(share.close)
        pool = _Pool(settings, services, sock.fileno(), share, parent.env)
        stack.push_async_callback(pool.stop_all)
        await pool.start_all()
        if announce:
            print(f"hub of region {settings.region}: http://{shown}:{port}  ({workers} workers, "
                  f"pids {' '.join(str(p) for p in pool.pids())}; store "
                  f"{describe_store(settings.store, settings.data)})", flush=True)
            print(READY_LINE.decode(), flush=True)
        running = asyncio.ensure_future(pool.keep_running())
        parent_down = asyncio.ensure_future(parent.failed())
        try:
            await asyncio.wait([running, parent_down], return_when=asyncio.FIRST_COMPLETED)
        finally:
            running.cancel()
            parent_down.cancel()
        if parent_down.done() and not parent_down.cancelled():
            log.error("the workers' parent stopped doing its share; stopping",
                      reason=parent_down.result())
            return 1
        return running.result()


class _Pool:
    """The worker processes: started in turn, restarted when one exits, stopped together."""

    def __init__(self, settings: HubSettings, services: Path, fd: int, share: ConnectionShare,
                 env: Mapping[str, str]) -> None:
        self._command = [sys.executable, "-m", "hub.entrypoints.cli.main", "serve",
                         str(services), "--data", str(settings.data), "--listen-fd", str(fd),
                         "--share-fd", str(share.fd)]
        self._env = {**os.environ, **env, "HUB_POOL_PARENT": str(os.getpid())}
        self._fd = fd
        self._share = share
        self._size = len(share)
        self._procs: dict[int, asyncio.subprocess.Process] = {}  # slot -> process
        self._drains: dict[int, asyncio.Future[None]] = {}

    def pids(self) -> list[int]:
        return [p.pid for p in self._procs.values()]

    async def start_all(self) -> None:
        for slot in range(self._size):
            await self._start(slot)

    async def _start(self, slot: int) -> None:
        proc = await asyncio.create_subprocess_exec(
            *self._command, "--slot", str(slot), pass_fds=(self._fd, self._share.fd),
            env=self._env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            preexec_fn=_stop_with_parent if sys.platform == "linux" else None)
        self._procs[slot] = proc
        assert proc.stdout is not None
        try:
            async with asyncio.timeout(READY_WITHIN_S):
                while READY_LINE not in (line := await proc.stdout.readline()):
                    if not line:
                        raise HubError(f"hub worker {slot} (pid {proc.pid}) exited before it "
                                       f"was ready (status {await proc.wait()})")
        except TimeoutError:
            raise HubError(f"hub worker {slot} (pid {proc.pid}) not ready within "
                           f"{READY_WITHIN_S:.0f} s") from None
        # Nothing more to read, but a full pipe would block the worker's prints.
        self._drains[slot] = asyncio.ensure_future(_drain(proc.stdout))
        log.info("hub worker started", slot=slot, pid=proc.pid)

    async def keep_running(self) -> int:
        """Start again every worker that exits; give up (1) after three failed starts in a row."""
        failed_starts = 0
        while True:
            waits = {asyncio.ensure_future(p.wait()): slot for slot, p in self._procs.items()}
            done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            for task in done:
                slot = waits[task]
                self._share.withdraw(slot)  # a worker killed -9 could not say it is gone
                log.error("hub worker exited; starting another", slot=slot,
                          pid=self._procs[slot].pid, status=task.result())
                await asyncio.sleep(RESTART_DELAY_S)
                try:
                    await self._start(slot)
                    failed_starts = 0
                except HubError as exc:
                    log.error("hub worker did not start again", slot=slot, reason=exc.message)
                    failed_starts += 1
                    if failed_starts >= 3:
                        return 1

    async def stop_all(self) -> None:
        alive = [p for p in self._procs.values() if p.returncode is None]
        for proc in alive:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        if not alive:
            return
        _, late = await asyncio.wait([asyncio.ensure_future(p.wait()) for p in alive],
                                     timeout=STOP_WITHIN_S)
        if late:
            for proc in alive:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()


async def _drain(stream: asyncio.StreamReader) -> None:
    while await stream.readline():
        pass


def _stop_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    # A parent killed with -9 cannot pass its SIGTERM on; the kernel does it instead.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
