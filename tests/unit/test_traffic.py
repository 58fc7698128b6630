"""The load client's pure parts: percentiles, loopback-only targets, HTTP heads it accepts."""

from __future__ import annotations

import pytest

from simulations.traffic.http_pipe import HttpPipeError, _parse_head, loopback_target, prepare
from simulations.traffic.tally import Tally, percentile


def test_percentile_is_nearest_rank() -> None:
    """p50 of 1..100 is 50, p99 is 99, p100 the maximum; nothing measured gives None."""
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


def test_tally_counts_per_kind_and_in_total() -> None:
    """Completed and failed requests are kept per kind; the total merges them; rate uses time."""
    tally = Tally()
    tally.ok("a", 1.0)
    tally.ok("a", 3.0)
    tally.failed("b", "HTTP 500")
    tally.failed("b", "HTTP 500")
    tally.elapsed_s = 2.0
    assert tally.of("a").completed == 2 and tally.of("a").error_count == 0
    assert dict(tally.of("b").errors) == {"HTTP 500": 2}
    total = tally.total()
    assert total.completed == 2 and total.error_count == 2
    assert tally.rate() == 1.0 and tally.rate("a") == 1.0
    assert tally.of("a").quantiles() == (1.0, 3.0, 3.0)


@pytest.mark.parametrize("url", ["http://10.0.0.1:80", "https://127.0.0.1:8443",
                                 "http://example.org:80", "http://127.0.0.1"])
def test_only_loopback_http_targets_are_accepted(url: str) -> None:
    """Load goes to loopback only: another host, TLS or a missing port are refused by name."""
    with pytest.raises(HttpPipeError, match="loopback"):
        loopback_target(url)


def test_prepared_request_carries_length_and_headers() -> None:
    """The request bytes hold the path, Host, Content-Length and the given headers."""
    request = prepare("k", "http://127.0.0.1:8000", "/soap", b"<x/>", {"X-Hub-Client": "n/t"},
                      expect=202)
    head, _, body = request.data.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"POST /soap HTTP/1.1"
    assert b"Host: 127.0.0.1:8000" in head and b"Content-Length: 4" in head
    assert b"X-Hub-Client: n/t" in head and body == b"<x/>"
    assert request.expect == 202 and request.url == "http://127.0.0.1:8000"


def test_answers_without_content_length_or_chunked_are_refused() -> None:
    """The lean client reads Content-Length bodies only and says so otherwise."""
    assert _parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n") == (200, 12)
    with pytest.raises(HttpPipeError, match="transfer-encoding"):
        _parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    with pytest.raises(HttpPipeError, match="Content-Length"):
        _parse_head(b"HTTP/1.1 204 No Content\r\n\r\n")
    with pytest.raises(HttpPipeError, match="status line"):
        _parse_head(b"SSH-2.0-OpenSSH\r\n\r\n")
