"""A cluster's URLs in one setting: split before each connect (nats-py would not)."""

from __future__ import annotations

import pytest

from hub.adapters.nats.servers import servers


def test_a_cluster_url_lists_every_node() -> None:
    assert servers("nats://127.0.0.1:4222") == ["nats://127.0.0.1:4222"]
    assert servers(" nats://127.0.0.1:1, nats://127.0.0.1:2 ,") == [
        "nats://127.0.0.1:1", "nats://127.0.0.1:2"]


def test_no_url_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no NATS server URL"):
        servers(" , ")
