"""Documents carried by exchanges through a RUNNING hub to a legacy SOAP provider.

Real parts: the hub (run_hub: embedded nats-server with JetStream and the region's Object
Store, SQLite ledger, HTTP front end), the emulated Diploma Registry (aiohttp on a loopback
port) speaking MTOM or SOAP with Attachments, and HTTP clients. A JSON client supplies a
diploma, asks the diploma-verification service about it by id, and downloads the decision
the registry answered with, by link.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from uuid import UUID

import httpx
import pytest

from hub.domain.document import Document
from hub.domain.exchange import Exchange, Status
from hub.entrypoints.serve import Hub
from hub.settings import HubSettings
from simulations.diploma_registry.app import Registry, decision_pdf
from tests.integration.diploma_fixtures import (
    CLIENT,
    PROVIDER,
    PURPOSE,
    SERVICE,
    Outage,
    bearer,
    diploma_hub,
    events,
    outage,
    registry,
    supply,
)
from tests.integration.documents_fixtures import ANDERSSON, BRANDT, pdf

__all__ = ["outage", "registry"]  # fixtures


@pytest.fixture(params=["mtom", "swa"])
async def hub(request: pytest.FixtureRequest, hub_settings: HubSettings,
              registry: tuple[Registry, str]) -> AsyncIterator[Hub]:
    """A running hub whose diploma-verification service is the registry, in MTOM or SwA."""
    async with diploma_hub(hub_settings, registry[1], request.param) as running:
        yield running


async def verify(client: httpx.AsyncClient, hub: Hub, document_id: str) -> httpx.Response:
    """The client's JSON query naming the document."""
    return await client.post(
        f"/services/{SERVICE}",
        content=json.dumps({"national_id": ANDERSSON, "diploma": document_id}).encode(),
        headers={**bearer(hub), "X-Hub-Client": CLIENT, "X-Hub-Purpose": PURPOSE,
                 "Content-Type": "application/json"})


async def test_a_diploma_travels_to_the_registry_and_its_decision_comes_back(
    hub: Hub, registry: tuple[Registry, str],
) -> None:
    """Supplied once, named by id in a JSON query, sent to the registry as an attachment
    part; the decision it answers with is stored and downloaded by link, byte for byte."""
    received, _ = registry
    diploma = pdf(b"% diploma of A. Andersson\n", pad=400_000)  # several sealed chunks
    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
        diploma_id = await supply(client, hub, diploma, ANDERSSON)
        answered = await verify(client, hub, diploma_id)
        assert answered.status_code == 200, answered.text
        exchange_id = answered.headers["X-Exchange-Id"]
        body = answered.json()
        assert body["verdict"] == "authentic"
        decision_id = body["decision"]
        assert decision_id != diploma_id
        linked = await client.post(f"/documents/{decision_id}/links", headers=bearer(hub),
                                   json={"purpose": PURPOSE})
        assert linked.status_code == 201, linked.text
        fetched = await client.get(linked.json()["url"], headers=bearer(hub))
    digest = hashlib.sha256(diploma).hexdigest()
    assert received.received == [(digest, "application/pdf")]
    assert fetched.status_code == 200 and fetched.content == decision_pdf(digest)
    to_provider = [d for d in events(hub, Document.Disclosed.TOPIC)
                   if isinstance(d, Document.Disclosed) and d.recipient == PROVIDER]
    assert [(d.originator_id, d.exchange_id, d.purpose) for d in to_provider] == [
        (UUID(diploma_id), exchange_id, PURPOSE)]
    (decision,) = [s for s in events(hub, Document.Supplied.TOPIC)
                   if isinstance(s, Document.Supplied) and s.document_id == decision_id]
    assert (decision.supplier, decision.service, decision.sha256) == (
        PROVIDER, SERVICE, hashlib.sha256(fetched.content).hexdigest())


async def test_another_persons_document_is_a_recorded_failure(
    hub: Hub, registry: tuple[Registry, str],
) -> None:
    """A query about Andersson naming Brandt's diploma fails, naming the field: recorded as
    the exchange's failure, nothing sent, nothing disclosed, and the hub still answers."""
    received, _ = registry
    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
        hers = await supply(client, hub, pdf(b"% diploma of B. Brandt\n"), BRANDT)
        refused = await verify(client, hub, hers)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["code"] == "document-subject-mismatch"
        assert problem["issues"][0]["field"] == "diploma"
        exchange = hub.ledger.get(UUID(refused.headers["X-Exchange-Id"]))
        assert exchange.status is Status.FAILED
        ours = await supply(client, hub, pdf(b"% diploma of A. Andersson\n"), ANDERSSON)
        assert (await verify(client, hub, ours)).status_code == 200  # the worker lives on
    assert len(received.received) == 1
    assert [d.originator_id for d in events(hub, Document.Disclosed.TOPIC)
            if isinstance(d, Document.Disclosed) and d.recipient == PROVIDER] == [UUID(ours)]


async def test_a_redelivery_discloses_the_document_once(
    hub: Hub, registry: tuple[Registry, str], outage: Outage,
) -> None:
    """The registry is unavailable for the first call, after the diploma was sent: the worker
    retries and sends it again, but the disclosure to the registry within this exchange is
    recorded once — and so it is when several disclose it for the exchange at once."""
    received, _ = registry
    outage.calls = 1
    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
        diploma_id = await supply(client, hub, pdf(b"% diploma of A. Andersson\n"), ANDERSSON)
        answered = await verify(client, hub, diploma_id)
        assert answered.status_code == 200, answered.text
    exchange_id = answered.headers["X-Exchange-Id"]
    failed = [(f.attempt, f.retryable) for f in events(hub, Exchange.DeliveryFailed.TOPIC)
              if isinstance(f, Exchange.DeliveryFailed) and str(f.originator_id) == exchange_id]
    assert failed == [(1, True)]  # the first attempt, sent and then answered 503
    assert outage.calls == 0 and len(received.received) == 1
    documents = hub.documents.documents
    await asyncio.gather(*(documents.disclose(
        diploma_id, by=CLIENT, recipient=PROVIDER, purpose=PURPOSE, exchange_id=exchange_id)
        for _ in range(3)))
    to_provider = [(d.originator_id, d.exchange_id) for d in events(hub, Document.Disclosed.TOPIC)
                   if isinstance(d, Document.Disclosed) and d.recipient == PROVIDER]
    assert to_provider == [(UUID(diploma_id), exchange_id)]
