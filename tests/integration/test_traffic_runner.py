"""The load runners against a real loopback HTTP server: counts, errors and bounds."""

from __future__ import annotations

import itertools

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.adapters.nats.server import free_port
from hub.entrypoints.http.asgi_server import serve_asgi
from simulations.traffic.http_pipe import prepare
from simulations.traffic.runner import closed_loop, open_loop


def _app(calls: list[bytes]) -> Starlette:
    """Answers 200 with a body, except every third call (500)."""
    counter = itertools.count(1)

    async def endpoint(request: Request) -> Response:
        calls.append(await request.body())
        return Response(b"ok" * 600, 500 if next(counter) % 3 == 0 else 200)

    return Starlette(routes=[Route("/x", endpoint, methods=["POST"])])


async def test_open_loop_sends_rate_times_duration_and_counts_failures() -> None:
    """20/s for 1.5 s is 30 requests: each reached the server; every third one is an error."""
    calls: list[bytes] = []
    async with serve_asgi(_app(calls)) as url:
        tally = await open_loop([prepare("q", url, "/x", b"hello", {})], rate=20,
                                duration_s=1.5)
    assert len(calls) == 30 and set(calls) == {b"hello"}
    kind = tally.of("q")
    assert kind.completed == 20 and dict(kind.errors) == {"HTTP 500": 10}
    assert len(kind.latencies_ms) == 20 and min(kind.latencies_ms) > 0


async def test_closed_loop_is_bounded_by_count() -> None:
    """``max_requests`` stops the workers however long the duration is."""
    calls: list[bytes] = []
    async with serve_asgi(_app(calls)) as url:
        tally = await closed_loop([prepare("q", url, "/x", b"a", {})], concurrency=4,
                                  duration_s=60, max_requests=50)
    assert len(calls) == 50
    assert tally.total().completed + tally.total().error_count == 50


async def test_a_server_that_is_not_there_is_an_error_per_request() -> None:
    """Nothing listening: every request is counted as 'cannot connect', none hangs."""
    url = f"http://127.0.0.1:{free_port('127.0.0.1')}"
    tally = await open_loop([prepare("q", url, "/x", b"a", {})], rate=20, duration_s=0.5)
    assert tally.of("q").completed == 0
    assert dict(tally.of("q").errors) == {"cannot connect": 10}
