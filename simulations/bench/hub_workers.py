"""``interop-hub serve [--workers N]`` as an operator runs it, for the workers benchmark and tests.

Starts the CLI with a services file naming the emulated bureaus, waits until it
says it runs, and reads what only the kernel knows: the connections each hub process
accepted (``/proc/PID/fd`` against ``/proc/net/tcp``); their CPU time is read by
:func:`simulations.bench.processes.hub_processes`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from hub.service_layer.exchanges.routing import dump_services
from simulations.departments import DepartmentEndpoints, region_services

CLI = str(Path(sys.executable).parent / "interop-hub")
READY = b"running; SIGTERM"


def services_file(folder: Path, ss_wsdl: str, tax: str) -> Path:
    """The demo region's services, purposes included, in front of ``ss_wsdl`` and ``tax``."""
    path = folder / "services.toml"
    services = region_services("north", DepartmentEndpoints(ss_wsdl, tax))
    path.write_text(dump_services(services))
    return path


@dataclass
class Served:
    """A running ``serve``: the process started, its URL, and the hub processes' pids."""

    process: asyncio.subprocess.Process
    url: str
    pids: list[int]

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


@contextlib.asynccontextmanager
async def serve(env: dict[str, str], services: Path, data: Path, workers: int,
                log: Path) -> AsyncIterator[Served]:
    """``interop-hub serve SERVICES --data DATA --workers N`` until the block ends (SIGTERM)."""
    with log.open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            CLI, "serve", str(services), "--data", str(data), "--workers", str(workers),
            env=env, stdout=asyncio.subprocess.PIPE, stderr=stderr,
            stdin=asyncio.subprocess.DEVNULL)
    try:
        yield await _announced(process, log)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 40)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _announced(process: asyncio.subprocess.Process, log: Path) -> Served:
    assert process.stdout is not None
    announced = ""
    async with asyncio.timeout(120):
        while READY not in (line := await process.stdout.readline()):
            if not line:
                tail = (await asyncio.to_thread(log.read_text, errors="replace"))[-3000:]
                raise RuntimeError(f"serve exited before it was ready:\n{tail}")
            if line.startswith(b"hub of region"):
                announced = line.decode()
    url = announced.split()[4]
    if "pids " in announced:
        pids = [int(p) for p in announced.split("pids ")[1].split(";")[0].split()]
    else:
        pids = [process.pid]
    return Served(process, url, pids)


def worker_sockets(pid: int, port: int) -> set[int]:
    """Inodes of the established TCP connections on local ``port`` that ``pid`` holds."""
    established: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for row in Path(table).read_text().splitlines()[1:]:
                cols = row.split()
                if int(cols[1].rsplit(":", 1)[1], 16) == port and cols[3] == "01":
                    established.add(int(cols[9]))
    held: set[int] = set()
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    held.add(int(target[8:-1]))
    return established & held
