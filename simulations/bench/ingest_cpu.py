"""CPU time per record by process while the hub ingests (``ingest_cpu`` in bench-results.json).

A rate on a shared two-core machine moves with whatever else runs; the CPU
seconds each process spends per record move much less, and they say where the
time goes: the ingest worker processes, the nats-server (submissions, fetches,
notices, acks), and this process (the department's client and the hub's own
tasks). Read from ``/proc`` (Linux): the benchmark process and its child
processes, before and after one timed run.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PROC = Path("/proc")


def _seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` (0 if it is gone)."""
    try:
        fields = (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _role(pid: int) -> str:
    try:
        command = (_PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return "other"
    if any(part.endswith(b"nats-server") for part in command):
        return "nats-server"
    if b"multiprocessing.spawn" in b" ".join(command):  # not the projections' fork server
        return "ingest workers"
    return "other"


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in (_PROC / str(pid) / "task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _snapshot() -> dict[int, float]:
    me = os.getpid()
    return {pid: _seconds(pid) for pid in [me, *_children(me)]}


async def cpu_per_record(run: Callable[[], Awaitable[T]], records: int
                         ) -> tuple[T, dict[str, float]]:
    """Await ``run()`` and return its result with CPU µs per record by role (empty without
    ``/proc``): ``bench process`` (client + hub), ``ingest workers``, ``nats-server``."""
    if not (_PROC / str(os.getpid()) / "stat").exists():
        return await run(), {}
    before = _snapshot()
    result = await run()
    after = _snapshot()
    me = os.getpid()
    roles: dict[str, float] = {}
    for pid, seconds in after.items():
        role = "bench process" if pid == me else _role(pid)
        roles[role] = roles.get(role, 0.0) + seconds - before.get(pid, 0.0)
    roles["all"] = sum(roles.values())
    return result, {role: 1e6 * s / records for role, s in roles.items()}
