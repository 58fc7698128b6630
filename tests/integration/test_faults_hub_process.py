"""kill -9 the hub process at each point of an exchange's path; on restart every exchange
completes exactly once in effect.

The hub runs as a child process (``simulations.fault_hub``) armed with one crash
point (``--crash-at``, :mod:`simulations.crash_points`): it SIGKILLs itself the
CRASH_ON_REACH-th time the point is reached. nats-server and the emulated bureaus
live in the test process, so they survive the kill and the bureau counts its calls by
correlation id.

Effect, not calls: the provider may legitimately be called twice for one exchange —
when its answer (or its call) was in flight at the kill and never recorded, the
redelivery calls it again. The ledger still shows one effect: the worker records
Delivered + Responded in one transaction only while the exchange is routed, so a
second answer finds it responded and is acknowledged as a duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from hub.adapters.nats.server import NatsServerProcess, free_port
from hub.bootstrap.privacy import build_ledger
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.settings import HubSettings
from simulations.crash_points import CRASH_POINTS
from simulations.social_security_bureau import BureauBehaviour
from simulations.social_security_bureau import create_app as social_security_app
from simulations.tax_bureau import create_app as tax_app
from tests.integration.fault_helpers import post_query, provision_folder, settled, tally
from tests.waiting import wait_until_async

TOTAL, IN_FLIGHT, CRASH_ON_REACH = 24, 6, 6


@contextlib.asynccontextmanager
async def hub_process(env: dict[str, str], ss_wsdl: str, tax: str, log: Path,
                      crash: list[str]) -> AsyncIterator[asyncio.subprocess.Process]:
    """The hub as a child process, once it printed ``ready``; SIGTERMed at the end if alive."""
    with log.open("ab") as stderr:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "simulations.fault_hub", "--ss-wsdl", ss_wsdl, "--tax", tax,
            *crash, env=env, stdout=asyncio.subprocess.PIPE, stderr=stderr)
    try:
        assert child.stdout is not None
        async with asyncio.timeout(60):
            while not (line := await child.stdout.readline()).startswith(b"ready "):
                assert line, f"the hub exited before it was ready; see {log}"
        yield child
    finally:
        if child.returncode is None:
            child.terminate()
            try:
                await asyncio.wait_for(child.wait(), 20)
            except TimeoutError:
                child.kill()
                await child.wait()


async def _send_all(base: str, region: str, token: str) -> set[str]:
    """TOTAL queries, IN_FLIGHT at a time; the correlation ids that got an answer."""
    answered: set[str] = set()
    slots = asyncio.Semaphore(IN_FLIGHT)

    async def one(http: httpx.AsyncClient, index: int) -> None:
        async with slots:
            with contextlib.suppress(httpx.TransportError):  # the hub died under us
                response = await post_query(http, base, region, token, f"k-{index}")
                if response.status_code == 200:
                    answered.add(f"k-{index}")

    async with httpx.AsyncClient(timeout=20) as http:
        await asyncio.gather(*(one(http, i) for i in range(TOTAL)))
    return answered


# Where each point lies: on the queued path (relay, JetStream, worker) or on the inline
# path (the accepting process delivers); after-provider lies on both.
_PATHS = [(point, "queued") for point in CRASH_POINTS if point != "after-claiming"] + [
    ("after-claiming", "inline"), ("after-provider", "inline")]


@pytest.mark.parametrize(("point", "path"), _PATHS)
async def test_hub_killed_at_each_point_completes_every_exchange_once(
    point: str, path: str, nats_server: NatsServerProcess, tmp_path: Path
) -> None:
    """After the kill and a restart: every recorded exchange has exactly one Responded,
    every answered query is among them, and the provider saw each correlation id at most
    twice (twice only for calls in flight at the kill)."""
    bureau = BureauBehaviour()
    data = tmp_path / "hub"
    env = {**os.environ, "HUB_DATA": str(data), "HUB_NATS_URL": nats_server.url,
           "HUB_HTTP_PORT": str(free_port()), "HUB_ACK_WAIT_S": "2",
           "HUB_RETRY_BACKOFF_S": "0.05", "HUB_REPLY_TIMEOUT_S": "10", "HUB_LOG_FORMAT": "json",
           # an unsettled inline claim is published 2 + 5 s after it was recorded
           "HUB_PROVIDER_TIMEOUT_S": "2",
           "HUB_INLINE_DELIVERY": "true" if path == "inline" else "false"}
    # The restarted hub is armed the same way: the marker file keeps it from firing again.
    crash = ["--crash-at", point, "--crash-on-reach", str(CRASH_ON_REACH)]
    async with contextlib.AsyncExitStack() as stack:
        ss = await stack.enter_async_context(serve_asgi(social_security_app(bureau)))
        tax = await stack.enter_async_context(serve_asgi(tax_app()))
        wsdl, log = f"{ss}/ws/insurance?wsdl", tmp_path / "hub.log"
        token = await asyncio.to_thread(provision_folder, HubSettings(data=data))
        async with hub_process(env, wsdl, tax, log, crash) as child:
            base = f"http://127.0.0.1:{env['HUB_HTTP_PORT']}"
            answered = await _send_all(base, "north", token)
            returncode = await asyncio.wait_for(child.wait(), 30)
        assert returncode == -9, f"the crash point did not fire: {log.read_text()[-2000:]}"
        assert (data / f"crash-{point}.fired").exists()
        async with hub_process(env, wsdl, tax, log, crash):
            ledger = await asyncio.to_thread(build_ledger, HubSettings(data=data))
            try:
                await wait_until_async(
                    lambda: settled(tally(ledger, TOTAL, answered)), timeout_s=60,
                    message="every recorded exchange answered after the restart", interval_s=0.3,
                    in_thread=True)
                counts = await asyncio.to_thread(tally, ledger, TOTAL, answered)
            finally:
                ledger.close()
    calls = Counter(c for c in bureau.correlation_ids if c is not None)
    repeated = sorted(c for c, n in calls.items() if n > 1)
    print(counts.line(f"hub-kill {point} ({path})"), f"provider_calls={sum(calls.values())} "
          f"provider_repeats={len(repeated)}")
    assert counts.lost == 0 and counts.duplicates == 0, counts
    assert counts.recorded >= CRASH_ON_REACH and counts.delivered == counts.recorded
    assert max(calls.values()) <= 2, calls
    if point == "after-provider":
        # The answer in hand at the kill was never recorded: that exchange was asked again.
        assert repeated, calls
