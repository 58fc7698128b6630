"""Restart PostgreSQL under load: the hub recovers without losing or duplicating an exchange.

The test creates its own PostgreSQL cluster with the machine's binaries (initdb in
a temporary folder, a free loopback port), run as ``nobody`` because initdb
refuses root. The machine's shared server is never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.adapters.nats.server import free_port
from hub.settings import HubSettings
from tests.conftest import running_under_ci
from tests.integration.fault_helpers import post_query, settled, tally
from tests.integration.hub_fixtures import department_token, running_region
from tests.waiting import wait_until_async

TOTAL, IN_FLIGHT, RESTART_AT = 60, 6, 20


class OwnPostgres:
    """A throwaway PostgreSQL cluster: initdb, pg_ctl start / immediate stop."""

    def __init__(self, bindir: Path, root: Path, port: int) -> None:
        self.bindir, self.root, self.port = bindir, root, port
        self.datadir = root / "data"

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "nobody", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.datadir), "-A", "trust", "-U", "postgres",
                  "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._run("pg_ctl", "start", "-D", str(self.datadir), "-w", "-t", "60",
                  "-l", str(self.root / "postgres.log"), "-o", options)

    def crash(self) -> None:
        """Stop without a shutdown checkpoint (like a crash); recovery replays the WAL."""
        self._run("pg_ctl", "stop", "-D", str(self.datadir), "-m", "immediate", "-w")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        if running_under_ci():
            pytest.fail("PostgreSQL binaries (/usr/lib/postgresql/*/bin) required under CI")
        pytest.skip("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
    root = Path(tempfile.mkdtemp(prefix="hub-pg-", dir="/tmp"))
    root.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(root, "nobody")
    server = OwnPostgres(Path(found[-1]).parent, root, free_port())
    server.init()
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            server.crash()
        shutil.rmtree(root, ignore_errors=True)


async def test_postgres_restart_under_load_loses_and_duplicates_nothing(
    hub_settings: HubSettings, own_postgres: OwnPostgres
) -> None:
    """PostgreSQL is crashed and restarted while queries flow; afterwards every recorded
    exchange has exactly one Responded and every answered query is recorded."""
    settings = hub_settings.model_copy(update={"store": own_postgres.url, "reply_timeout_s": 20})
    async with running_region(settings) as region:
        hub = region.hub
        token = department_token(hub, f"{settings.region}/tax")
        answered: set[str] = set()
        failed = 0
        slots = asyncio.Semaphore(IN_FLIGHT)

        async def one(http: httpx.AsyncClient, index: int) -> None:
            nonlocal failed
            async with slots:
                if index == RESTART_AT:
                    await asyncio.to_thread(own_postgres.crash)
                    await asyncio.to_thread(own_postgres.start)
                try:
                    response = await post_query(
                        http, hub.http_url, settings.region, token, f"p-{index}")
                except httpx.TransportError:
                    failed += 1
                    return
                if response.status_code == 200:
                    answered.add(f"p-{index}")
                else:
                    failed += 1

        async with httpx.AsyncClient(timeout=30) as http:
            await asyncio.wait_for(asyncio.gather(*(one(http, i) for i in range(TOTAL))), 180)
        await wait_until_async(
            lambda: settled(tally(hub.ledger, TOTAL, answered)), timeout_s=60,
            message="every recorded exchange answered", interval_s=0.5, in_thread=True)
        counts = tally(hub.ledger, TOTAL, answered)
    print(counts.line("postgres-restart"), f"client_errors={failed}")
    assert counts.lost == 0 and counts.duplicates == 0, counts
    assert counts.delivered == counts.recorded
    assert len(answered) > RESTART_AT  # the hub kept answering after the restart
