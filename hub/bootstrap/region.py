"""The composition root: settings in, a running region hub out. Nothing is built at import.

``run_hub`` starts (in order) the ledger (it holds the credentials), the
embedded nats-server with their NATS users unless ``HUB_NATS_URL`` is set, the
bus, the provider adapters, the outbox relay, the NATS ingress, one delivery
consumer per provider department, and the HTTP front end; it stops them in
reverse order, so in-flight work settles before its dependencies go.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import structlog

from contracts import ContractRegistry, default_registry
from contracts.errors import HubError
from hub.adapters.bus.port import ConsumerSpec
from hub.adapters.nats.bus import JetStreamBus, StreamSpec
from hub.adapters.nats.relay_wake import RelayWakeup
from hub.adapters.nats.user_sync import open_region_nats
from hub.adapters.peers import RegionLinks
from hub.adapters.peers.transport import FederationTransport, running_transport
from hub.adapters.projections.live import live_projections
from hub.adapters.providers.secrets import ProviderSecrets
from hub.adapters.readmodels import models_of
from hub.adapters.store.relay_lease import RelayLease, relay_lease, while_leased
from hub.adapters.store.selection import describe_store
from hub.adapters.store.writer_lock import sole_writer
from hub.bootstrap.console import Console, build_console
from hub.bootstrap.ingest import IngestRuntime, running_ingest
from hub.bootstrap.notifications import notification_adapters, notification_services
from hub.bootstrap.privacy import build_ledger
from hub.bootstrap.reliability import prepare_reliability
from hub.bootstrap.security import access_policy
from hub.bootstrap.supervisor import TaskSupervisor
from hub.entrypoints.http.app import create_http_app
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.http.auth import Authenticator
from hub.entrypoints.http.console.pages import mount_static
from hub.entrypoints.http.health import HealthChecks, health_router
from hub.entrypoints.http.metrics_route import metrics_router
from hub.entrypoints.http.records_routes import records_router
from hub.entrypoints.http.report_routes import report_router
from hub.entrypoints.http.tls_listener import tls_options
from hub.entrypoints.nats.ingress import running_nats_ingress
from hub.errors import RoutingError
from hub.service_layer.audit import Auditor, checkpoint_periodically, claim_region, final_checkpoint
from hub.service_layer.exchanges.delivery import DeliveryWorker
from hub.service_layer.exchanges.gateway import Gateway
from hub.service_layer.exchanges.ledger import Ledger
from hub.service_layer.exchanges.relay import OutboxRelay
from hub.service_layer.exchanges.routing import ServiceDefinition, ServiceDirectory
from hub.service_layer.ingest import IngestSource
from hub.service_layer.notifications import Notifier, Subscription
from hub.service_layer.operators import Permission
from hub.service_layer.security.credentials import CredentialService
from hub.service_layer.security.decision import AccessPolicy
from hub.settings import HubSettings
from translation.errors import ProviderConfigError
from translation.mapping.json_provider import JsonMappingProvider
from translation.mapping.soap_provider import SoapMappingProvider
from translation.port import ProviderAdapter
from translation.provider_auth import NO_AUTH, ProviderAuth
from translation.xroad_example import XROAD_EXAMPLE_KINDS

log = structlog.get_logger("hub.bootstrap.region")

# factory(endpoint, call_timeout_s), plus mapping=<file> for services that declare one,
# and auth=<ProviderAuth> for services that declare how the hub proves itself to them.
AdapterFactory = Callable[..., Awaitable[ProviderAdapter]]


async def _soap_mapping(
    endpoint: str, call_timeout_s: float, mapping: str | None = None,
    auth: ProviderAuth = NO_AUTH,
) -> ProviderAdapter:
    if mapping is None:
        raise RoutingError(f"adapter kind soap-mapping needs a mapping file ({endpoint})")
    return await SoapMappingProvider.connect(mapping, endpoint, timeout=call_timeout_s,
                                             auth=auth)


async def _json_mapping(
    endpoint: str, call_timeout_s: float, mapping: str | None = None,
    auth: ProviderAuth = NO_AUTH,
) -> ProviderAdapter:
    if mapping is None:
        raise RoutingError(f"adapter kind json-mapping needs a mapping file ({endpoint})")
    return await JsonMappingProvider.connect(mapping, endpoint, timeout=call_timeout_s,
                                             auth=auth)


ADAPTER_KINDS: dict[str, AdapterFactory] = {
    "soap-mapping": _soap_mapping,
    "json-mapping": _json_mapping,
    **XROAD_EXAMPLE_KINDS,
}


@dataclass
class Hub:
    """A running region hub: where it listens and its parts, for entry points and tests."""

    settings: HubSettings
    ledger: Ledger
    bus: JetStreamBus
    directory: ServiceDirectory
    gateway: Gateway
    relay: OutboxRelay
    http_url: str
    nats_url: str
    store: str
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    links: RegionLinks | None = None  # set when the region has peers (hub.adapters.peers)
    federation: FederationTransport | None = None  # records to and from peers (with links)
    notifier: Notifier | None = None  # issued records to in-region subscribers
    console: Console | None = None  # operator console and API (hub.entrypoints.http.console)
    credentials: CredentialService | None = None  # departments' and operators' tokens
    access: AccessPolicy | None = None  # rights, purposes, consent (hub.service_layer.security)
    ingest: IngestRuntime | None = None  # durable asynchronous ingest (hub.service_layer.ingest)
    supervisor: TaskSupervisor | None = None  # background tasks, and the ones that died


AUTH_KINDS = ("soap-mapping", "json-mapping")  # adapter kinds that take provider credentials


async def build_adapters(
    services: Sequence[ServiceDefinition], call_timeout_s: float,
    auths: Mapping[str, ProviderAuth] = MappingProxyType({}),
) -> dict[str, ProviderAdapter]:
    """One provider adapter per service, by its declared adapter kind.

    ``auths``: the resolved credentials of the services that declare any
    (:meth:`hub.adapters.providers.secrets.ProviderSecrets.resolve_all`), by service id.
    """
    adapters: dict[str, ProviderAdapter] = {}
    for service in services:
        factory = ADAPTER_KINDS.get(service.adapter)
        if factory is None:
            raise RoutingError(
                f"service {service.id}: unknown adapter kind {service.adapter!r}; "
                f"known: {', '.join(sorted(ADAPTER_KINDS))}"
            )
        extra: dict[str, object] = (
            {"mapping": service.mapping} if service.mapping is not None else {})
        if str(service.id) in auths:
            if service.adapter not in AUTH_KINDS:
                raise ProviderConfigError(
                    f"service {service.id}: adapter kind {service.adapter!r} takes no tls/auth; "
                    f"only {', '.join(AUTH_KINDS)} do", field="auth")
            extra["auth"] = auths[str(service.id)]
        adapters[str(service.id)] = await factory(service.endpoint, call_timeout_s, **extra)
    return adapters


@contextlib.asynccontextmanager
async def run_hub(
    settings: HubSettings,
    services: Sequence[ServiceDefinition],
    *,
    registry: ContractRegistry | None = None,
    subscriptions: Sequence[Subscription] = (),
    ingest: Sequence[IngestSource] = (),
    listener: socket.socket | None = None,
) -> AsyncIterator[Hub]:
    """Run one region's hub for the duration of the block.

    ``subscriptions`` (``[[subscription]]`` tables, hub.service_layer.notifications) make the
    departments named receive every record of their contract issued here.
    ``ingest`` (``[[ingest]]`` tables, hub.service_layer.ingest) lets departments submit records
    asynchronously; the hub runs ``HUB_INGEST_WORKERS`` worker processes for them.
    ``listener``: a listening socket shared by several hub processes (``serve
    --workers``), served instead of binding ``HUB_HTTP_HOST``/``HUB_HTTP_PORT``.
    """
    registry = registry or default_registry()
    region = settings.region
    settings.data.mkdir(parents=True, exist_ok=True)
    claim_region(settings.data, region)  # the audit commands read the folder's region from it
    async with contextlib.AsyncExitStack() as stack:
        lease = relay_lease(settings)  # PostgreSQL: processes share the store, one relays
        if settings.store is None or settings.store.startswith("sqlite"):
            stack.enter_context(sole_writer(settings.data))  # SQLite: one hub process
        ledger = await asyncio.to_thread(build_ledger, settings)
        stack.callback(ledger.close)
        # hub.adapters.readmodels: credentials, rights and consents in memory (one read of history
        # here)
        read_models = await asyncio.to_thread(models_of, ledger)
        credentials = CredentialService(ledger, region)  # hub.service_layer.security: who may call
        # --- NATS identity (hub.adapters.nats.accounts): the embedded server's users, or
        # HUB_NATS_URL ---
        assert ledger.keyring is not None  # build_ledger always gives the ledger its keyring
        # hub.adapters.providers: provider secrets unsealed once, before anything else starts; a
        # missing secret or file refuses to start, naming the field
        provider_secrets = ProviderSecrets(ledger.keyring)
        auths = await asyncio.to_thread(provider_secrets.resolve_all,
                                        [(str(s.id), s.auth) for s in services])
        region_nats = await open_region_nats(stack, settings, credentials, ledger.keyring)
        nats_url, nats_auth = region_nats.url, region_nats.auth
        # /varz of the embedded server: the durability check reads sync_interval there
        monitor_url = region_nats.server.monitor_url if region_nats.server else None
        auditor = Auditor.from_settings(settings)
        # runs after every writer stopped; signed by the process that held the relay lease
        stack.push_async_callback(_final_checkpoint, auditor, lease)
        bus = await JetStreamBus.connect(
            nats_url,
            StreamSpec(
                name=f"HUB_{region.upper().replace('-', '_')}_DELIVERY",
                subjects=[f"hub.{region}.deliver.>"],
                replicas=settings.stream_replicas,
            ),
            name=f"interop-hub-{region}",
            auth=nats_auth,
        )
        stack.push_async_callback(bus.close)
        # --- reliability (hub.bootstrap.reliability): DLQ + advisories, durability check ---
        reliability = await prepare_reliability(bus, ledger, settings, monitor_url)
        # --- region links (hub.adapters.peers): built only when HUB_PEERS names peer regions ---
        links = RegionLinks(settings, services, registry) if settings.peers else None
        directory = links.directory if links else ServiceDirectory(region, services)
        adapters = await build_adapters(services, settings.provider_timeout_s, auths)
        # --- notifications (hub.service_layer.notifications): one internal service per subscription
        # ---
        notify = notification_services(subscriptions, directory, registry)
        notify_auths = await asyncio.to_thread(provider_secrets.resolve_all,
                                               [(str(s.id), s.auth) for s in notify])
        adapters.update(await notification_adapters(notify, registry,
                                                    settings.provider_timeout_s, notify_auths))
        # --- end notifications ---
        for adapter in adapters.values():
            stack.push_async_callback(adapter.aclose)
        relay = OutboxRelay(ledger, bus, directory, poll_s=settings.relay_poll_s)
        # A standby's accepted exchanges wake the lease holder's relay
        # (hub.adapters.nats.relay_wake).
        wake_relay = RelayWakeup(relay.wake, bus, region, lease)
        await wake_relay.listen()
        inbox = await bus.open_inbox(f"_hub.{region}.reply.{uuid.uuid4().hex[:12]}")
        policy = access_policy(ledger, region)  # deny by default (hub.service_layer.security)
        gateway = Gateway(
            ledger, directory, registry, inbox, wake_relay,
            reply_timeout_s=settings.reply_timeout_s, policy=policy,
        )
        worker = DeliveryWorker(
            ledger,
            bus,
            links.adapters(adapters) if links else adapters,
            max_deliver=settings.max_deliver,
            backoff_s=settings.retry_backoff_s,
            policy=policy,
            directory=directory,
            dead_letters=reliability.dead_letters,
        )
        stop = asyncio.Event()
        supervisor = TaskSupervisor(stop)  # /health turns 503 when one of these dies
        tasks = supervisor.tasks
        interval_s = settings.audit_checkpoint_interval_s
        # Every process keeps its own in-memory read models current (others' writes in <= 1 s).
        supervisor.start(read_models.follower().run(stop), name="read-models")

        async def checkpoints(term: asyncio.Event) -> None:
            await checkpoint_periodically(auditor, interval_s=interval_s, stop=term)

        projections = await asyncio.to_thread(live_projections, ledger, settings, services,
                                               directory)
        stack.callback(projections.close)  # after the follower stopped (supervisor.stop runs first)
        # The region's single-writer duties run in the one process holding the relay lease:
        # publishing the ledger, keeping the (shared) read store, signing checkpoints.
        duties = {"outbox-relay": relay.run, "projections": projections.follower.run,
                  "audit-checkpoints": checkpoints}
        supervisor.start(while_leased(lease, duties, stop, report=supervisor.record),
                         name="relay-lease")
        if region_nats.server is not None:  # users of the embedded server follow the ledger
            supervisor.start(region_nats.keep_users_in_step(
                stop, settings.nats_users_refresh_s), name="nats-users")
        for department in directory.departments():
            spec = ConsumerSpec(
                name=f"deliver-{department}",
                subject_filter=directory.department_filter(department),
                max_deliver=settings.max_deliver,
                ack_wait_s=settings.ack_wait_s,
            )
            supervisor.start(bus.consume(spec, worker.handle, stop), name=f"deliver-{department}")
        supervisor.start(bus.consume(
            reliability.advisories, reliability.dead_letters.on_advisory, stop),
            name="dead-letter-advisories")
        stack.push_async_callback(supervisor.stop)
        if links:  # peers' queries, forwarding to peers, checkpoint gossip; stops before tasks
            await stack.enter_async_context(links.running(
                nats_url, gateway=gateway, bus=bus, deliver=worker.handle, ledger=ledger,
                auditor=auditor, nats_auth=nats_auth,
            ))
        await stack.enter_async_context(running_nats_ingress(  # departments' queries over NATS
            nats_url, gateway, max_payload_bytes=settings.max_payload_bytes, auth=nats_auth))
        federation = None
        if links:  # attestations, revocations and receipts to and from peers
            try:
                federation = await stack.enter_async_context(running_transport(settings, nats_url,
                                                                         nats_auth))
            except HubError as exc:  # the region still answers queries; records wait
                log.error("federation transport not started", error=exc.message)
        # --- notifications: the issuing endpoint (POST /records/{contract}) ---
        notifier = Notifier(
            ledger, directory, registry, notify, wake_relay, federation=federation,
            inbox=await bus.open_inbox(f"_hub.{region}.notified.{uuid.uuid4().hex[:12]}"),
            complete_within_s=settings.reply_timeout_s * settings.max_deliver,
        )
        stack.push_async_callback(notifier.aclose)
        records = records_router(notifier, max_payload_bytes=settings.max_payload_bytes)
        # --- end notifications ---
        # --- operations: /health and the operator console (hub.entrypoints.http.console) ---
        health = HealthChecks(settings, ledger, auditor, bus.healthy, supervisor=supervisor)
        console = await asyncio.to_thread(
            build_console, settings, ledger, projections, auditor, services, credentials,
            wake_relay)
        # --- end operations ---
        app = create_http_app(
            gateway,
            max_payload_bytes=settings.max_payload_bytes,
            region=region,
            authenticator=Authenticator(credentials, gateway),
            xroad_clients=settings.xroad_clients,
            routers=[health_router(health, region), metrics_router(projections), records,
                     # the citizen's data-use report (hub.service_layer.security), operators only
                     report_router(ledger, authorize=console.require(Permission.SUBJECT_REPORTS),
                                   record=console.record_report_read),
                     *(links.routers(gateway) if links else []), *console.routers],
            mounts=[mount_static],
        )
        # What startup built (compiled mappings, schemas, read models, modules) lives as
        # long as the hub: out of the collector's sight, a full collection under load scans
        # only what queries create (2 ms instead of ~100 ms on the latency of the queries
        # in flight). Given back when the hub stops (several hubs may run in one process).
        gc.collect()
        gc.freeze()
        stack.callback(gc.unfreeze)
        http_url = await stack.enter_async_context(
            serve_asgi(app, host=settings.http_host, port=settings.http_port, name="hub",
                       sock=listener, tls=tls_options(settings))
        )
        # --- ingest (hub.service_layer.ingest): worker processes, only when [[ingest]] sources are
        # declared ---
        ingest_runtime = None
        if ingest:
            ingest_runtime = await stack.enter_async_context(
                running_ingest(settings, ingest, nats_url, registry=registry))
        # --- end ingest ---
        hub = Hub(
            settings,
            ledger,
            bus,
            directory,
            gateway,
            relay,
            http_url,
            nats_url,
            describe_store(settings.store, settings.data),
            tasks,
            links,
            federation,
            notifier,
            console,
            credentials,
            policy,
            ingest_runtime,
            supervisor,
        )
        log.info("hub running", region=region, http=http_url, nats=nats_url, store=hub.store)
        yield hub


async def _final_checkpoint(auditor: Auditor, lease: RelayLease) -> None:
    """The last checkpoint, by a process that signed them (a standby leaves it to the holder)."""
    if lease.ever_held:
        await final_checkpoint(auditor)
