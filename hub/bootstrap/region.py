"""The composition root: settings in, a running region out. Nothing is built at import.

:func:`running_region` builds and starts (in order) the ledger (it holds the
credentials), the embedded nats-server with their NATS users unless
``HUB_NATS_URL`` is set, the bus, the provider adapters, the outbox relay, one
delivery consumer per provider department, the links to peer regions, the
notifier and the ingest workers; it stops them in reverse order, so in-flight
work settles before its dependencies go. The ways in — the HTTP front end and
the NATS ingress — are the entry points' (:func:`hub.entrypoints.serve.run_hub`).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from contracts import ContractRegistry, default_registry
from contracts.errors import HubError
from hub.adapters.bus.port import ConsumerSpec
from hub.adapters.nats.bus import JetStreamBus, StreamSpec
from hub.adapters.nats.relay_wake import RelayWakeup
from hub.adapters.nats.user_sync import RegionNats, open_region_nats
from hub.adapters.projections.access_watch import AccessWatch
from hub.adapters.projections.live import LiveProjections, live_projections
from hub.adapters.providers.secrets import ProviderSecrets
from hub.adapters.readmodels import models_of
from hub.adapters.store.ledger import Ledger
from hub.adapters.store.relay_lease import PROJECTIONS, RelayLease, relay_lease, while_leased
from hub.adapters.store.selection import describe_store, is_sqlite
from hub.adapters.store.writer_lock import sole_writer
from hub.bootstrap.audit_process import checkpoints_duty
from hub.bootstrap.cases import case_notifier
from hub.bootstrap.documents import DocumentsRuntime, running_documents
from hub.bootstrap.federation import FederationTransport, running_transport
from hub.bootstrap.ingest import IngestRuntime, running_ingest
from hub.bootstrap.notifications import notification_adapters, notification_services
from hub.bootstrap.peers import RegionLinks
from hub.bootstrap.privacy import build_ledger
from hub.bootstrap.projections_process import projections_duty
from hub.bootstrap.providers import build_adapters
from hub.bootstrap.reliability import Reliability, prepare_reliability
from hub.bootstrap.security import access_policy
from hub.bootstrap.supervisor import TaskSupervisor
from hub.service_layer.audit import Auditor, claim_region, final_checkpoint
from hub.service_layer.documents.attachments import ExchangeDocuments
from hub.service_layer.documents.policy import DocumentPolicies, DocumentPolicy
from hub.service_layer.exchanges.delivery import DeliveryWorker
from hub.service_layer.exchanges.gateway import Gateway
from hub.service_layer.exchanges.inline import inline_grace_s
from hub.service_layer.exchanges.relay import OutboxRelay
from hub.service_layer.exchanges.routing import (
    ServiceDefinition,
    ServiceDirectory,
    time_limits,
    watch_policies,
)
from hub.service_layer.ingest import IngestSource
from hub.service_layer.notifications import Notifier, Subscription
from hub.service_layer.privacy.retention import RetentionEnforcer, utc_now
from hub.service_layer.security.anomalies import AccessAnomalies
from hub.service_layer.security.credentials import CredentialService
from hub.service_layer.security.decision import AccessPolicy
from hub.settings import HubSettings
from translation.port import ProviderAdapter

log = structlog.get_logger("hub.bootstrap.region")


@dataclass(kw_only=True)
class Region:
    """One running region's parts, for the entry points that serve it and for tests."""

    settings: HubSettings
    registry: ContractRegistry
    services: Sequence[ServiceDefinition]
    ledger: Ledger
    bus: JetStreamBus
    directory: ServiceDirectory
    gateway: Gateway
    relay: OutboxRelay
    worker: DeliveryWorker  # settles the deliveries of every provider department
    wake_relay: RelayWakeup  # wakes the relay of whichever process holds the lease
    nats_url: str
    nats_auth: dict[str, Any]  # the hub's own NATS user (keyword arguments of nats.connect)
    store: str  # the event store, described without secrets
    auditor: Auditor
    projections: LiveProjections
    credentials: CredentialService  # departments' and operators' tokens
    access: AccessPolicy  # rights, purposes, consent (hub.service_layer.security)
    anomalies: AccessAnomalies  # what the access watch raised (hub.service_layer.security)
    supervisor: TaskSupervisor  # background tasks, and the ones that died
    # destroys the keys of expired retention buckets (a lease holder's duty); other stores of
    # personal data follow it with retention.add_sink (hub.service_layer.privacy.retention)
    retention: RetentionEnforcer
    documents: DocumentsRuntime  # documents supplied once (hub.service_layer.documents)
    links: RegionLinks | None = None  # set when the region has peers (hub.bootstrap.peers)
    federation: FederationTransport | None = None  # records to and from peers (with links)
    notifier: Notifier | None = None  # issued records to in-region subscribers
    ingest: IngestRuntime | None = None  # durable asynchronous ingest, with [[ingest]] sources


@contextlib.asynccontextmanager
async def running_region(
    settings: HubSettings,
    services: Sequence[ServiceDefinition],
    *,
    registry: ContractRegistry | None = None,
    subscriptions: Sequence[Subscription] = (),
    ingest: Sequence[IngestSource] = (),
    document_policies: DocumentPolicies | None = None,
) -> AsyncIterator[Region]:
    """Build one region's hub and run its work for the duration of the block.

    ``document_policies``: each service's door for documents (``[[documents]]`` tables);
    when None, every service gets the defaults (``HUB_DOCUMENT_MAX_BYTES``).

    ``subscriptions`` (``[[subscription]]`` tables, hub.service_layer.notifications) make the
    departments named receive every record of their contract issued here.
    ``ingest`` (``[[ingest]]`` tables, hub.service_layer.ingest) lets departments submit records
    asynchronously; the hub runs ``HUB_INGEST_WORKERS`` worker processes for them.
    """
    registry = registry or default_registry()
    settings.data.mkdir(parents=True, exist_ok=True)
    claim_region(settings.data, settings.region)  # the audit commands read the folder's region
    async with contextlib.AsyncExitStack() as stack:
        lease = relay_lease(settings)  # PostgreSQL: processes share the store, one relays
        if is_sqlite(settings.store):  # one hub per SQLite store (or the workers of its pool)
            stack.enter_context(sole_writer(settings.data, pool_parent=settings.pool_parent))
        ledger = await asyncio.to_thread(build_ledger, settings)
        stack.callback(ledger.close)
        # hub.adapters.readmodels: credentials, rights and consents in memory (the one read
        # of history is here)
        read_models = await asyncio.to_thread(models_of, ledger)
        region, startup = await _build(stack, settings, services, registry, subscriptions,
                                       ledger, lease, document_policies)
        stack.push_async_callback(region.supervisor.stop)  # before projections.close runs
        # Every process keeps its own in-memory read models current (others' writes in <= 1 s).
        region.supervisor.start(read_models.follower().run(region.supervisor.stopping),
                                name="read-models")
        _start_work(region, startup, lease)
        await _start_federation(stack, region)
        region.notifier = await _notifier(stack, region, startup.notify)
        if ingest:  # worker processes, only when [[ingest]] sources are declared
            region.ingest = await stack.enter_async_context(
                running_ingest(settings, ingest, region.nats_url, registry=registry))
        yield region


@dataclass(frozen=True)
class _Startup:
    """What starting the region's work needs beyond its parts."""

    reliability: Reliability  # the dead-letter publisher and its advisory consumer
    region_nats: RegionNats  # the embedded server (if any), whose users follow the ledger
    notify: list[ServiceDefinition]  # one internal service per subscription


async def _build(
    stack: contextlib.AsyncExitStack, settings: HubSettings,
    services: Sequence[ServiceDefinition], registry: ContractRegistry,
    subscriptions: Sequence[Subscription], ledger: Ledger, lease: RelayLease,
    document_policies: DocumentPolicies | None = None,
) -> tuple[Region, _Startup]:
    """The region's parts over its ledger: NATS, bus, adapters, relay, gateway, worker."""
    region = settings.region
    credentials = CredentialService(ledger, region)  # hub.service_layer.security: who may call
    # hub.adapters.providers: provider secrets unsealed once, before anything else starts; a
    # missing secret or file refuses to start, naming the field
    secrets = ProviderSecrets(ledger.keyring)
    auths = await asyncio.to_thread(secrets.resolve_all, [(str(s.id), s.auth) for s in services])
    # hub.adapters.nats.accounts: the embedded server's users (from the credentials), or
    # HUB_NATS_URL
    region_nats = await open_region_nats(stack, settings, credentials.active_department_nkeys,
                                         ledger.keyring)
    auditor = Auditor.from_settings(settings)
    # runs after every writer stopped; signed by the process that held the relay lease
    stack.push_async_callback(_final_checkpoint, auditor, lease)
    bus = await _open_bus(stack, settings, region_nats)
    reliability = await prepare_reliability(bus, ledger, settings, _monitor_url(region_nats))
    # --- region links (hub.bootstrap.peers): built only when HUB_PEERS names peer regions ---
    links = RegionLinks(settings, services, registry) if settings.peers else None
    directory = links.directory if links else ServiceDirectory(region, services)
    adapters = await build_adapters(services, settings.provider_timeout_s, auths)
    notify = await _notification_adapters(settings, subscriptions, directory, registry, secrets,
                                          adapters)
    for adapter in adapters.values():
        stack.push_async_callback(adapter.aclose)
    relay = OutboxRelay(ledger, bus, directory, poll_s=settings.relay_poll_s,
                        inline_grace_s=inline_grace_s(settings.provider_timeout_s))
    # A standby's accepted exchanges wake the lease holder's relay (hub.adapters.nats.relay_wake).
    wake_relay = RelayWakeup(relay.wake, bus, region, lease)
    await wake_relay.listen()
    inbox = await bus.open_inbox(f"_hub.{region}.reply.{uuid.uuid4().hex[:12]}")
    policy = access_policy(ledger, region)  # deny by default (hub.service_layer.security)
    retention = RetentionEnforcer(ledger, ledger.keyring, clock=utc_now)
    # the region's bucket and documents (hub.bootstrap.documents); deliveries carry them, and
    # retention's passes delete the documents of the scopes they expire
    documents = await stack.enter_async_context(running_documents(
        settings, ledger, directory, policy, document_policies or DocumentPolicies(
            default=DocumentPolicy(max_bytes=settings.document_max_bytes)),
        nats_url=region_nats.url, nats_auth=region_nats.auth, retention=retention))
    worker = DeliveryWorker(
        ledger, bus, links.adapters(adapters) if links else adapters,
        max_deliver=settings.max_deliver, backoff_s=settings.retry_backoff_s, policy=policy,
        directory=directory, dead_letters=reliability.dead_letters,
        attachments=lambda exchange: ExchangeDocuments.of(documents.documents, exchange),
        inline=settings.inline_delivery,
    )
    # Queries this process accepts for its own providers it delivers itself
    # (hub.service_layer.exchanges.inline); the rest go through the relay and the queue.
    gateway = Gateway(ledger, directory, registry, inbox, wake_relay,
                      reply_timeout_s=settings.reply_timeout_s, policy=policy, deliverer=worker)
    # The access watch follows with the projections; what it finds is recorded and acted on.
    anomalies = AccessAnomalies(ledger, credentials, region)
    watch = AccessWatch(watch_policies(services), anomalies)
    projections = await asyncio.to_thread(live_projections, ledger, settings,
                                           time_limits(services), directory, watch=watch)
    stack.callback(projections.close)  # after the follower stopped (supervisor.stop runs first)
    parts = Region(
        settings=settings, registry=registry, services=services, ledger=ledger, bus=bus,
        directory=directory, gateway=gateway, relay=relay, worker=worker, wake_relay=wake_relay,
        nats_url=region_nats.url, nats_auth=region_nats.auth,
        store=describe_store(settings.store, settings.data), auditor=auditor,
        projections=projections, credentials=credentials, access=policy, anomalies=anomalies,
        supervisor=TaskSupervisor(asyncio.Event()), links=links,
        retention=retention,
        documents=documents,
    )
    return parts, _Startup(reliability, region_nats, notify)


def _monitor_url(region_nats: RegionNats) -> str | None:
    """/varz of the embedded server: the durability check reads sync_interval there."""
    return region_nats.server.monitor_url if region_nats.server else None


async def _open_bus(
    stack: contextlib.AsyncExitStack, settings: HubSettings, region_nats: RegionNats
) -> JetStreamBus:
    region = settings.region
    bus = await JetStreamBus.connect(
        region_nats.url,
        StreamSpec(
            name=f"HUB_{region.upper().replace('-', '_')}_DELIVERY",
            subjects=[f"hub.{region}.deliver.>"],
            replicas=settings.stream_replicas,
        ),
        name=f"interop-hub-{region}",
        auth=region_nats.auth,
    )
    stack.push_async_callback(bus.close)
    return bus


async def _notification_adapters(
    settings: HubSettings, subscriptions: Sequence[Subscription], directory: ServiceDirectory,
    registry: ContractRegistry, secrets: ProviderSecrets, adapters: dict[str, ProviderAdapter],
) -> list[ServiceDefinition]:
    """One internal service per subscription (hub.service_layer.notifications), its adapter
    added to ``adapters``; returns the services."""
    notify = notification_services(subscriptions, directory, registry)
    auths = await asyncio.to_thread(secrets.resolve_all, [(str(s.id), s.auth) for s in notify])
    adapters.update(await notification_adapters(notify, registry, settings.provider_timeout_s,
                                                auths))
    return notify


def _start_work(region: Region, startup: _Startup, lease: RelayLease) -> None:
    """The background tasks: the lease holder's duties, NATS users, the consumers."""
    settings, supervisor = region.settings, region.supervisor
    stop, reliability, region_nats = supervisor.stopping, startup.reliability, startup.region_nats

    async def retention(term: asyncio.Event) -> None:
        await region.retention.run(term, settings.retention_interval_s)

    # The region's single-writer duties run in the one process holding the relay lease:
    # publishing the ledger, signing checkpoints, destroying the keys of expired
    # retention buckets.
    duties = {"outbox-relay": region.relay.run,
              "audit-checkpoints": checkpoints_duty(settings, region.auditor),
              "retention": retention}
    # and notifying the portals of their cases' changes (hub.service_layer.cases.notifying)
    notifier = case_notifier(settings, region.ledger)
    if notifier is not None:
        duties["case-notifier"] = notifier.run
    supervisor.start(while_leased(lease, duties, stop, report=supervisor.record),
                     name="relay-lease")
    # Keeping the (shared) read store, by a lease of its own: the parent of `serve
    # --workers N` holds it, off the workers' event loops (hub.bootstrap.pool).
    # The lease's holder runs them in a child process (hub.bootstrap.projections_process).
    follow = projections_duty(settings, time_limits(region.services),
                              watch_policies(region.services), region.projections.follower)
    supervisor.start(while_leased(relay_lease(settings, PROJECTIONS), {"projections": follow},
                                  stop, report=supervisor.record), name="projections-lease")
    if region_nats.server is not None:  # users of the embedded server follow the ledger
        supervisor.start(region_nats.keep_users_in_step(stop, settings.nats_users_refresh_s),
                         name="nats-users")
    for department in region.directory.departments():
        spec = ConsumerSpec(
            name=f"deliver-{department}",
            subject_filter=region.directory.department_filter(department),
            max_deliver=settings.max_deliver,
            ack_wait_s=settings.ack_wait_s,
        )
        supervisor.start(region.bus.consume(spec, region.worker.handle, stop),
                         name=f"deliver-{department}")
    supervisor.start(region.bus.consume(
        reliability.advisories, reliability.dead_letters.on_advisory, stop),
        name="dead-letter-advisories")


async def _start_federation(stack: contextlib.AsyncExitStack, region: Region) -> None:
    """Peers' queries, forwarding, checkpoint gossip; then attestations to and from peers."""
    links = region.links
    if links is None:
        return
    await stack.enter_async_context(links.running(  # stops before the background tasks
        region.nats_url, bus=region.bus, deliver=region.worker.handle, ledger=region.ledger,
        auditor=region.auditor, nats_auth=region.nats_auth,
    ))
    try:
        region.federation = await stack.enter_async_context(
            running_transport(region.settings, region.nats_url, region.nats_auth))
    except HubError as exc:  # the region still answers queries; records wait
        log.error("federation transport not started", error=exc.message)


async def _notifier(
    stack: contextlib.AsyncExitStack, region: Region, notify: Sequence[ServiceDefinition]
) -> Notifier:
    """Issued records to their subscribers (the issuing endpoint POST /records/{contract})."""
    settings = region.settings
    notifier = Notifier(
        region.ledger, region.directory, region.registry, notify, region.wake_relay,
        federation=region.federation.link if region.federation else None,
        inbox=await region.bus.open_inbox(f"_hub.{settings.region}.notified."
                                          f"{uuid.uuid4().hex[:12]}"),
        complete_within_s=settings.reply_timeout_s * settings.max_deliver,
    )
    stack.push_async_callback(notifier.aclose)
    return notifier


async def _final_checkpoint(auditor: Auditor, lease: RelayLease) -> None:
    """The last checkpoint, by a process that signed them (a standby leaves it to the holder)."""
    if lease.ever_held:
        await final_checkpoint(auditor)
