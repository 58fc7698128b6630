"""Fixed ports for cluster routes and leaf nodes come from below the kernel's ephemeral range.

A port from the ephemeral range can be taken by any outgoing connection between
``free_port`` closing it and nats-server binding it; the suite once lost a cluster
node that way ("bind: address already in use").
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from hub.adapters.nats.server import free_port

RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


@pytest.mark.skipif(not RANGE.exists(), reason="no /proc port range on this platform")
def test_a_free_port_lies_below_the_range_outgoing_connections_use() -> None:
    low = int(RANGE.read_text().split()[0])
    if low <= 11_024:
        pytest.skip(f"this kernel's ephemeral range starts at {low}: no room below it")
    ports = {free_port() for _ in range(20)}
    assert all(10_000 <= port < low for port in ports), ports
    assert len(ports) > 1, "the ports are drawn at random, not one fixed value"


def test_a_port_offered_can_be_bound_at_once_on_both_loopbacks() -> None:
    for host in ("127.0.0.1", "::1"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            with socket.socket(family) as probe:
                probe.bind((host, 0))
        except OSError:
            continue  # no IPv6 loopback here
        for _ in range(20):
            with socket.socket(family) as server:
                server.bind((host, free_port(host)))
                server.listen()
