"""Start a benchmark server process, wait until it says where it listens, stop it for sure;
read the CPU time of a hub's processes from ``/proc``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

from contracts.errors import HubError


class BenchProcessError(HubError):
    """Raised when a benchmark server process dies or does not get ready in time."""

    code = "bench-process-failed"


@contextlib.asynccontextmanager
async def server_process(
    module: str, *args: str, ready: Path, log: Path, ready_within_s: float = 60.0,
) -> AsyncIterator[dict[str, str]]:
    """Run ``python -m module args`` for the block; yields the URLs it announced in ``ready``."""
    with log.open("wb") as sink:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, *args, "--ready", str(ready),
            stdin=asyncio.subprocess.DEVNULL, stdout=sink, stderr=sink,
            start_new_session=True,  # a terminal's Ctrl-C reaches the benchmark only
        )
    try:
        yield await _await_ready(proc, ready, log, ready_within_s)
    finally:
        await _stop(proc)


async def _await_ready(proc: asyncio.subprocess.Process, ready: Path, log: Path,
                       within_s: float) -> dict[str, str]:
    deadline = time.monotonic() + within_s
    while not await asyncio.to_thread(ready.exists):
        if proc.returncode is not None:
            tail = (await asyncio.to_thread(log.read_text, errors="replace"))[-2000:]
            raise BenchProcessError(f"{ready.stem} exited with {proc.returncode}:\n{tail}")
        if time.monotonic() > deadline:
            raise BenchProcessError(f"{ready.stem} not ready within {within_s:.0f} s (log {log})")
        await asyncio.sleep(0.05)
    return dict(json.loads(await asyncio.to_thread(ready.read_text)))


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), 20)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        await proc.wait()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes used so far (0 for one that is gone)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def hub_processes(pid: int, *, besides: tuple[str, ...] = ("nats-server",)) -> list[int]:
    """``pid`` and every process below it but those named ``besides``: a hub's own work
    (its projections' process and fork server, a pool's workers) without its nats-server."""
    parents: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        head, tail = stat.rsplit(")", 1)
        child = int(entry.name)
        names[child] = head.split("(", 1)[1]
        parents.setdefault(int(tail.split()[1]), []).append(child)
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(c for c in parents.get(current, ()) if names.get(c) not in besides)
    return found
