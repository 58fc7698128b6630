"""Two hub workers on one PostgreSQL store under load; ``kill -9`` the relay lease holder.

``interop-hub serve --workers 2`` runs as an operator runs it (PostgreSQL scratch
database, the test's nats-server, the emulated bureaus in the test process). Both
workers accept connections from one shared socket; exactly one holds the relay
lease. Midway through the load the holder is killed with SIGKILL: the standby
takes the lease and publishes what the dead one had recorded but not yet
published, the parent starts a replacement worker, and in the end every answered
query is recorded with its answer, every recorded exchange is answered exactly
once, and no ledger position is in the delivery stream twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

import pytest

from hub.adapters.nats.server import NatsServerProcess, free_port
from hub.bootstrap.privacy import build_ledger
from hub.settings import HubSettings
from simulations.bench.hub_workers import serve, services_file
from tests.integration.fault_helpers import provision_folder, settled, tally
from tests.integration.hub_fixtures import serve_asgi
from tests.integration.workers_fixtures import (
    alive,
    lease_sessions,
    load_killing,
    published_exchanges,
)
from tests.waiting import wait_until_async

pytestmark = pytest.mark.postgres

TOTAL, IN_FLIGHT, KILL_AT = 120, 8, 50
STREAM = "HUB_NORTH_DELIVERY"


async def test_relay_holder_killed_under_load_loses_and_duplicates_nothing(
    nats_server: NatsServerProcess, postgres_url: str, tmp_path: Path
) -> None:
    """Both workers take connections; after kill -9 of the lease holder the standby holds the
    lease, nothing answered is lost, nothing is answered twice, nothing published twice."""
    from simulations.social_security_bureau import create_app as social_security_app
    from simulations.tax_bureau import create_app as tax_app

    data = tmp_path / "hub"
    settings = HubSettings(data=data, store=postgres_url)
    env = {**os.environ, "HUB_DATA": str(data), "HUB_STORE": postgres_url,
           "HUB_NATS_URL": nats_server.url, "HUB_HTTP_PORT": str(free_port()),
           "HUB_ACK_WAIT_S": "2", "HUB_RETRY_BACKOFF_S": "0.05", "HUB_REPLY_TIMEOUT_S": "10",
           # the killed worker's unsettled inline claims are published after 2 + 5 s
           "HUB_PROVIDER_TIMEOUT_S": "2",
           "HUB_LOG_FORMAT": "json", "HUB_LOG_LEVEL": "warning"}
    async with contextlib.AsyncExitStack() as stack:
        ss = await stack.enter_async_context(serve_asgi(social_security_app()))
        tax = await stack.enter_async_context(serve_asgi(tax_app()))
        services = services_file(tmp_path, f"{ss}/ws/insurance?wsdl", tax)
        token = await asyncio.to_thread(provision_folder, settings)
        served = await stack.enter_async_context(
            serve(env, services, data, 2, tmp_path / "hub.log"))
        await wait_until_async(
            lambda: len(lease_sessions(postgres_url)[1]) == 2
            and lease_sessions(postgres_url)[0] is not None,
            timeout_s=20, message="one lease holder and one standby", interval_s=0.1,
            in_thread=True)
        holder, _ = lease_sessions(postgres_url)
        assert holder in served.pids

        answered, per_worker = await load_killing(
            served, token, holder, total=TOTAL, in_flight=IN_FLIGHT, kill_at=KILL_AT)
        await wait_until_async(
            lambda: lease_sessions(postgres_url)[0] not in (None, holder), timeout_s=15,
            message="a live worker holding the lease", interval_s=0.1, in_thread=True)
        new_holder, _ = lease_sessions(postgres_url)
        ledger = await asyncio.to_thread(build_ledger, settings)
        try:
            await wait_until_async(
                lambda: settled(tally(ledger, TOTAL, answered)), timeout_s=30,
                message="every recorded exchange answered", interval_s=0.3, in_thread=True)
            counts = await asyncio.to_thread(tally, ledger, TOTAL, answered)
        finally:
            ledger.close()
        published = await published_exchanges(nats_server.url, STREAM)
    print(counts.line("workers-kill-holder"), f"killed={holder} new_holder={new_holder} "
          f"connections_before_kill={per_worker} published={sum(published.values())}")
    assert all(n > 0 for n in per_worker.values()), per_worker  # both workers took traffic
    assert not alive(holder)
    assert counts.lost == 0 and counts.duplicates == 0, counts
    assert counts.delivered == counts.recorded
    assert len(answered) > KILL_AT  # answered after the kill too
    # Each worker delivers what it accepted (inline); what the killed one left unsettled
    # the new holder's relay published, each exchange once.
    assert [e for e, n in published.items() if n > 1] == []
