"""Documents that travel with an attestation, fetched across two real regions.

Two nats-server processes, each its own JetStream domain, joined by a leaf link; each
region its own ledger, key store (so its own subject secret) and documents bucket. The
tampering test puts a real component in the path: a TCP proxy on loopback between the
receiving hub and its NATS server that flips one byte of the document as it passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from joserfc import jws as joserfc_jws
from joserfc.jwk import OKPKey

from contracts.identity import ServiceId
from contracts.social_security import ContributionHistory, ContributionHistoryQuery
from federation.attestation import Attestation, read_attestation, sign_attestation
from federation.keys import KeyRing
from hub.adapters.documents.errors import DocumentDigestMismatch
from hub.adapters.documents.object_store import DocumentStore
from hub.adapters.nats.server import NatsServerConfig, NatsServerProcess, free_port
from hub.adapters.peers.documents import DocumentServer, documents_subject
from hub.adapters.peers.errors import PeerDocumentError
from hub.adapters.peers.subjects import ORIGIN_HEADER
from hub.adapters.projections.data_use_book import open_data_uses
from hub.adapters.readmodels import models_of
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.bootstrap.security import access_policy
from hub.domain.document import Document, DocumentRefusal
from hub.service_layer.documents.cross_region import (
    attested_digest,
    attested_opener,
    receive_attested,
)
from hub.service_layer.documents.links import LINK_SECRET, LinkSigner
from hub.service_layer.documents.policy import DocumentPolicies
from hub.service_layer.documents.supply import Documents, Supply
from hub.service_layer.documents.views import document_history
from hub.service_layer.exchanges.routing import ServiceDefinition, ServiceDirectory
from hub.service_layer.security.purposes import Purpose
from hub.service_layer.security.report import data_use_report
from hub.settings import HubSettings
from tests.integration.documents_fixtures import ANDERSSON, OWNER, SERVICE, blocks, pdf
from tests.waiting import wait_until_async

MARKER = b"ORIGINAL-CERTIFICATE-TEXT"
FLIPPED = b"ORIGINAL-CERTIFICATE-TEXU"  # one byte changed, same length: the protocol holds
SOUTH_SERVICE = ServiceDefinition(
    id=ServiceId("south", "benefits", "housing-allowance"),
    request=ContributionHistoryQuery, response=ContributionHistory, operation="HA",
    adapter="x", endpoint="x",
    purposes=(Purpose("benefit", ("person", "periods"), legal_basis="Act s. 2"),))
SOUTH_DEPARTMENT = "south/benefits"


@dataclass
class Region:
    name: str
    ledger: Ledger
    store: DocumentStore
    documents: Documents


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[dict[str, NatsServerProcess]]:
    """north accepts south's leaf link; each its own JetStream domain."""
    port = free_port()
    started: dict[str, NatsServerProcess] = {}
    try:
        for name, config in (
            ("north", NatsServerConfig("north", tmp_path / "nats" / "north",
                                       jetstream_domain="north", leafnode_port=port)),
            ("south", NatsServerConfig("south", tmp_path / "nats" / "south",
                                       jetstream_domain="south",
                                       leaf_remotes=[f"nats-leaf://127.0.0.1:{port}"])),
        ):
            started[name] = NatsServerProcess(config)
            started[name].start()
        yield started
    finally:
        for server in reversed(started.values()):
            server.stop()


@contextlib.asynccontextmanager
async def region(tmp_path: Path, name: str, url: str, service: ServiceDefinition
                 ) -> AsyncIterator[Region]:
    ledger = build_ledger(HubSettings(data=tmp_path / name, region=name))
    models_of(ledger)
    store = await DocumentStore.connect(url, region=name)
    documents = Documents(ledger, store, ServiceDirectory(name, [service]),
                          access_policy(ledger, name), DocumentPolicies({}),
                          LinkSigner(ledger.keyring.secret(LINK_SECRET)))
    try:
        yield Region(name, ledger, store, documents)
    finally:
        await store.close()
        ledger.close()


class FlippingProxy:
    """A loopback TCP proxy that forwards both ways and, server to client, turns MARKER into
    FLIPPED (the one byte a faulty or hostile hop would change)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.flipped = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        for task in (self._pipe(reader, up_writer, flip=False),
                     self._pipe(up_reader, writer, flip=True)):
            started = asyncio.create_task(task)
            self._tasks.add(started)
            started.add_done_callback(self._tasks.discard)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *,
                    flip: bool) -> None:
        try:
            while data := await reader.read(1 << 20):
                if flip and MARKER in data:
                    data = data.replace(MARKER, FLIPPED)
                    self.flipped += 1
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def _attest(keys: KeyRing, document: Document) -> tuple[str, Attestation]:
    """North's attestation of a record with ``document`` (what its federation signs)."""
    _, compact = sign_attestation(
        keys, department="social-security", record_id=str(uuid.uuid4()),
        contract="social-security.contribution-history@1.0",
        subject=document.data_subject, content_digest="sha256:" + "ab" * 32,
        issued_at=dt.datetime.now(dt.UTC), documents=(attested_digest(document, "north"),))
    return compact, read_attestation(compact).attestation


async def _leaf_up(nc: nats.NATS) -> None:
    """North's document subject answers from south's side once the leaf link carries it."""
    async def answered() -> bool:
        msg = await nc.request(documents_subject("north"), b"", timeout=0.5,
                               headers={ORIGIN_HEADER: "south"})
        return bool(msg.headers and "Hub-Error" in msg.headers)
    await wait_until_async(answered, timeout_s=10, interval_s=0.1, ignoring=(Exception,),
                           message="north's documents reachable from south")


@contextlib.asynccontextmanager
async def two_regions(tmp_path: Path, servers: dict[str, NatsServerProcess], south_url: str,
                      trusted: frozenset[str] = frozenset({"south"})
                      ) -> AsyncIterator[tuple[Region, Region, Document, nats.NATS]]:
    """North holds a certificate and serves it to south; south's hub connects at south_url."""
    async with region(tmp_path, "north", servers["north"].url, SERVICE) as north, \
            region(tmp_path, "south", servers["south"].url, SOUTH_SERVICE) as south:
        document = await north.documents.supply(
            Supply(OWNER, str(SERVICE.id), "benefit", ANDERSSON, "application/pdf"),
            blocks(pdf(b"3 0 obj\n(" + MARKER + b")\nendobj\n", pad=300_000)))
        north_nc = await nats.connect(servers["north"].url)
        server = DocumentServer(north_nc, "north",
                                attested_opener(north.documents, lambda: trusted))
        await server.start()
        south_nc = await nats.connect(south_url)
        try:
            await _leaf_up(south_nc)
            yield north, south, document, south_nc
        finally:
            await server.close()
            await south_nc.close()
            await north_nc.close()


def _events(ledger: Ledger, topic: str) -> list[object]:
    return [ledger.mapper.to_domain_event(item)
            for item in ledger.recorder.select_notifications(1, 1000, topics=[topic])]


async def test_an_attested_document_is_fetched_checked_and_kept_under_south_own_reference(
    tmp_path: Path, servers: dict[str, NatsServerProcess]
) -> None:
    """South fetches the bytes north attested, stores them sealed under its own subject
    reference as supplied by north's department; north records the fetch as a disclosure."""
    keys = KeyRing.generate("north", now=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    async with two_regions(tmp_path, servers, servers["south"].url) as (
            north, south, document, nc):
        compact, attestation = _attest(keys, document)
        (digest,) = attestation.documents
        kept = await receive_attested(
            south.documents, nc, attestation, digest, recipient=SOUTH_DEPARTMENT,
            service=str(SOUTH_SERVICE.id), purpose="benefit", subject=ANDERSSON)
        out = bytearray()
        async for block in await south.documents.open(kept):
            out += block
        original = bytearray()
        async for block in await north.documents.open(document):
            original += block
        assert bytes(out) == bytes(original) and MARKER in out
        assert (kept.sha256, kept.size, kept.supplier, kept.bucket) == (
            document.sha256, document.size, "north/social-security", "hub-south-documents")
        assert kept.data_subject == south.ledger.keyring.ref_for(ANDERSSON)
        assert kept.data_subject != document.data_subject
        north_doc = north.documents.get(document.document_id)
        assert [(d["recipient"], d["basis"]) for d in north_doc.disclosures] == [
            ("region:south", "attestation")]
        book = open_data_uses(north.ledger, None, tmp_path / "north-index")  # data-use index
        try:
            report = data_use_report(book, north.ledger.keyring.ref_for(ANDERSSON))
        finally:
            book.close()
        assert [use.recipient for use in report] == ["region:south"]
        # What the console's document page shows of it, on each side.
        assert [e["across"] for e in document_history(north.ledger, document.document_id)] == [
            "", "fetched by region south through its attestation's link"]
        assert [e["across"] for e in document_history(south.ledger, kept.document_id)] == [
            "fetched from region north, checked against its signed attestation"]
    # The claims as signed stay verifiable by an outside JOSE library.
    verified = joserfc_jws.deserialize_compact(
        compact, OKPKey.import_key(keys.active.public.jwk()), algorithms=["Ed25519"])
    assert json.loads(verified.payload)["documents"][0]["sha256"] == document.sha256


async def test_a_byte_flipped_in_transit_is_refused_recorded_and_nothing_stored(
    tmp_path: Path, servers: dict[str, NatsServerProcess]
) -> None:
    """A proxy between south's hub and its NATS server changes one byte of the document:
    the SHA-256 differs from the signed one, south refuses it, records why, stores nothing."""
    keys = KeyRing.generate("north", now=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    proxy = FlippingProxy(servers["south"].port)
    port = await proxy.start()
    try:
        async with two_regions(tmp_path, servers, f"nats://127.0.0.1:{port}") as (
                _, south, document, nc):
            _, attestation = _attest(keys, document)
            with pytest.raises(DocumentDigestMismatch) as refused:
                await receive_attested(
                    south.documents, nc, attestation, attestation.documents[0],
                    recipient=SOUTH_DEPARTMENT, service=str(SOUTH_SERVICE.id),
                    purpose="benefit", subject=ANDERSSON)
            assert proxy.flipped >= 1
            assert refused.value.issues[0].field == "sha256"
            (refusal,) = _events(south.ledger, DocumentRefusal.Refused.TOPIC)
            assert isinstance(refusal, DocumentRefusal.Refused)
            assert refusal.code == "document-digest-mismatch"
            assert refusal.supplier == "north/social-security"
            assert _events(south.ledger, Document.Supplied.TOPIC) == []
            info = await south.store.stream_info(south.store.stream)
            assert info.state.messages == 0
    finally:
        await proxy.close()


async def test_an_untrusted_region_is_refused_by_the_issuer(
    tmp_path: Path, servers: dict[str, NatsServerProcess]
) -> None:
    """North serves only its trusted peers: another asker gets a recorded refusal, no bytes."""
    keys = KeyRing.generate("north", now=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    async with two_regions(tmp_path, servers, servers["south"].url,
                           trusted=frozenset({"east"})) as (north, south, document, nc):
        _, attestation = _attest(keys, document)
        with pytest.raises(PeerDocumentError) as refused:
            await receive_attested(
                south.documents, nc, attestation, attestation.documents[0],
                recipient=SOUTH_DEPARTMENT, service=str(SOUTH_SERVICE.id),
                purpose="benefit", subject=ANDERSSON)
        assert refused.value.issues[0].code == "untrusted-region"
        assert north.documents.get(document.document_id).disclosures == []
        assert _events(south.ledger, DocumentRefusal.Refused.TOPIC) != []


def test_digests_are_well_formed_or_the_attestation_is_malformed() -> None:
    """A documents claim with a link of another region is refused as malformed on reading."""
    from federation.document_digests import check_documents
    entry = {"id": str(uuid.uuid4()), "media_type": "application/pdf", "size": 10,
             "sha256": hashlib.sha256(b"x").hexdigest(), "link": "nats:fed.east.documents"}
    assert "not one of the issuer" in (check_documents([entry], "north") or "")
    assert check_documents([{**entry, "link": "nats:fed.north.documents"}], "north") is None
    assert "size" in (check_documents([{**entry, "size": -1,
                                        "link": "nats:fed.north.documents"}], "north") or "")
