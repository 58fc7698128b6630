"""``interop-hub serve --workers N``: N hub processes sharing one region, one listening socket.

One Python process is held to one core by the GIL, so a region scales by
processes. This parent binds the HTTP socket once and starts N ``serve``
processes that inherit it (the kernel gives each new connection to whichever
worker accepts first). Every worker answers queries and delivers, pulling from
the same durable JetStream consumers; exactly one, the holder of the relay
lease (:mod:`hub.adapters.store.relay_lease`), publishes the ledger and signs checkpoints.

Workers need what they can share: a PostgreSQL store (``HUB_STORE``) and an
external NATS server or cluster (``HUB_NATS_URL``); an embedded nats-server and
a SQLite file belong to one process. Workers start one after another (the first
creates tables and keys, the next find them), and a worker that exits on its own
is started again after ``RESTART_DELAY_S``; a SIGTERM or SIGINT to the parent is
passed to every worker, which drain and stop as a single hub does.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import signal
import sys
from pathlib import Path
from urllib.parse import urlsplit

import structlog

from contracts.errors import HubError
from hub.adapters.store.selection import describe_store
from hub.entrypoints.http.asgi_server import bind_socket
from hub.settings import HubSettings

log = structlog.get_logger("hub.workers")

READY_LINE = b"running; SIGTERM or Ctrl-C stops it"
READY_WITHIN_S = 120.0
RESTART_DELAY_S = 1.0
STOP_WITHIN_S = 30.0
_PR_SET_PDEATHSIG = 1


class WorkersConfigError(HubError):
    """Raised when ``serve --workers N`` (N > 1) is asked of a store or NATS it cannot share."""

    code = "workers-config"
    status = 400  # a configuration the operator must change


def check_shareable(settings: HubSettings, workers: int) -> None:
    """Refuse, with the reason, settings under which N workers cannot share the region."""
    if workers <= 1:
        return
    if not settings.store or urlsplit(settings.store).scheme not in ("postgresql", "postgres"):
        raise WorkersConfigError(
            f"--workers {workers} needs PostgreSQL (HUB_STORE=postgresql://...): a SQLite store "
            "is written by one hub process; run `serve` without --workers on SQLite")
    if not settings.nats_url:
        raise WorkersConfigError(
            f"--workers {workers} needs an external NATS server (HUB_NATS_URL=nats://...): "
            "the embedded nats-server belongs to one hub process")


async def run_workers(settings: HubSettings, services: Path, workers: int, *,
                      announce: bool = True) -> int:
    """Run ``workers`` hub processes on one listening socket until cancelled (a signal)."""
    check_shareable(settings, workers)
    sock = bind_socket(settings.http_host, settings.http_port)
    sock.set_inheritable(True)
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    pool = _Pool(settings, services, sock.fileno(), workers)
    try:
        await pool.start_all()
        if announce:
            print(f"hub of region {settings.region}: http://{shown}:{port}  ({workers} workers, "
                  f"pids {' '.join(str(p) for p in pool.pids())}; store "
                  f"{describe_store(settings.store, settings.data)})", flush=True)
            print(READY_LINE.decode(), flush=True)
        return await pool.keep_running()
    finally:
        await pool.stop_all()
        sock.close()


class _Pool:
    """The worker processes: started in turn, restarted when one exits, stopped together."""

    def __init__(self, settings: HubSettings, services: Path, fd: int, size: int) -> None:
        self._command = [sys.executable, "-m", "hub.entrypoints.cli.main", "serve",
                         str(services), "--data", str(settings.data), "--listen-fd", str(fd)]
        self._fd = fd
        self._size = size
        self._procs: dict[int, asyncio.subprocess.Process] = {}  # slot -> process
        self._drains: dict[int, asyncio.Future[None]] = {}

    def pids(self) -> list[int]:
        return [p.pid for p in self._procs.values()]

    async def start_all(self) -> None:
        for slot in range(self._size):
            await self._start(slot)

    async def _start(self, slot: int) -> None:
        proc = await asyncio.create_subprocess_exec(
            *self._command, pass_fds=(self._fd,), stdin=asyncio.subprocess.DEVNULL,
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
