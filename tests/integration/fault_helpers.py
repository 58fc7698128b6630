"""Shared helpers of the fault tests: posting queries, counting outcomes, reading the DLQ."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

import httpx
import nats

from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.bootstrap.security import access_policy
from hub.domain.credential import CredentialKind
from hub.domain.exchange import Exchange
from hub.service_layer.security.credentials import CredentialService
from hub.settings import HubSettings
from simulations.departments import CASE_PURPOSE, grant_demo_rights

SS = "social-security/contribution-history"
QUERY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}


async def post_query(
    http: httpx.AsyncClient, base: str, region: str, token: str, correlation_id: str
) -> httpx.Response:
    """One JSON query from the tax department (``token`` is its) to the social-security bureau."""
    return await http.post(
        f"{base}/services/{region}/{SS}",
        content=json.dumps(QUERY).encode(),
        headers={"X-Hub-Client": f"{region}/tax", "Content-Type": "application/json",
                 "Authorization": f"Bearer {token}", "X-Hub-Purpose": CASE_PURPOSE,
                 "X-Correlation-Id": correlation_id},
    )


def provision_folder(settings: HubSettings) -> str:
    """Before the hub starts: grant the demo rights and issue the tax department's token,
    in the region's store, as an operator would with ``access grant`` and
    ``credentials issue``."""
    ledger = build_ledger(settings)
    try:
        grant_demo_rights(access_policy(ledger, settings.region), settings.region)
        issued = CredentialService(ledger, settings.region).issue(
            f"{settings.region}/tax", CredentialKind.DEPARTMENT, dt.timedelta(hours=2))
        return issued.token
    finally:
        ledger.close()


@dataclass
class Counts:
    """What a fault test prints: sent, acked (answered), recorded, delivered, duplicates, lost."""

    sent: int = 0
    acked: int = 0
    recorded: int = 0
    delivered: int = 0
    duplicates: int = 0
    lost: int = 0

    def line(self, name: str) -> str:
        return (f"[{name}] sent={self.sent} acked={self.acked} recorded={self.recorded} "
                f"delivered={self.delivered} duplicates={self.duplicates} lost={self.lost}")


def responded_per_exchange(ledger: Ledger) -> dict[UUID, int]:
    """Responded events per recorded exchange (0 for those never answered)."""
    counts: dict[UUID, int] = {}
    for exchange_id in ledger.exchange_ids():
        counts[exchange_id] = sum(
            isinstance(e, Exchange.Responded) for e in ledger.history(exchange_id))
    return counts


def correlation_of(ledger: Ledger, ids: Iterable[UUID]) -> dict[UUID, str]:
    return {i: ledger.get(i, version=1).correlation_id for i in ids}


def tally(ledger: Ledger, sent: int, acked_correlations: set[str]) -> Counts:
    """Counts from the ledger: every acked exchange must be recorded and answered once."""
    per_exchange = responded_per_exchange(ledger)
    correlations = correlation_of(ledger, per_exchange)
    answered = {correlations[i] for i, n in per_exchange.items() if n >= 1}
    return Counts(
        sent=sent,
        acked=len(acked_correlations),
        recorded=len(per_exchange),
        delivered=sum(n == 1 for n in per_exchange.values()),
        duplicates=sum(n > 1 for n in per_exchange.values()),
        lost=len(acked_correlations - answered)
        + sum(n == 0 for n in per_exchange.values()),
    )


def settled(counts: Counts) -> bool:
    """Every recorded exchange has at least one answer."""
    return counts.recorded > 0 and counts.delivered + counts.duplicates >= counts.recorded


async def dlq_letters(
    nats_url: str, stream: str, auth: dict[str, object] | None = None
) -> list[dict[str, object]]:
    """Every dead letter in ``stream``, oldest first (``auth``: nats.connect credentials)."""
    nc = await nats.connect(nats_url.split(","), connect_timeout=5, allow_reconnect=False,
                            **(auth or {}))  # type: ignore[arg-type]
    try:
        js = nc.jetstream(timeout=5)
        info = await js.stream_info(stream)
        letters = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages == 0:
                break
            letters.append(json.loads((await js.get_msg(stream, seq)).data or b"{}"))
        return letters
    finally:
        await nc.close()


def event_names(ledger: Ledger, exchange_id: UUID) -> list[str]:
    return [type(e).__name__ for e in ledger.history(exchange_id)]


def duplicates_of(values: Iterable[str]) -> dict[str, int]:
    return {k: n for k, n in Counter(values).items() if n > 1}
