"""A region's hub, served: the region bootstrap builds, with its ways in around it.

:func:`run_hub` is what ``interop-hub serve``, the simulations and the tests run:
the region (:func:`hub.bootstrap.region.running_region`), then the NATS ingress
for departments' queries over NATS, then the HTTP front end (queries, records,
health, metrics, the citizen's data-use report, the operator console, the citizen API
and pages and, with peers, the links' routes). On the way out the ways in close first, so no request
arrives at a region that is stopping.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, fields, replace

import structlog
from fastapi import APIRouter, FastAPI

from contracts import ContractRegistry
from hub.bootstrap.cases import case_metrics, case_recognitions, start_cases
from hub.bootstrap.citizen import build_citizen_desk
from hub.bootstrap.documents import DocumentsRuntime, attested_documents
from hub.bootstrap.federation import answer_attester
from hub.bootstrap.long_lived import frozen_startup
from hub.bootstrap.region import Region, running_region
from hub.entrypoints.http.app import create_http_app
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.http.auth import Authenticator
from hub.entrypoints.http.cases_routes import cases_router
from hub.entrypoints.http.citizen.api import citizen_api_router
from hub.entrypoints.http.citizen.pages import (
    CitizenPages,
    citizen_pages_router,
    mount_citizen_static,
)
from hub.entrypoints.http.console.case_actions import case_actions_router
from hub.entrypoints.http.console.cases_page import NAV as CASES_NAV
from hub.entrypoints.http.console.cases_page import cases_page_router
from hub.entrypoints.http.console.pages import mount_static
from hub.entrypoints.http.console.wiring import Console, build_console
from hub.entrypoints.http.document_content_route import document_content_router
from hub.entrypoints.http.documents_routes import attested_router, documents_router
from hub.entrypoints.http.health import HealthChecks, health_router
from hub.entrypoints.http.metrics_route import metrics_router
from hub.entrypoints.http.peer_routes import peer_router
from hub.entrypoints.http.pool_listener import PoolListener
from hub.entrypoints.http.records_routes import records_router
from hub.entrypoints.http.report_routes import report_router
from hub.entrypoints.http.soap_documents import soap_documents_router
from hub.entrypoints.http.soap_step_decisions import SoapStepDecisions
from hub.entrypoints.http.tls_listener import tls_options
from hub.entrypoints.http.transparency import Transparency, transparency_router
from hub.entrypoints.nats.case_decisions import running_case_decisions
from hub.entrypoints.nats.ingress import running_nats_ingress
from hub.entrypoints.nats.peer_ingress import FederationIngress
from hub.service_layer.cases.engine import CaseEngine
from hub.service_layer.citizen.desk import CitizenDesk
from hub.service_layer.documents.policy import DocumentPolicies
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.service_layer.ingest import IngestSource
from hub.service_layer.notifications import Subscription
from hub.service_layer.operators import Permission
from hub.settings import HubSettings

log = structlog.get_logger("hub.entrypoints.serve")


@dataclass(kw_only=True)
class Hub(Region):
    """A running region hub: its parts, where it listens and its operator console."""

    http_url: str
    console: Console  # operator console and API (hub.entrypoints.http.console)
    cases: CaseEngine | None = None  # one-stop cases, when HUB_CASES names case types


@contextlib.asynccontextmanager
async def run_hub(
    settings: HubSettings,
    services: Sequence[ServiceDefinition],
    *,
    registry: ContractRegistry | None = None,
    subscriptions: Sequence[Subscription] = (),
    ingest: Sequence[IngestSource] = (),
    listener: PoolListener | None = None,
    document_policies: DocumentPolicies | None = None,
) -> AsyncIterator[Hub]:
    """Run one region's hub, served over NATS and HTTP, for the duration of the block.

    ``subscriptions`` and ``ingest``: see :func:`hub.bootstrap.region.running_region`.
    ``listener``: the listening socket shared by several hub processes (``serve
    --workers``) and this one's slot in their table of connections, served instead
    of binding ``HUB_HTTP_HOST``/``HUB_HTTP_PORT``.
    ``document_policies``: each service's door for documents (``[[documents]]`` tables);
    when None, every service gets the defaults (``HUB_DOCUMENT_MAX_BYTES``).
    """
    async with contextlib.AsyncExitStack() as stack:
        region = await stack.enter_async_context(running_region(
            settings, services, registry=registry, subscriptions=subscriptions, ingest=ingest,
            document_policies=document_policies))
        await stack.enter_async_context(running_nats_ingress(  # departments' queries over NATS
            region.nats_url, region.gateway, max_payload_bytes=settings.max_payload_bytes,
            auth=region.nats_auth))
        if region.links:  # peers' queries over the region links
            await FederationIngress(region.links.connection, region.gateway,
                                    region.links.directory.peers,
                                    answer_attester(region.federation, region.ledger)
                                    ).start()
        documents = region.documents
        if region.federation is not None:  # attested documents to and from peers
            documents = replace(documents, attested=await stack.enter_async_context(
                attested_documents(settings, documents.documents,
                                   region.federation.federation.app,
                                   nats_url=region.nats_url, nats_auth=region.nats_auth)))
        console = await asyncio.to_thread(
            build_console, settings, region.ledger, region.projections, region.auditor,
            services, region.credentials, region.wake_relay)
        cases = None if settings.cases is None else start_cases(  # hub.bootstrap.cases
            settings.cases, settings.region, region.ledger, region.gateway, region.registry,
            list(region.directory), region.supervisor,
            case_recognitions(region.federation, region.registry))
        if cases is not None:  # departments' decisions on case steps over NATS as well
            await stack.enter_async_context(running_case_decisions(
                region.nats_url, region.gateway, cases,
                max_payload_bytes=settings.max_payload_bytes, auth=region.nats_auth))
        citizen = build_citizen_desk(  # hub.service_layer.citizen
            settings, region.ledger, region.projections.data_uses,
            cases=cases.board if cases is not None else None)
        # after the server stops, before the ledger closes: the refusals counted but not
        # yet summarised are recorded
        stack.callback(citizen.record_suppressed, all_windows=True)
        app = _http_app(region, console, documents, cases, citizen)
        # What startup built lives as long as the hub (hub.bootstrap.long_lived).
        stack.enter_context(frozen_startup())
        http_url = await stack.enter_async_context(
            serve_asgi(app, host=settings.http_host, port=settings.http_port, name="hub",
                       pool=listener, tls=tls_options(settings), turn_writes=True))
        parts = {f.name: getattr(region, f.name) for f in fields(Region)}
        parts["documents"] = documents  # with the attested part, when there are peers
        hub = Hub(**parts, http_url=http_url, console=console, cases=cases)
        log.info("hub running", region=settings.region, http=http_url, nats=hub.nats_url,
                 store=hub.store)
        yield hub


def case_routers(cases: CaseEngine, console: Console, region: str) -> list[APIRouter]:
    """The cases routes, the console's cases pages and operators' retry of a failed step,
    and the public figures."""
    if console.pages is not None:
        console.pages.nav = (*console.pages.nav[:-1], CASES_NAV, *console.pages.nav[-1:])
    return [cases_router(cases),
            *([cases_page_router(console.pages, cases),
               case_actions_router(console.pages, cases)] if console.pages else []),
            transparency_router(Transparency(cases.board.figures, cases.case_types, cases.clock,
                                             region))]


def _http_app(region: Region, console: Console, documents: DocumentsRuntime,
              cases: CaseEngine | None, citizen: CitizenDesk) -> FastAPI:
    """Queries, records, health, metrics, the data-use report, the console, the links, the
    documents, and the citizen API and pages."""
    settings, gateway = region.settings, region.gateway
    assert region.notifier is not None  # running_region always starts the notifier
    health = HealthChecks(settings, region.ledger, region.auditor, region.bus.healthy,
                          supervisor=region.supervisor)
    routers = [
        health_router(health, settings.region),
        metrics_router(region.projections, case_metrics(cases) if cases is not None else None),
        records_router(region.notifier, max_payload_bytes=settings.max_payload_bytes),
        documents_router(documents.documents, documents.uploads),
        *([attested_router(documents.attested)] if documents.attested else []),
        soap_documents_router(documents.documents,
                              max_envelope_bytes=settings.max_payload_bytes),
        # a document's bytes, auditors only (hub.service_layer.documents), each read recorded
        document_content_router(
            documents.documents, authorize=console.require(Permission.DOCUMENT_BYTES),
            record=lambda reader, document_id: console.directory.record(
                reader, "document.read", document_id, "read")),
        # the citizen's data-use report (hub.service_layer.security), operators only
        report_router(region.projections.data_uses,
                      authorize=console.require(Permission.SUBJECT_REPORTS),
                      record=console.record_report_read),
        *([peer_router(gateway, region.links.directory,
                       max_payload_bytes=settings.max_payload_bytes,
                       xroad_clients=settings.xroad_clients)] if region.links else []),
        *console.routers,
        citizen_api_router(citizen),  # a person's own data, with their ID token
        citizen_pages_router(CitizenPages(citizen, settings.region)),
        *(case_routers(cases, console, settings.region) if cases is not None else []),
    ]
    return create_http_app(
        gateway,
        max_payload_bytes=settings.max_payload_bytes,
        region=settings.region,
        authenticator=Authenticator(region.credentials, gateway),
        xroad_clients=settings.xroad_clients,
        routers=routers,
        mounts=[mount_static, mount_citizen_static],
        documents=documents.documents,  # attachments at /soap
        # departments' decisions on case steps over SOAP as well
        soap_operations=[SoapStepDecisions(cases, gateway)] if cases is not None else [],
    )
