"""Documents under retention, on real stores (SQLite, PostgreSQL) and a real nats-server.

A document is sealed under its retention scope's key (subject, purpose, expiry bucket), as
an exchange's payloads are. When the enforcer destroys that key, the document sink records
``Document.Expired`` and deletes the object; the document then reads as erased (410), the
audit log still verifies, and the data-use report says until when each document was kept.
Time is moved through the enforcer's clock only, as in tests/integration/test_retention.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from hub.adapters.documents.errors import DocumentErased, DocumentNotFound
from hub.adapters.documents.object_store import DocumentStore, StoredObject
from hub.adapters.nats.server import NatsServerProcess
from hub.adapters.projections.data_use_book import open_data_uses
from hub.adapters.store.ledger import Ledger
from hub.domain.document import Document
from hub.domain.retention import bucket_end, expiry_bucket
from hub.entrypoints.cli.main import app
from hub.entrypoints.serve import Hub
from hub.service_layer.audit import Auditor
from hub.service_layer.documents.expiry import DocumentExpiry
from hub.service_layer.documents.policy import DocumentPolicy
from hub.service_layer.documents.supply import Documents, Supply
from hub.service_layer.privacy.erasure import forget_subject
from hub.service_layer.privacy.retention import RetentionEnforcer, RetentionExpiry, utc_now
from hub.service_layer.security.purposes import Purpose
from hub.service_layer.security.report import data_use_report
from hub.settings import HubSettings
from tests.integration.documents_fixtures import (
    ANDERSSON,
    BRANDT,
    OWNER,
    SERVICE,
    SERVICE_ID,
    blocks,
    documents_parts,
    pdf,
)
from tests.integration.hub_fixtures import PURPOSE, department_token, running_region

# Two purposes kept for different periods; the owner department supplies under both.
KEPT = dataclasses.replace(SERVICE, purposes=(
    Purpose("benefit", ("person", "periods"), legal_basis="Act s. 1", retention="P1M"),
    Purpose("loan", ("periods.start", "periods.end", "as_of"), consent=True,
            retention="P5Y"),
))
TAX = "north/tax"
# P1M ends within 31 days, its bucket within 31 more: 70 days on, every P1M key is due.
LATER = dt.timedelta(days=70)


class _ListingsCounted(DocumentStore):
    """The region's real bucket, counting the reads of its metadata."""

    listings = 0

    async def listing(self) -> list[StoredObject]:
        self.listings += 1
        return await super().listing()


def _events(ledger: Ledger, topic: str) -> list[Any]:
    return [ledger.mapper.to_domain_event(n) for n in ledger.notifications(1, 1000, (topic,))]


async def _read(documents: Documents, document_id: str) -> bytes:
    document = await asyncio.to_thread(documents.get, document_id)
    return b"".join([chunk async for chunk in await documents.open(document)])


def _bearer(hub: Hub, department: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {department_token(hub, department)}"}


def _enforcer(ledger: Ledger, sink: DocumentExpiry) -> RetentionEnforcer:
    return RetentionEnforcer(ledger, ledger.keyring, clock=lambda: utc_now() + LATER,
                             sinks=[sink])


async def test_expiry_deletes_exactly_the_expired_documents_and_is_recorded_once(
    tmp_path: Path, store_url: str | None, store_ledger: Ledger,
    nats_server: NatsServerProcess,
) -> None:
    """Andersson's documents for a one-month and a five-year purpose, Brandt's for the
    one-month one. Seventy days on, the one-month ones are gone from the bucket (found by
    one read of its metadata) and reads as erased (410, naming the purpose and
    bucket); the five-year one downloads byte-identical. RetentionExpired and
    Document.Expired are recorded once each, without personal data; a second pass does
    nothing more; the audit log verifies; the report says until when each was kept."""
    ledger = store_ledger
    auditor = Auditor(tmp_path / "hub", store_url, "north")  # store_ledger's data folder
    short_bytes, long_bytes = pdf(b"% benefit\n", pad=300_000), pdf(b"% loan\n")
    async with documents_parts(ledger, nats_server.url, service=KEPT) as parts:
        documents = parts.documents
        short = await documents.supply(Supply(OWNER, SERVICE_ID, "benefit", ANDERSSON),
                                       blocks(short_bytes))
        long_ = await documents.supply(Supply(OWNER, SERVICE_ID, "loan", ANDERSSON),
                                       blocks(long_bytes))
        his = await documents.supply(Supply(OWNER, SERVICE_ID, "benefit", BRANDT),
                                     blocks(pdf(b"% his\n")))
        for document in (short, long_):
            await documents.disclose(document.document_id, by=OWNER, recipient=OWNER,
                                     purpose=document.purpose)
        auditor.checkpoint()
        store = await _ListingsCounted.connect(nats_server.url, region="north")
        sink = DocumentExpiry(ledger, store, asyncio.get_running_loop())

        expired = await asyncio.to_thread(_enforcer(ledger, sink).run_once)

        bucket = expiry_bucket(short.created_on, "P1M")
        assert sorted((e.subject, e.purpose, e.bucket) for e in expired) == sorted([
            (short.data_subject, "benefit", bucket), (his.data_subject, "benefit", bucket)])
        assert store.listings == 1  # one read of the bucket's metadata for the whole pass
        for gone in (short, his):
            with pytest.raises(DocumentNotFound):
                await parts.store.describe(gone.document_id)
        with pytest.raises(DocumentErased) as erased:
            await _read(documents, short.document_id)
        assert erased.value.status == 410
        assert "retention period (P1M, purpose benefit)" in erased.value.message
        assert bucket in erased.value.message
        assert erased.value.issues[0].code == "retention-expired"
        with pytest.raises(DocumentErased):  # nothing left to disclose either
            await documents.disclose(short.document_id, by=OWNER, recipient=OWNER,
                                     purpose="benefit")
        assert await _read(documents, long_.document_id) == long_bytes

        assert await asyncio.to_thread(_enforcer(ledger, sink).run_once) == []
        assert await sink.expire(short.data_subject, "benefit", bucket) == []
        await store.close()

    recorded = _events(ledger, Document.Expired.TOPIC)
    assert sorted((str(e.originator_id), e.expiry_bucket) for e in recorded) == sorted([
        (short.document_id, bucket), (his.document_id, bucket)])
    assert len(_events(ledger, RetentionExpiry.RetentionExpired.TOPIC)) == 2
    assert ANDERSSON not in repr(vars(recorded[0]))
    report = auditor.verify()
    assert report.ok, report.problems
    book = open_data_uses(ledger, None, tmp_path / "index")  # the data-use index
    try:
        uses = {u.fields[0].split()[1]: u for u in data_use_report(book, short.data_subject)}
    finally:
        book.close()
    assert uses[short.document_id].retention == "P1M"
    assert uses[short.document_id].kept_until == bucket_end(bucket)
    assert uses[long_.document_id].kept_until == bucket_end(
        expiry_bucket(long_.created_on, "P5Y"))
    assert short.kept_until == bucket_end(bucket).isoformat()


async def test_a_pass_that_died_between_recording_and_deleting_is_completed_once(
    store_ledger: Ledger, nats_server: NatsServerProcess,
) -> None:
    """The expiry was recorded but the object not deleted (the process died in between):
    the next pass deletes it and records nothing twice."""
    ledger = store_ledger
    async with documents_parts(ledger, nats_server.url, service=KEPT) as parts:
        document = await parts.documents.supply(
            Supply(OWNER, SERVICE_ID, "benefit", BRANDT), blocks(pdf()))
        sink = DocumentExpiry(ledger, parts.store, asyncio.get_running_loop())
        await asyncio.to_thread(sink._record, document.document_id, document.expiry_bucket)
        assert (await parts.store.describe(document.document_id)).size > 0

        await asyncio.to_thread(_enforcer(ledger, sink).run_once)

        with pytest.raises(DocumentNotFound):
            await parts.store.describe(document.document_id)
    assert len(_events(ledger, Document.Expired.TOPIC)) == 1


async def test_forgetting_a_subject_erases_documents_under_every_key_and_records_it(
    store_ledger: Ledger, nats_server: NatsServerProcess,
) -> None:
    """A document kept for a period (scope key) and one kept until forgotten (own key) both
    read as erased after `subject forget`, whose record names both keys."""
    ledger = store_ledger
    forever = dataclasses.replace(SERVICE, purposes=(
        KEPT.purposes[0], dataclasses.replace(KEPT.purposes[1], retention="")))
    async with documents_parts(ledger, nats_server.url, service=forever) as parts:
        kept = await parts.documents.supply(Supply(OWNER, SERVICE_ID, "benefit", BRANDT),
                                            blocks(pdf(b"% kept\n")))
        own = await parts.documents.supply(Supply(OWNER, SERVICE_ID, "loan", BRANDT),
                                           blocks(pdf(b"% own\n")))
        assert (kept.retention, own.retention, own.kept_until) == ("P1M", "", "")
        assert kept.kid != own.kid

        erasure = forget_subject(ledger, ledger.keyring, kept.data_subject)

        assert {kept.kid, own.kid} <= set(erasure.key_ids)
        for document in (kept, own):
            with pytest.raises(DocumentErased, match="forgotten"):
                await _read(parts.documents, document.document_id)


async def test_a_services_documents_retention_overrides_the_purposes(
    store_ledger: Ledger, nats_server: NatsServerProcess,
) -> None:
    """``[[documents]] retention`` is the period of the service's documents, whatever the
    purpose says; the object's headers name the scope the sink finds it by."""
    ledger = store_ledger
    async with documents_parts(ledger, nats_server.url, DocumentPolicy(retention="P2Y"),
                               service=KEPT) as parts:
        document = await parts.documents.supply(
            Supply(OWNER, SERVICE_ID, "benefit", ANDERSSON), blocks(pdf()))
        headers = (await parts.store.describe(document.document_id)).headers
    assert document.retention == "P2Y"
    assert document.expiry_bucket == expiry_bucket(document.created_on, "P2Y")
    assert headers["Hub-Purpose"] == "benefit"
    assert headers["Hub-Expiry-Bucket"] == document.expiry_bucket


async def test_the_running_hub_deletes_an_expired_document_and_answers_410(
    hub_settings: HubSettings,
) -> None:
    """`retention run` works beside the running hub. Through the hub's own wiring: its
    enforcer (clock moved past the purpose's P5Y) tells
    the document sink, the object goes, and the link issued before answers 410 with a
    problem naming the retention period; a new link is refused the same way."""
    later = dt.timedelta(days=6 * 366)
    data = pdf(b"% claim\n")
    async with running_region(hub_settings) as region:
        hub = region.hub
        async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
            supplied = await client.post(
                "/documents", headers=_bearer(hub, TAX),
                data={"service": SERVICE_ID, "purpose": PURPOSE, "subject": ANDERSSON},
                files={"file": ("claim.pdf", data, "application/pdf")})
            assert supplied.status_code == 201, supplied.text
            document_id = supplied.json()["document_id"]
            link = {"recipient": OWNER, "purpose": PURPOSE}
            linked = await client.post(f"/documents/{document_id}/links",
                                       headers=_bearer(hub, TAX), json=link)
            url = linked.json()["url"]
            assert (await client.get(url, headers=_bearer(hub, OWNER))).content == data
            ran = await asyncio.to_thread(  # beside the hub: through its embedded server
                CliRunner().invoke, app, ["retention", "run", "--data", str(hub_settings.data)],
                env={k: None for k in os.environ if k.startswith("HUB_")})
            assert ran.exit_code == 0 and "0 key(s) destroyed" in ran.stdout, ran.output
            hub.retention.clock = lambda: utc_now() + later

            expired = await asyncio.to_thread(hub.retention.run_once)

            assert PURPOSE in {e.purpose for e in expired}
            with pytest.raises(DocumentNotFound):
                await hub.documents.store.describe(document_id)
            gone = await client.get(url, headers=_bearer(hub, OWNER))
            again = await client.post(f"/documents/{document_id}/links",
                                      headers=_bearer(hub, TAX), json=link)
        for answer in (gone, again):
            assert answer.status_code == 410, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
            problem = answer.json()
            assert problem["code"] == "document-erased"
            assert f"retention period (P5Y, purpose {PURPOSE})" in problem["detail"]
        (recorded,) = _events(hub.ledger, Document.Expired.TOPIC)
        assert str(recorded.originator_id) == document_id
