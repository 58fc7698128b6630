"""The NATS subjects and headers regions use to talk to each other, namespaced by region.

Everything a region answers lives under ``fed.<region>.``; everything it keeps
in its own JetStream domain lives under ``hub.<region>.``. A region's hub
subscribes only to its own ``fed.<region>.>`` subjects, so a message for one
region can never be consumed by another even though all regions share the
leaf-node subject space.
"""

from __future__ import annotations

# Headers of a cross-region query (the NATS twin of X-Hub-Client / X-Correlation-Id).
CLIENT_HEADER = "Hub-Client"
CORRELATION_HEADER = "Correlation-Id"
EXCHANGE_HEADER = "Hub-Exchange-Id"  # the asking region's exchange id
ORIGIN_HEADER = "Hub-Origin-Region"
PURPOSE_HEADER = "Hub-Purpose"  # the client's purpose (X-Hub-Purpose; hub.service_layer.security)
# Present (value "record"): the asking region will recognise the answer, so the answering
# region issues it as an attested record (hub.service_layer.federation.answers).
ATTEST_HEADER = "Hub-Attest-Answer"

# A token no department can have (department codes never contain "_"), so the
# delivery subjects of remote services never match a local department's filter.
_PEER_SEGMENT = "_peer"


def catalogue(region: str) -> str:
    """Request/reply: the services ``region`` offers to its peers."""
    return f"fed.{region}.catalogue"


def query(region: str, department: str, service: str) -> str:
    """Request/reply: one query to ``region/department/service``."""
    return f"fed.{region}.query.{department}.{service}"


def query_filter(region: str) -> str:
    """What ``region``'s federation ingress listens to."""
    return f"fed.{region}.query.>"


def history(region: str) -> str:
    """Request/reply: ``region``'s history concerning the asking peer (reconciliation)."""
    return f"fed.{region}.history"


def audit_checkpoint(region: str) -> str:
    """Publish: each new signed checkpoint of ``region``'s audit log."""
    return f"fed.{region}.audit.checkpoint"


def audit_latest(region: str) -> str:
    """Request/reply: ``region``'s latest signed checkpoint and its verifier key."""
    return f"fed.{region}.audit.latest"


def audit_consistency(region: str) -> str:
    """Request/reply: a consistency proof between two tree sizes of ``region``'s log."""
    return f"fed.{region}.audit.consistency"


def remote_delivery_prefix(region: str, peer: str) -> str:
    """Where ``region``'s exchanges for services of ``peer`` wait in ``region``'s stream."""
    return f"hub.{region}.deliver.{_PEER_SEGMENT}.{peer}"


def remote_delivery(region: str, peer: str, department: str, service: str) -> str:
    """The delivery subject of one remote service, in ``region``'s own stream."""
    return f"{remote_delivery_prefix(region, peer)}.{department}.{service}"


def parse_query(subject: str, region: str) -> tuple[str, str] | None:
    """(department, service) of a query subject addressed to ``region``; None otherwise."""
    parts = subject.split(".")
    if len(parts) != 5 or parts[:3] != ["fed", region, "query"]:
        return None
    return parts[3], parts[4]
