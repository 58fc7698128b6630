"""Two hub workers on one SQLite store and the parent's nats-server; ``kill -9`` the relay holder.

``interop-hub serve --workers 2`` runs as an operator runs it on the embedded
defaults: no ``HUB_STORE``, no ``HUB_NATS_URL``. The parent holds the data folder's
lock and runs the region's nats-server with its users; both workers accept
connections from one shared socket and write the one SQLite ledger; exactly one
holds the relay lease (a file lock beside the ledger). Midway through the load the
holder is killed with SIGKILL: the standby takes the lease and publishes what the
dead one had left unsettled, the parent starts a replacement, and in the end every
answered query is recorded with its answer, every recorded exchange is answered
exactly once, no exchange is in the delivery stream twice, and the read store that
the parent keeps (the projections' own lease) has caught up with all of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import subprocess
from pathlib import Path

import nats

from hub.adapters.nats.accounts import NatsAuth, hub_seed
from hub.adapters.nats.server import free_port
from hub.adapters.projections.reading import ReadView
from hub.adapters.projections.store import open_read_store
from hub.adapters.store.relay_lease import file_lease_holder
from hub.adapters.store.writer_lock import LOCK_NAME
from hub.bootstrap.privacy import build_ledger
from hub.domain.credential import CredentialKind
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.service_layer.security.credentials import CredentialService
from hub.settings import HubSettings
from simulations.bench.hub_workers import CLI, serve, services_file
from tests.integration.fault_helpers import provision_folder, settled, tally
from tests.integration.workers_fixtures import alive, load_killing, published_exchanges
from tests.waiting import wait_until_async

TOTAL, IN_FLIGHT, KILL_AT = 120, 8, 50
STREAM = "HUB_NORTH_DELIVERY"


def _env(data: Path) -> dict[str, str]:
    env = {**os.environ, "HUB_DATA": str(data), "HUB_HTTP_PORT": str(free_port()),
           "HUB_ACK_WAIT_S": "2", "HUB_RETRY_BACKOFF_S": "0.05", "HUB_REPLY_TIMEOUT_S": "10",
           # the killed worker's unsettled inline claims are published after 2 + 5 s
           "HUB_PROVIDER_TIMEOUT_S": "2",
           "HUB_LOG_FORMAT": "json", "HUB_LOG_LEVEL": "warning"}
    for name in ("HUB_STORE", "HUB_NATS_URL"):
        env.pop(name, None)
    return env


async def test_relay_holder_killed_under_load_loses_and_duplicates_nothing_on_sqlite(
    tmp_path: Path
) -> None:
    """Both workers take connections and write the ledger; after kill -9 of the lease holder
    the standby holds the lease, nothing answered is lost or answered twice, nothing is
    published twice."""
    from simulations.social_security_bureau import create_app as social_security_app
    from simulations.tax_bureau import create_app as tax_app

    data = tmp_path / "hub"
    settings = HubSettings(data=data)
    lease_file = data / "ledger.sqlite3.relay-lease"
    async with contextlib.AsyncExitStack() as stack:
        ss = await stack.enter_async_context(serve_asgi(social_security_app()))
        tax = await stack.enter_async_context(serve_asgi(tax_app()))
        services = services_file(tmp_path, f"{ss}/ws/insurance?wsdl", tax)
        token = await asyncio.to_thread(provision_folder, settings)
        served = await stack.enter_async_context(
            serve(_env(data), services, data, 2, tmp_path / "hub.log"))
        await wait_until_async(lambda: file_lease_holder(lease_file) in served.pids,
                               timeout_s=20, message="a worker holding the relay lease",
                               interval_s=0.1)
        holder = file_lease_holder(lease_file)
        assert holder is not None
        nats_url = _nats_url_of(served.process.pid)

        answered, per_worker = await load_killing(
            served, token, holder, total=TOTAL, in_flight=IN_FLIGHT, kill_at=KILL_AT)
        await wait_until_async(
            lambda: file_lease_holder(lease_file) not in (None, holder), timeout_s=15,
            message="a live worker holding the lease", interval_s=0.1)
        new_holder = file_lease_holder(lease_file)
        ledger = await asyncio.to_thread(build_ledger, settings)
        try:
            await wait_until_async(
                lambda: settled(tally(ledger, TOTAL, answered)), timeout_s=30,
                message="every recorded exchange answered", interval_s=0.3, in_thread=True)
            counts = await asyncio.to_thread(tally, ledger, TOTAL, answered)
            seed = await asyncio.to_thread(hub_seed, ledger.keyring)
            head = await asyncio.to_thread(ledger.recorder.max_notification_id)
            # The parent keeps the read store (its own lease), through the kill and after.
            assert file_lease_holder(data / "ledger.sqlite3.projections-lease") \
                == served.process.pid
            view = ReadView(open_read_store(None, data), None)
            try:
                await wait_until_async(
                    lambda: min(view.positions().values()) >= head, timeout_s=15,
                    message="the parent's projections at the ledger's head", interval_s=0.2,
                    in_thread=True)
                answered_in_metrics = sum(s.volume for s in view.metrics())
            finally:
                view.close()
        finally:
            ledger.close()
        published = await published_exchanges(nats_url, STREAM, **NatsAuth(seed=seed).options())
        assert new_holder is not None and alive(new_holder)
    print(counts.line("workers-sqlite-kill-holder"), f"killed={holder} new_holder={new_holder} "
          f"connections_before_kill={per_worker} published={sum(published.values())}")
    assert all(n > 0 for n in per_worker.values()), per_worker  # both workers took traffic
    assert not alive(holder)
    assert counts.lost == 0 and counts.duplicates == 0, counts
    assert counts.delivered == counts.recorded
    assert len(answered) > KILL_AT  # answered after the kill too
    assert [e for e, n in published.items() if n > 1] == []
    assert answered_in_metrics >= counts.delivered  # every exchange is in the read store


def _nats_url_of(parent: int) -> str:
    """The embedded server's client URL, from the workers' environment (set by the parent)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    for child in children:
        environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        for item in environ:
            if item.startswith(b"HUB_NATS_URL="):
                return item.split(b"=", 1)[1].decode()
    raise AssertionError(f"no worker of {parent} has HUB_NATS_URL")


async def test_the_pools_nats_users_follow_the_credentials_and_a_second_hub_is_refused(
    tmp_path: Path
) -> None:
    """The parent's nats-server takes a department credential issued beside the running pool
    (as `credentials issue` does) as a NATS user, and drops it on revocation; while the pool
    runs, the folder's lock names the parent and a lone `serve` on it is refused, exit
    status 2, naming that pid."""
    from simulations.social_security_bureau import create_app as social_security_app
    from simulations.tax_bureau import create_app as tax_app

    data = tmp_path / "hub"
    env = {**_env(data), "HUB_NATS_USERS_REFRESH_S": "0.2"}
    async with contextlib.AsyncExitStack() as stack:
        ss = await stack.enter_async_context(serve_asgi(social_security_app()))
        tax = await stack.enter_async_context(serve_asgi(tax_app()))
        services = services_file(tmp_path, f"{ss}/ws/insurance?wsdl", tax)
        served = await stack.enter_async_context(
            serve(env, services, data, 2, tmp_path / "hub.log"))
        nats_url = _nats_url_of(served.process.pid)
        ledger = await asyncio.to_thread(build_ledger, HubSettings(data=data))
        stack.callback(ledger.close)
        credentials = CredentialService(ledger, "north")
        issued = credentials.issue("north/tax", CredentialKind.DEPARTMENT,
                                   dt.timedelta(hours=1))
        assert issued.nats_seed is not None
        seed = issued.nats_seed.decode()

        async def connect() -> bool:
            nc = await nats.connect(nats_url, nkeys_seed_str=seed, inbox_prefix="_INBOX_tax",
                                    allow_reconnect=False, connect_timeout=5)
            await nc.close()
            return True

        await wait_until_async(connect, timeout_s=15, interval_s=0.1,
                               ignoring=(nats.errors.Error, OSError),
                               message="north/tax's NATS user on the pool's server")
        credentials.revoke(issued.credential_id, "test")

        async def refused() -> bool:
            try:
                await connect()
            except (nats.errors.Error, OSError):
                return True
            return False

        await wait_until_async(refused, timeout_s=15, interval_s=0.1,
                               message="north/tax's NATS connection refused after revocation")

        assert (data / LOCK_NAME).read_text().strip() == str(served.process.pid)
        result = await asyncio.to_thread(
            subprocess.run, [CLI, "serve", str(services), "--data", str(data)],
            capture_output=True, text=True, env=_env(data), timeout=60, check=False)
    assert result.returncode == 2, result
    assert f"pid {served.process.pid}" in result.stderr
    assert "one hub per SQLite store" in result.stderr


async def test_the_pools_kept_alive_connections_are_spread_over_its_workers(
    tmp_path: Path
) -> None:
    """Sixteen connections a client opens at once and keeps alive end up eight and eight
    (one apart at most) on the two workers of `serve --workers 2`, each answering on every
    request, not stuck with whichever worker accepted the burst."""
    from simulations.bench.hub_workers import worker_sockets
    from simulations.social_security_bureau import create_app as social_security_app
    from simulations.tax_bureau import create_app as tax_app

    data = tmp_path / "hub"
    async with contextlib.AsyncExitStack() as stack:
        ss = await stack.enter_async_context(serve_asgi(social_security_app()))
        tax = await stack.enter_async_context(serve_asgi(tax_app()))
        services = services_file(tmp_path, f"{ss}/ws/insurance?wsdl", tax)
        served = await stack.enter_async_context(
            serve(_env(data), services, data, 2, tmp_path / "hub.log"))
        # Warm both workers first: a worker still busy with its first request for longer
        # than the acceptors' grace (20 ms) leaves a connection of the burst to the other.
        for _ in range(4):
            warm = [await asyncio.open_connection("127.0.0.1", served.port) for _ in range(2)]
            await _health_twice(warm)
            for _, writer in warm:
                writer.close()
        await asyncio.sleep(0.3)  # the closed connections leave the table
        clients = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", served.port)
                                         for _ in range(16)))
        for _, writer in clients:
            stack.callback(writer.close)
        await _health_twice(clients)
        held = [len(worker_sockets(pid, served.port)) for pid in served.pids]
    assert sum(held) == 16 and max(held) - min(held) <= 1, held


async def _health_twice(clients: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]) -> None:
    """``GET /health`` twice on each kept-alive connection, each answered whole."""
    for _ in range(2):
        for reader, writer in clients:
            writer.write(b"GET /health HTTP/1.1\r\nHost: hub\r\n\r\n")
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            assert head.startswith((b"HTTP/1.1 200", b"HTTP/1.1 503")), head
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length"))
            await reader.readexactly(length)
