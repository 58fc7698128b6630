"""Watch the hub's background tasks: one that dies while the hub runs is an outage.

The relay, the delivery consumers, the projection follower, the checkpointer
and the relay lease keeper run as asyncio tasks for the whole life of a hub. A
task that ends with an exception (or returns before the hub asked it to stop)
no longer does its work, yet the HTTP front end would keep answering. The
supervisor records which task died and why, logs it once, and ``/health``
reports it, so an orchestrator replaces the process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import structlog

log = structlog.get_logger("hub.bootstrap.supervisor")


@dataclass(frozen=True)
class DeadTask:
    """A background task that stopped while the hub still needed it."""

    name: str
    reason: str


class TaskSupervisor:
    """Starts the hub's background tasks and remembers the ones that died."""

    def __init__(self, stop: asyncio.Event) -> None:
        self._stop = stop
        self.tasks: list[asyncio.Task[None]] = []
        self._dead: dict[str, DeadTask] = {}

    def start(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        """Run ``coro`` as the background task ``name``, watched until the hub stops."""
        task = asyncio.create_task(coro, name=name)
        self.watch(task)
        return task

    def watch(self, task: asyncio.Task[None]) -> None:
        """Watch a task started elsewhere (it is stopped with the others)."""
        self.tasks.append(task)
        task.add_done_callback(self._ended)

    @property
    def stopping(self) -> asyncio.Event:
        """Set when the hub stops: the background tasks watch it to end their work."""
        return self._stop

    @property
    def dead(self) -> list[DeadTask]:
        """The tasks that died, in the order they did."""
        return list(self._dead.values())

    def _ended(self, task: asyncio.Task[None]) -> None:
        if self._stop.is_set():
            return  # the hub is stopping: ending is what the task was asked to do
        if task.cancelled():
            reason = "cancelled"
        elif (error := task.exception()) is not None:
            reason = f"{type(error).__name__}: {getattr(error, 'message', None) or error}"
        else:
            reason = "returned while the hub was running"
        self.record(task.get_name(), reason)

    def record(self, name: str, reason: str) -> None:
        """Record that ``name`` died (once: a second report of the same task is dropped)."""
        if self._stop.is_set() or name in self._dead:
            return
        self._dead[name] = DeadTask(name, reason)
        log.error("background task died", task=name, reason=reason)

    async def stop(self, timeout_s: float = 15.0) -> None:
        """Ask every task to stop, wait up to ``timeout_s``, cancel the stragglers."""
        self._stop.set()
        if not self.tasks:
            return
        _, pending = await asyncio.wait(self.tasks, timeout=timeout_s)
        for task in pending:
            task.cancel()
