"""The read store's projections follow the ledger in a child process of the hub
(hub.bootstrap.projections_process): off the serving process, current, and replaced by
the hub's own follower when the child dies, without /health turning red."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import uuid
from multiprocessing.process import BaseProcess
from pathlib import Path

import httpx

from hub.adapters.nats.server import free_port
from hub.adapters.projections.catalogue import build_projections
from hub.adapters.projections.runner import ProjectionRunner
from hub.adapters.projections.store import open_read_store
from hub.bootstrap.privacy import build_ledger
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.serve import Hub
from hub.service_layer.audit.log import AuditPaths
from hub.settings import HubSettings
from simulations.bench.hub_workers import serve, services_file
from simulations.bench.processes import cpu_seconds, hub_processes
from simulations.social_security_bureau import create_app as social_security_app
from simulations.tax_bureau import create_app as tax_app
from tests.integration.fault_helpers import post_query
from tests.integration.hub_fixtures import department_token, running_region
from tests.waiting import wait_until_async


def _children(region: str) -> list[BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name == f"projections-{region}"]


async def _the_child(hub: Hub) -> BaseProcess:
    """The hub's projections' process, once started (bounded wait)."""
    region = hub.settings.region
    await wait_until_async(lambda: len(_children(region)) == 1, timeout_s=10,
                           message="the projections' process started")
    (child,) = _children(region)
    return child


async def _query(hub: Hub, http: httpx.AsyncClient) -> None:
    token = department_token(hub, f"{hub.settings.region}/tax")
    response = await post_query(http, hub.http_url, hub.settings.region, token,
                                str(uuid.uuid4()))
    assert response.status_code == 200, response.text


async def _applied_up_to_head(hub: Hub) -> None:
    """Wait (bounded) until every projection's position is the ledger's last one."""
    runner = hub.projections.follower.runner

    def caught_up() -> bool:
        head = hub.ledger.recorder.max_notification_id() or 0
        return set(runner.positions().values()) == {head}

    await wait_until_async(caught_up, timeout_s=10, interval_s=0.05,
                           message="projections at the ledger's head")


async def test_projections_follow_in_a_child_and_the_hub_takes_over_when_it_dies(
    hub_settings: HubSettings,
) -> None:
    async with running_region(hub_settings) as region, httpx.AsyncClient(timeout=30) as http:
        hub = region.hub
        child = await _the_child(hub)
        assert child.pid != os.getpid()

        await _query(hub, http)
        await _applied_up_to_head(hub)
        assert hub.projections.follower.rounds == 0  # applied by the child, not here

        os.kill(child.pid, signal.SIGKILL)
        await wait_until_async(lambda: not child.is_alive(), timeout_s=10,
                               message="the projections' process gone")
        await _query(hub, http)
        await _applied_up_to_head(hub)
        assert hub.projections.follower.rounds > 0  # the hub's own follower took over
        assert hub.supervisor.dead == []
        health = await http.get(f"{hub.http_url}/health")
        assert health.status_code == 200, health.text
        assert _children(hub.settings.region) == []  # not started again behind its back


async def test_the_child_stops_with_the_hub_and_what_is_recorded_is_applied(
    hub_settings: HubSettings,
) -> None:
    async with running_region(hub_settings) as region, httpx.AsyncClient(timeout=30) as http:
        hub = region.hub
        child = await _the_child(hub)
        await _query(hub, http)
    # Stopped in order (SIGTERM, its last round), and the read store holds everything the
    # ledger does: the hub's last round ran after the child's.
    assert not child.is_alive() and child.exitcode == 0
    ledger = build_ledger(hub_settings)
    store = open_read_store(hub_settings.store, hub_settings.data)
    try:
        head = ledger.recorder.max_notification_id()
        positions = ProjectionRunner(ledger, store, build_projections({})).positions()
        assert head and set(positions.values()) == {head}
    finally:
        store.close()
        ledger.close()


async def test_without_the_setting_the_hub_follows_in_its_own_process(
    hub_settings: HubSettings,
) -> None:
    settings = hub_settings.model_copy(update={"projections_process": False})
    async with running_region(settings) as region, httpx.AsyncClient(timeout=30) as http:
        hub = region.hub
        await _query(hub, http)
        await _applied_up_to_head(hub)
        assert hub.projections.follower.rounds > 0
        assert _children(hub.settings.region) == []


def _forked(hub: int) -> list[int]:
    """The processes of the fork server below ``hub`` (whose parent is not the hub)."""
    return [pid for pid in hub_processes(hub)
            if pid != hub and _parent(pid) != hub]


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def test_a_hub_killed_with_sigkill_leaves_no_process_of_its_duties_behind(
    tmp_path: Path,
) -> None:
    """`interop-hub serve` as an operator runs it, then kill -9: its projections' and audit
    processes, the fork server and the resource tracker end too (none holds the ledger
    open). Its children started without importing the program again."""
    data = tmp_path / "hub"
    env = {**os.environ, "HUB_DATA": str(data), "HUB_HTTP_PORT": str(free_port()),
           "HUB_LOG_FORMAT": "json", "HUB_LOG_LEVEL": "warning"}
    for name in ("HUB_STORE", "HUB_NATS_URL", "HUB_PROJECTIONS_PROCESS", "HUB_AUDIT_PROCESS"):
        env.pop(name, None)
    async with contextlib.AsyncExitStack() as stack:
        ss = await stack.enter_async_context(serve_asgi(social_security_app()))
        tax = await stack.enter_async_context(serve_asgi(tax_app()))
        services = services_file(tmp_path, f"{ss}/ws/insurance?wsdl", tax)
        served = await stack.enter_async_context(serve(env, services, data, 1,
                                                       tmp_path / "hub.log"))
        hub = served.process.pid
        # the hub, the fork server, the projections' and audit processes, the resource tracker
        await wait_until_async(lambda: len(_forked(hub)) == 2, timeout_s=20,
                               message="the projections' and audit processes under the hub")
        # Forked from a server that imported the program first: a child that imported it
        # again itself spent 1.3-2.5 s of CPU before its first round (here: the audit
        # process's first checkpoint).
        checkpoints = AuditPaths(data).checkpoints
        await wait_until_async(lambda: checkpoints.exists() and checkpoints.stat().st_size > 0,
                               timeout_s=20, message="the first checkpoint signed")
        assert cpu_seconds(_forked(hub)) < 0.5 * 2
        tree = [pid for pid in hub_processes(hub) if pid != hub]
        os.kill(hub, signal.SIGKILL)
        await served.process.wait()
        await wait_until_async(lambda: not any(_running(pid) for pid in tree), timeout_s=20,
                               message=f"the hub's processes {tree} ended")
