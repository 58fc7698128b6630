"""The embedded nats-server: starts ready with JetStream, stops cleanly, never orphans."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import nats
import pytest

from hub.adapters.nats.server import NatsServerConfig, NatsServerProcess, running_nats_server
from tests.waiting import wait_until


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


async def test_server_starts_with_jetstream_and_store_in_its_folder(tmp_path: Path) -> None:
    """The server answers JetStream requests and keeps its store under the given folder."""
    config = NatsServerConfig(name="t", workdir=tmp_path / "nats", jetstream_domain="north")
    async with running_nats_server(config) as server:
        nc = await nats.connect(server.url)
        info = await nc.jetstream().account_info()
        await nc.close()
        assert info.domain == "north"
        assert server.url.startswith("nats://127.0.0.1:")
        pid = server.process.pid  # type: ignore[union-attr]
    assert (tmp_path / "nats" / "jetstream").is_dir()
    assert not _alive(pid)


def test_server_dies_with_a_killed_parent(tmp_path: Path) -> None:
    """kill -9 of the process that started nats-server takes the server down too."""
    script = (
        "import sys, time, pathlib\n"
        "from hub.logs import configure_logging; configure_logging('json')\n"
        "from hub.adapters.nats.server import NatsServerConfig, NatsServerProcess\n"
        f"s = NatsServerProcess(NatsServerConfig('orphan', pathlib.Path({str(tmp_path)!r})))\n"
        "s.start(); print(s.process.pid, flush=True); time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        child_pid = int(parent.stdout.readline())  # type: ignore[union-attr]
        assert _alive(child_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        wait_until(lambda: not _alive(child_pid), timeout_s=10,
                   message=f"the orphaned nats-server {child_pid} gone")
    finally:
        parent.kill()


def test_missing_port_file_times_out_with_clear_error(tmp_path: Path) -> None:
    """A server that cannot start (bad config) is reported with its own log output."""
    from hub.adapters.nats.server import NatsServerError

    bad = NatsServerProcess(NatsServerConfig("bad", tmp_path, extra=["this is not config {"]))
    with pytest.raises(NatsServerError, match="exited"):
        bad.start(timeout=10)
