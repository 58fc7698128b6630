"""A lease's duty in a process of its own, beside the hub that serves queries.

Some duties of a lease holder are long runs of Python: the projections' follower
decodes and applies every event the hub records; the audit checkpoint hashes every
new event into the log's tree. In the process that answers queries they share its
one core and its GIL with the event loop. :func:`run_in_child` runs such a duty in a
child process instead, while the lease stays with the hub:

- **Started from a fork server** (``multiprocessing``'s ``forkserver`` context, with
  the modules that registered with :func:`preload` imported by it): the server
  imports the hub's modules once per hub process and each child is a fork of it,
  milliseconds instead of a fresh interpreter's 1.4 s; it holds no thread, lock or
  connection of the hub's.
- **Tied to the hub.** The child watches the hub's own process (a pidfd: readable
  when it ends, ``kill -9`` included) and stops when it is gone, so it does not
  outlive a hub that died; its parent is the fork server, which cannot tell it (the
  fork server exits only once its last child has). It ignores SIGINT (a Ctrl-C
  reaches the whole terminal's process group: the hub stops it in order).
- **Stopped in order.** When the lease's duties end (the hub stops) the child gets
  SIGTERM, finishes its round and exits (killed after :data:`STOP_WITHIN_S`). A lost
  lease kills the child at once: the next holder takes the duty over.
- **Replaced when it fails.** A child that cannot be started, or that exits while
  the hub runs, is logged, and :func:`run_in_child` returns: the caller then does the
  duty in its own process.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from multiprocessing.process import BaseProcess
from typing import Any

import structlog

from hub.bootstrap.long_lived import freeze_startup
from hub.logs import configure_logging

log = structlog.get_logger("hub.bootstrap.duty_process")

STOP_WITHIN_S = 15.0

Body = Callable[..., Awaitable[None]]
"""A child's work: ``body(stop, *args)``, a module-level coroutine function (it is
pickled by reference) that returns once ``stop`` is set."""

_preloaded: list[str] = []


def preload(module: str) -> None:
    """Have the fork server import ``module`` before its first child (call at import time:
    the list is read when the server starts, once per hub process)."""
    if module not in _preloaded:
        _preloaded.append(module)


async def run_in_child(name: str, body: Body, args: tuple[Any, ...], term: asyncio.Event,
                       *, log_format: str, log_level: str) -> None:
    """Run ``body(stop, *args)`` in a child process named ``name`` until ``term`` is set,
    then stop it in order; return early when the child cannot start or ends on its own."""
    try:
        # in a thread: the first start waits for the fork server's imports (about 1 s)
        child = await asyncio.to_thread(_start, name, body, args, log_format, log_level)
    except (OSError, multiprocessing.ProcessError) as exc:  # e.g. out of processes
        log.error("duty process not started; running it in the hub's process", duty=name,
                  error=repr(exc))
        return
    log.info("duty runs in a process of its own", duty=name, pid=child.pid)
    try:
        exited = await _exit_or(child, term)
    except BaseException:
        child.kill()  # the lease is lost (cancelled): the next holder takes the duty over
        raise
    if exited:
        log.error("duty process exited; running it in the hub's process", duty=name,
                  pid=child.pid, exit_code=child.exitcode)
        return
    await _stop(name, child)


def _start(name: str, body: Body, args: tuple[Any, ...], log_format: str,
           log_level: str) -> BaseProcess:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_preload())  # before its server first starts: no-op after
    process = context.Process(target=child_main,
                              args=(os.getpid(), body, args, log_format, log_level),
                              name=name, daemon=True)
    process.start()
    return process


def _preload() -> list[str]:
    """What the fork server imports: the modules that registered, and what the program's
    main module needs. Every child runs the main module again before its work
    (``multiprocessing`` does, so that what the parent pickled can be found): for
    ``interop-hub`` that imports the whole hub, 1.3-2.5 s of CPU per child, unless the
    server has imported it first. A program started with ``-m`` is named by its module;
    one started from a file (a console script) by the modules of what it imported
    (``multiprocessing``'s own ``"__main__"`` entry does not reach a fork server in
    Python 3.11: it looks for a ``main_path`` that the parent never sends)."""
    main = sys.modules["__main__"]
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None:
        needs = set() if name.endswith("__main__") else {name}
    else:
        needs = {module for value in vars(main).values() if callable(value)
                 and isinstance(module := getattr(value, "__module__", None), str)}
        needs -= {"__main__", "builtins"}
    return [*sorted(needs), *_preloaded]


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


async def _stop(name: str, process: BaseProcess) -> None:
    """SIGTERM, wait for its last round (up to :data:`STOP_WITHIN_S`), kill if it is late."""
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    await asyncio.to_thread(process.join, STOP_WITHIN_S)
    if process.exitcode is None:
        log.warning("duty process did not stop in time; killing it", duty=name, pid=process.pid)
        process.kill()
        await asyncio.to_thread(process.join, 5)
    elif process.exitcode != 0:
        log.warning("duty process ended with an error", duty=name, pid=process.pid,
                    exit_code=process.exitcode)


def child_main(hub: int, body: Body, args: tuple[Any, ...], log_format: str,
               log_level: str) -> None:  # pragma: no cover - in the child
    """The child's life: run ``body`` until SIGTERM, or until the process ``hub`` ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_logging(log_format, log_level)
    # What the fork server imported (most of this heap) lives as long as the child
    # (hub.bootstrap.long_lived).
    freeze_startup()
    try:
        hub_ended = os.pidfd_open(hub)
    except ProcessLookupError:
        return  # the hub died before its child started
    try:
        asyncio.run(_until_stopped(hub_ended, body, args))
    finally:
        os.close(hub_ended)


async def _until_stopped(hub_ended: int, body: Body,
                         args: tuple[Any, ...]) -> None:  # pragma: no cover - in the child
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_reader(hub_ended, stop.set)  # the hub's process ended: last round, then exit
    await body(stop, *args)
