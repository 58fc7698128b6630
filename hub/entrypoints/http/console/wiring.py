"""Builds the console of a running region: its queries, operator sessions, pages and API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fastapi import APIRouter, Request

from hub.adapters.projections.live import LiveProjections
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.operators import operator_directory
from hub.entrypoints.http.console.api import operator_api_router
from hub.entrypoints.http.console.auth import ConsoleAuth
from hub.entrypoints.http.console.pages import ConsolePages, console_router
from hub.entrypoints.http.console.queries import ConsoleQueries
from hub.entrypoints.http.console.subject_page import record_report_read
from hub.service_layer.audit import Auditor
from hub.service_layer.exchanges.routing import ServiceDefinition, time_limits
from hub.service_layer.federation.reconciliation.report import Report
from hub.service_layer.operators import ActiveSession, OperatorDirectory, Permission
from hub.service_layer.security.credentials import CredentialService
from hub.settings import HubSettings


@dataclass
class Console:
    """The console's parts: its routers, the operator directory and the shared queries."""

    routers: list[APIRouter]
    directory: OperatorDirectory
    queries: ConsoleQueries
    auth: ConsoleAuth
    pages: ConsolePages | None = None  # for pages of parts built later (e.g. cases)

    def require(self, permission: Permission) -> Callable[[Request], Awaitable[ActiveSession]]:
        """A dependency for other routers: an operator whose role grants ``permission``."""
        return self.auth.require(permission)

    def record_report_read(self, reader: ActiveSession, subject_ref: str, uses: int) -> None:
        """Keep an operator's reading of a subject's data-use report as an operator action."""
        record_report_read(self.directory, reader, subject_ref, uses)


def build_console(
    settings: HubSettings,
    ledger: Ledger,
    projections: LiveProjections,
    auditor: Auditor,
    services: Sequence[ServiceDefinition],
    credentials: CredentialService | None = None,
    wake_relay: Callable[[], None] | None = None,
) -> Console:
    """Queries, operator directory, session checks, pages and API of one hub."""
    directory = operator_directory(settings, ledger)
    queries = ConsoleQueries(settings, ledger, projections, auditor, time_limits(services),
                             peers=tuple(settings.peers),
                             reconcile_with=_online(settings) if settings.peers else None,
                             wake_relay=wake_relay)
    auth = ConsoleAuth(directory, directory.secrets, credentials)
    pages = ConsolePages(queries, directory, auth)
    return Console([console_router(pages), operator_api_router(queries, directory, auth)],
                   directory, queries, auth, pages)


def _online(settings: HubSettings):  # type: ignore[no-untyped-def]
    def reconcile_with(peer: str) -> Report:
        from hub.service_layer.federation.reconciliation.online import reconcile_online

        return reconcile_online(settings, peer).final

    return reconcile_with
