"""Cross-region queries: what the client's region sent vs what the provider's region answered.

The cross-region path records one exchange in each ledger, with the same
correlation id: the client's region (client its own department, service the
peer's) and the provider's region (ingress ``federation``, client the remote
department). Matching them by correlation id shows queries that never arrived,
were answered twice, or whose two sides disagree on the outcome or the digests.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from hub.service_layer.federation.reconciliation.history import History, Query
from hub.service_layer.federation.reconciliation.report import Category, Finding

ANSWERED = frozenset({"responded", "completed"})
REFUSED = frozenset({"rejected", "failed", "dead-lettered"})


def outcome(query: Query) -> str:
    """``answered``, ``refused`` or ``open`` (still on its way)."""
    if query.status in ANSWERED:
        return "answered"
    return "refused" if query.status in REFUSED else "open"


def query_findings(client: History, provider: History, grace: dt.timedelta) -> list[Finding]:
    """Queries from ``client``'s departments to ``provider``'s services, both sides compared."""
    asked = _by_correlation(q for q in client.queries
                            if q.client_region == client.region
                            and q.service_region == provider.region)
    answered = _by_correlation(q for q in provider.queries
                               if q.client_region == client.region
                               and q.service_region == provider.region)
    findings: list[Finding] = []
    for correlation_id, sent in sorted(asked.items()):
        received = answered.get(correlation_id, [])
        if not received:
            findings += _unreceived(client, provider, sent[-1], grace)
            continue
        if len(received) > 1:
            findings.append(Finding(Category.DUPLICATED, "answer", correlation_id,
                                    provider.region, client.region,
                                    f"{provider.region} recorded {len(received)} exchanges "
                                    "for this one query"))
        findings += _compare(client, provider, sent[-1], received[0], grace)
    for correlation_id in sorted(set(answered) - set(asked)):
        first = answered[correlation_id][0]
        findings.append(Finding(Category.MISSING, "query", correlation_id, provider.region,
                                client.region,
                                f"{provider.region} answered {first.client}'s query to "
                                f"{first.service} ({first.status}); {client.region} has no "
                                "record of sending it"))
    return findings


def _by_correlation(queries: Iterable[Query]) -> dict[str, list[Query]]:
    grouped: dict[str, list[Query]] = defaultdict(list)
    for query in queries:
        grouped[query.correlation_id].append(query)
    return grouped


def _unreceived(client: History, provider: History, sent: Query,
                grace: dt.timedelta) -> list[Finding]:
    if sent.provider is None and outcome(sent) == "refused":
        return []  # refused at the client's own ingress: it never left the region
    age = provider.as_of - sent.received_at
    category = Category.PENDING if age < grace else Category.MISSING
    return [Finding(category, "query", sent.correlation_id, client.region, provider.region,
                    f"{sent.client} asked {sent.service} "
                    f"({sent.received_at:%Y-%m-%dT%H:%M:%SZ}, {sent.status}); "
                    f"{provider.region} has no record of it")]


def _compare(client: History, provider: History, sent: Query, received: Query,
             grace: dt.timedelta) -> list[Finding]:
    key, here, there = sent.correlation_id, client.region, provider.region
    ours, theirs = outcome(sent), outcome(received)
    if "open" in (ours, theirs):
        latest = max(sent.received_at, received.received_at)
        age = min(client.as_of, provider.as_of) - latest
        if age < grace:
            return [Finding(Category.PENDING, "answer", key, here, there,
                            f"{here}: {sent.status}, {there}: {received.status}")]
        if ours == theirs:
            return [Finding(Category.MISSING, "answer", key, here, there,
                            f"no answer on either side after {age.total_seconds():.0f} s "
                            f"({here}: {sent.status}, {there}: {received.status})")]
    findings = []
    if ours != theirs:
        findings.append(Finding(Category.DIVERGENT, "query", key, here, there,
                                f"{here} recorded {sent.status}, {there} {received.status}"))
    for name in ("request_digest", "response_digest"):
        mine, other = getattr(sent, name), getattr(received, name)
        if mine is not None and other is not None and mine != other:
            findings.append(Finding(Category.DIVERGENT, "query", key, here, there,
                                    f"{name.replace('_', ' ')} differs: {here} {mine[:19]}…, "
                                    f"{there} {other[:19]}…"))
    return findings
