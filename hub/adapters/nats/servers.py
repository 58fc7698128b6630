"""NATS server URLs as settings give them: one URL, or a cluster's as a comma-separated list.

nats-py takes a list for a cluster but parses a single string as one URL, so a
``HUB_NATS_URL`` of ``nats://a:4222,nats://b:4222`` must be split before every
connect; :func:`servers` is the one place that does it.
"""

from __future__ import annotations


def servers(url: str) -> list[str]:
    """Every node's URL in ``url`` (empty parts dropped, whitespace stripped)."""
    found = [part.strip() for part in url.split(",") if part.strip()]
    if not found:
        raise ValueError("no NATS server URL given")
    return found
