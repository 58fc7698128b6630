"""Write a long, realistic exchange history straight into a ledger, for benchmarks.

Exchanges go through the real ``Exchange`` aggregate (so the stored events are
exactly what the hub records), but are written in large batches with event
timestamps spread over simulated time instead of one transaction per step:
200,000 events take seconds rather than the hours a live hub would need.
Memory stays bounded: exchanges are generated and written a chunk at a time.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.domain import DomainEventProtocol

from hub.adapters.store.ledger import Ledger
from hub.domain.exchange import Exchange

SERVICES = (
    ("north/tax", "north/social-security/contribution-history",
     "social-security.contribution-history-query@1.0", "social-security.contribution-history@1.0"),
    ("north/social-security", "north/tax/tax-clearance",
     "tax.clearance-query@1.0", "tax.clearance@1.0"),
)
REJECTIONS = ("malformed-input", "schema-violation", "contract-violation", "unknown-service")
START = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)


@dataclass
class HistoryStats:
    """What was written: events, exchanges and outcome counts."""

    events: int = 0
    exchanges: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


def write_history(
    ledger: Ledger, target_events: int, *, seed: int = 4, chunk_exchanges: int = 2000
) -> HistoryStats:
    """Append about ``target_events`` events of exchange lifecycles to ``ledger``."""
    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not secrets
    stats = HistoryStats()
    clock = START
    while stats.events < target_events:
        timed: list[tuple[dt.datetime, int, DomainEventProtocol[Any]]] = []
        for _ in range(chunk_exchanges):
            clock += dt.timedelta(milliseconds=rng.expovariate(1 / 200))
            outcome, events = _lifecycle(rng, clock)
            stats.outcomes[outcome] = stats.outcomes.get(outcome, 0) + 1
            stats.exchanges += 1
            timed.extend((e.timestamp, len(timed), e) for e in events)
            if stats.events + len(timed) >= target_events:
                break
        timed.sort(key=lambda item: (item[0], item[1]))
        stored = [ledger.mapper.to_stored_event(event) for _, _, event in timed]
        ledger.recorder.insert_events(stored)
        stats.events += len(stored)
    return stats


def _lifecycle(
    rng: random.Random, received: dt.datetime
) -> tuple[str, list[DomainEventProtocol[Any]]]:
    client, service, request, response = rng.choice(SERVICES)
    exchange = Exchange(client, service, f"corr-{rng.getrandbits(48):012x}", rng.choice(
        ("json", "soap")), f"sha256:{rng.getrandbits(128):032x}", rng.randint(80, 2000), "")
    roll = rng.random()
    if roll < 0.12:
        code = rng.choice(REJECTIONS)
        exchange.reject(code, f"{code}: generated", [{"path": "$", "reason": "x", "code": code}])
        return "rejected", _timed(exchange, received, rng)
    subject = f"ds-{rng.getrandbits(64):016x}"
    exchange.translate(
        request, _request_document(rng), f"sha256:{rng.getrandbits(128):032x}", subject
    )
    exchange.route(service.rsplit("/", 1)[0], f"hub.north.deliver.{service}")
    attempt = 1
    while rng.random() < 0.08 and attempt < 5:
        exchange.fail_delivery(attempt, "provider-unavailable", "connection refused", True)
        attempt += 1
    if roll < 0.14:
        exchange.fail_delivery(attempt, "provider-fault", "the provider refused the query", False)
        return "failed", _timed(exchange, received, rng)
    if roll < 0.16:
        for retry in range(attempt, 5):
            exchange.fail_delivery(retry, "provider-unavailable", "connection refused", True)
        exchange.dead_letter(5, "connection refused")
        return "dead-lettered", _timed(exchange, received, rng)
    exchange.deliver(attempt)
    provider_ms = rng.lognormvariate(3.5, 0.8)
    exchange.respond(response, _response_document(rng), "sha256:00", provider_ms, subject)
    if roll < 0.17:
        return "responded", _timed(exchange, received, rng)
    exchange.complete("sha256:11", provider_ms + rng.uniform(2, 30))
    return "completed", _timed(exchange, received, rng)


def _timed(
    exchange: Exchange, received: dt.datetime, rng: random.Random
) -> list[DomainEventProtocol[Any]]:
    """The exchange's pending events, re-stamped a few milliseconds apart from ``received``."""
    events = exchange.collect_events()
    at = received
    for event in events:
        # Events are frozen dataclasses; re-stamping is for generated history only.
        object.__setattr__(event, "timestamp", at)
        at += dt.timedelta(milliseconds=rng.uniform(1, 40))
    return list(events)


def _request_document(rng: random.Random) -> dict[str, Any]:
    return {"national_id": _national_id(rng), "period_start": "2000-01-01",
            "period_end": "2026-12-31"}


def _response_document(rng: random.Random) -> dict[str, Any]:
    periods = [
        {"employer_id": f"{rng.randint(100000, 999999)}", "employer_name": "Employer AB",
         "start": "2004-03-01", "end": "2011-08-31", "contribution_base": "412345.00",
         "currency": "EUR"}
        for _ in range(rng.randint(1, 4))
    ]
    return {"person": {"national_id": _national_id(rng), "family_name": "Andersson",
                       "given_names": "Maria", "date_of_birth": "1980-01-01"},
            "periods": periods, "as_of": "2026-01-05"}


def _national_id(rng: random.Random) -> str:
    return f"19{rng.randint(40, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}-" \
           f"{rng.randint(0, 9999):04d}"


def iter_decoded(ledger: Ledger, batch: int = 1000) -> Iterator[int]:
    """Read and decode the whole notification log (the raw reference); yields page sizes."""
    start = 1
    while True:
        page = ledger.recorder.select_notifications(start=start, limit=batch)
        if not page:
            return
        for notification in page:
            ledger.mapper.to_domain_event(notification)
        yield len(page)
        start = page[-1].id + 1
