"""Documents wired for a running region: its bucket, the use cases, the upload sessions."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors

from hub.adapters.documents.errors import DocumentStoreError
from hub.adapters.documents.object_store import DocumentStore
from hub.adapters.nats.servers import servers
from hub.adapters.nats.user_sync import open_region_nats
from hub.adapters.peers.documents import DocumentServer
from hub.adapters.store.ledger import Ledger
from hub.adapters.store.writer_lock import sole_writer
from hub.service_layer.documents.cross_region import AttestedDocuments, attested_opener
from hub.service_layer.documents.expiry import DocumentExpiry
from hub.service_layer.documents.links import LINK_SECRET, LinkSigner
from hub.service_layer.documents.policy import DocumentPolicies
from hub.service_layer.documents.supply import Documents
from hub.service_layer.documents.uploads import Uploads
from hub.service_layer.exchanges.routing import ServiceDirectory
from hub.service_layer.federation.app import FederationApp
from hub.service_layer.privacy.retention import RetentionEnforcer
from hub.service_layer.security.credentials import CredentialService
from hub.service_layer.security.decision import AccessPolicy
from hub.settings import HubSettings


@dataclass(frozen=True)
class DocumentsRuntime:
    """The region's documents: use cases, resumable uploads, the bucket they share."""

    documents: Documents
    uploads: Uploads
    store: DocumentStore
    attested: AttestedDocuments | None = None  # with peers: documents across regions


@contextlib.asynccontextmanager
async def running_documents(
    settings: HubSettings, ledger: Ledger, directory: ServiceDirectory, access: AccessPolicy,
    policies: DocumentPolicies, *, nats_url: str, nats_auth: Mapping[str, Any],
    retention: RetentionEnforcer | None = None,
) -> AsyncIterator[DocumentsRuntime]:
    """Open the region's bucket (replicas as its streams) and build the use cases over it;
    ``retention``'s passes then delete the documents of the scopes they expire."""
    store = await DocumentStore.connect(
        nats_url, region=settings.region, replicas=settings.stream_replicas,
        name=f"interop-hub-{settings.region}-documents", auth=nats_auth)
    try:
        secret = await asyncio.to_thread(ledger.keyring.secret, LINK_SECRET)
        documents = Documents(ledger, store, directory, access, policies, LinkSigner(secret))
        sink = DocumentExpiry(ledger, store, asyncio.get_running_loop())
        if retention is not None:
            retention.add_sink(sink)
        try:
            yield DocumentsRuntime(documents, Uploads(documents), store)
        finally:
            if retention is not None:  # a pass after this keeps the keys until the next hub
                retention.sinks.remove(sink)
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def offline_document_store(settings: HubSettings, ledger: Ledger
                                 ) -> AsyncIterator[DocumentStore]:
    """The region's bucket for an operator command: through ``HUB_NATS_URL`` when set, else
    by starting the embedded nats-server on the data folder — which only one process may
    run, so the command is refused while the hub runs (the hub's own server holds it)."""
    async with contextlib.AsyncExitStack() as stack:
        if not settings.nats_url:
            stack.enter_context(sole_writer(settings.data))
        credentials = CredentialService(ledger, settings.region)
        region_nats = await open_region_nats(stack, settings,
                                             credentials.active_department_nkeys,
                                             ledger.keyring)
        store = await DocumentStore.connect(
            region_nats.url, region=settings.region, replicas=settings.stream_replicas,
            name=f"interop-hub-{settings.region}-documents-cli", auth=region_nats.auth)
        stack.push_async_callback(store.close)
        yield store


@contextlib.asynccontextmanager
async def attested_documents(
    settings: HubSettings, documents: Documents, federation: FederationApp, *, nats_url: str,
    nats_auth: Mapping[str, Any],
) -> AsyncIterator[AttestedDocuments]:
    """Serve this region's attested documents to the peers on its trust list, and fetch
    peers' ones, over one NATS connection of the region's (peers are reached across its
    leaf links)."""
    try:
        nc = await nats.connect(servers(nats_url), name=f"interop-hub-{settings.region}-"
                                "attested-documents", connect_timeout=5,
                                max_reconnect_attempts=-1, **nats_auth)
    except (TimeoutError, nats.errors.Error, OSError) as exc:
        raise DocumentStoreError(f"cannot connect to NATS at {nats_url}: {exc!r}") from exc
    server = DocumentServer(nc, settings.region, attested_opener(
        documents, lambda: {peer.region for peer in federation.trust.peers}))
    try:
        await server.start()
        yield AttestedDocuments(documents, nc, federation.recognised_attestation,
                                timeout_s=settings.link_timeout_s)
    finally:
        await server.close()
        with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError, OSError):
            await asyncio.wait_for(nc.close(), timeout=5)
