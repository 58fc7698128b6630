"""The read store's projections in a process of their own, beside the hub that serves queries.

The projections' follower decodes and applies, round after round, every event the
hub records. In the process that answers queries those rounds share its one core and
its GIL with the event loop: with the follower in the serving process a query cost
4.88 ms of hub CPU, without it 4.11 ms (interleaved A/B, docs/performance.md). So the
process holding the projections lease (:data:`hub.adapters.store.relay_lease.PROJECTIONS`)
runs the follower in a child (``HUB_PROJECTIONS_PROCESS``, on by default); the lease
stays with the hub, the child only follows:

- **Started from a fork server** (``multiprocessing``'s ``forkserver`` context, this
  module preloaded): the server imports the hub's modules once per hub process and
  each child is a fork of it, milliseconds instead of a fresh interpreter's 1.4 s;
  it holds no thread, lock or connection of the hub's.
- **Tied to the hub.** The child watches the hub's own process (a pidfd: readable when
  it ends, ``kill -9`` included) and stops when it is gone, so it does not outlive a
  hub that died; its parent is the fork server, which cannot tell it (the fork server
  exits only once its last child has). It ignores SIGINT (a Ctrl-C reaches the whole
  terminal's process group: the hub stops it in order).
- **Stopped in order.** When the lease's duties end (the hub stops) the child gets
  SIGTERM, applies what is recorded and exits; the hub then runs one more round
  itself, so everything recorded before it stopped is applied whatever became of the
  child. A lost lease kills the child at once (the next holder follows; positions
  move by compare-and-set, so two runners never apply a page twice).
- **A child that dies while the hub runs** is logged, and the hub follows in-process
  from then on: the read store stays current, a little slower.

Without the setting (or in a process that must stay single, such as the parent of
``serve --workers N``, which is itself off the serving loops) the follower runs in
the hub's own process, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
from collections.abc import Awaitable, Callable, Mapping
from multiprocessing.process import BaseProcess
from typing import Any

import structlog

from hub.adapters.projections.access_watch import AccessWatch
from hub.adapters.projections.follower import ProjectionFollower
from hub.adapters.projections.live import live_projections
from hub.bootstrap.privacy import build_ledger
from hub.domain.watch_policy import WatchPolicy
from hub.logs import configure_logging
from hub.service_layer.security.anomalies import AccessAnomalies
from hub.service_layer.security.credentials import CredentialService
from hub.settings import HubSettings

log = structlog.get_logger("hub.bootstrap.projections_process")

STOP_WITHIN_S = 15.0


def projections_duty(
    settings: HubSettings, limits: Mapping[str, float], policies: Mapping[str, WatchPolicy],
    follower: ProjectionFollower,
) -> Callable[[asyncio.Event], Awaitable[None]]:
    """The projections lease's duty: follow in a child process (``HUB_PROJECTIONS_PROCESS``)
    or with ``follower`` in this one, until the event it is given is set."""
    if not settings.projections_process:
        return follower.run

    async def duty(term: asyncio.Event) -> None:
        # The tables first, here (as the in-process follower does): the read routes find
        # them at once, not once the child has started (the fork server's imports take ~1 s).
        await asyncio.to_thread(follower.runner.prepare)
        try:
            # in a thread: the first start waits for the fork server's imports (about 1 s)
            child = await asyncio.to_thread(_start, settings, dict(limits), dict(policies))
        except (OSError, multiprocessing.ProcessError) as exc:  # e.g. out of processes
            log.error("projections process not started; following in the hub's process",
                      error=repr(exc))
            await follower.run(term)
            return
        log.info("projections follow in a process of their own", pid=child.pid)
        try:
            exited = await _exit_or(child, term)
        except BaseException:
            child.kill()  # the lease is lost (cancelled): the next holder follows
            raise
        if exited:
            log.error("projections process exited; following in the hub's process",
                      pid=child.pid, exit_code=child.exitcode)
            await follower.run(term)
            return
        await _stop(child)
        # The last round, here: whatever became of the child, what is recorded is applied.
        await follower.run(term)

    return duty


def _start(settings: HubSettings, limits: dict[str, float],
           policies: dict[str, WatchPolicy]) -> BaseProcess:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])  # before its server first starts: no-op after
    process = context.Process(target=child_main,
                              args=(os.getpid(), settings, limits, policies),
                              name=f"projections-{settings.region}", daemon=True)
    process.start()
    return process


async def _exit_or(process: BaseProcess, term: asyncio.Event) -> bool:
    """Wait until ``process`` exits on its own (True) or ``term`` is set (False)."""
    loop = asyncio.get_running_loop()
    exited: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        if not exited.done():
            exited.set_result(None)

    loop.add_reader(process.sentinel, readable)
    stopping: asyncio.Future[Any] = asyncio.ensure_future(term.wait())
    try:
        await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
        return exited.done() and not term.is_set()
    finally:
        loop.remove_reader(process.sentinel)
        stopping.cancel()
        exited.cancel()


async def _stop(process: BaseProcess) -> None:
    """SIGTERM, wait for its last round (up to :data:`STOP_WITHIN_S`), kill if it is late."""
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    await asyncio.to_thread(process.join, STOP_WITHIN_S)
    if process.exitcode is None:
        log.warning("projections process did not stop in time; killing it", pid=process.pid)
        process.kill()
        await asyncio.to_thread(process.join, 5)
    elif process.exitcode != 0:
        log.warning("projections process ended with an error", pid=process.pid,
                    exit_code=process.exitcode)


def child_main(hub: int, settings: HubSettings, limits: dict[str, float],
               policies: dict[str, WatchPolicy]) -> None:  # pragma: no cover - in the child
    """The child's body: follow the ledger into the read store until SIGTERM, or until
    the process ``hub`` ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(settings.log_format, settings.log_level)
    try:
        hub_ended = os.pidfd_open(hub)
    except ProcessLookupError:
        return  # the hub died before its child started
    try:
        asyncio.run(_follow(hub_ended, settings, limits, policies))
    finally:
        os.close(hub_ended)


async def _follow(hub_ended: int, settings: HubSettings, limits: dict[str, float],
                  policies: dict[str, WatchPolicy]) -> None:  # pragma: no cover - in the child
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_reader(hub_ended, stop.set)  # the hub's process ended: last round, then exit
    ledger = build_ledger(settings)
    try:
        credentials = CredentialService(ledger, settings.region)
        watch = AccessWatch(policies, AccessAnomalies(ledger, credentials, settings.region))
        projections = live_projections(ledger, settings, limits, (), watch=watch)
        try:
            await projections.follower.run(stop)
        finally:
            projections.close()
    finally:
        ledger.close()
