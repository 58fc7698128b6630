"""``interop-hub demo``: one region, two legacy departments, a scripted scenario, a summary.

North also runs a one-stop business opening (:data:`simulations.demo_case.BUSINESS_OPENING`)
and prints its timeline; the demo fails unless the case ends as scripted.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

from rich import box
from rich.console import Console
from rich.table import Table

from hub.entrypoints.serve import Hub, run_hub
from hub.service_layer.exchanges.routing import ServiceDefinition, dump_services
from hub.service_layer.exchanges.views import summaries, totals
from hub.settings import HubSettings
from simulations.consent_desk import LedgerConsentDesk, print_data_use_report
from simulations.credentials import issue_demo_tokens
from simulations.demo_by_hand import by_hand
from simulations.demo_case import BUSINESS_OPENING, CaseRun, case_region, run_case, start_case_desks
from simulations.demo_diploma import (
    DiplomaStep,
    certificate_to_registry,
    diploma_service,
    grant_diploma_rights,
    start_registry,
)
from simulations.demo_documents import certificate_used_twice
from simulations.demo_operator import demo_login
from simulations.departments import (
    DepartmentEndpoints,
    grant_demo_rights,
    region_services,
    start_departments,
)
from simulations.scenario import CONSENTING_CITIZEN, Scenario, StepResult
from translation.xroad_ids import XRoadServiceId


async def run_demo(settings: HubSettings, *, keep_running: bool, console: Console) -> int:
    """Run the demo; returns the process exit code (0 when every step met its expectation)."""
    async with contextlib.AsyncExitStack() as stack:
        endpoints = await start_departments(stack)
        registry, registry_url = await start_registry(stack)
        settings, case_services = case_region(
            settings, await start_case_desks(stack), BUSINESS_OPENING)
        services = [*demo_services(settings.region, endpoints),
                    diploma_service(settings.region, registry_url), *case_services]
        settings.data.mkdir(parents=True, exist_ok=True)
        (settings.data / "services.toml").write_text(dump_services(services))
        hub = await stack.enter_async_context(run_hub(settings, services))
        assert hub.access is not None
        await asyncio.to_thread(grant_demo_rights, hub.access, settings.region)
        await asyncio.to_thread(grant_diploma_rights, hub.access, settings.region)
        console.print(
            f"hub: {hub.http_url}  (OpenAPI {hub.http_url}/docs, WSDL {hub.http_url}/soap?wsdl)"
        )
        console.print(f"nats: {hub.nats_url}")
        console.print(f"social-security bureau (SOAP): {endpoints.social_security_wsdl}")
        console.print(f"tax bureau (JSON): {endpoints.tax_base_url}")
        console.print(f"diploma registry (SOAP, MTOM): {registry_url}")
        for service in services:
            if service.xroad is not None:
                console.print(f"X-Road: {service.xroad} is {service.id} at {hub.http_url}/soap "
                              "(map your X-Road client in HUB_XROAD_CLIENTS)")
        login = await asyncio.to_thread(demo_login, hub)
        for line in login.lines():
            console.print(line, highlight=False, soft_wrap=True)
        before = await asyncio.to_thread(lambda: sum(1 for _ in hub.ledger.exchange_ids()))
        events_before = await asyncio.to_thread(hub.ledger.recorder.max_notification_id) or 0
        tokens = await issue_demo_tokens(  # the same service `credentials issue` uses
            hub, [f"{settings.region}/tax", f"{settings.region}/social-security"])
        console.print(f"credentials: a token for each of {', '.join(sorted(tokens))}")
        desk = LedgerConsentDesk(hub.ledger, hub.access)
        results = await Scenario(
            hub.http_url, settings.region, settings.max_payload_bytes, tokens, consents=desk
        ).run()
        documents = await certificate_used_twice(hub.http_url, settings.region, tokens,
                                                 CONSENTING_CITIZEN)
        diploma = (await certificate_to_registry(
            hub, tokens, CONSENTING_CITIZEN, documents.document_id, documents.sha256,
            registry) if documents.ok
            else DiplomaStep(problem="no certificate to send"))
        case = await _business_opening(hub, tokens)
        rows = await asyncio.to_thread(lambda: list(summaries(hub.ledger))[before:])
        events = await asyncio.to_thread(hub.ledger.recorder.max_notification_id) or 0
        console.print(_steps_table(results))
        summary = totals(rows)
        console.print(_summary_table(summary, events - events_before, events, hub.store))
        for line in [*documents.lines(), *diploma.lines(), *case.lines()]:
            console.print(line, highlight=False, soft_wrap=True, markup=False)
        await asyncio.to_thread(print_data_use_report, console, hub.projections.data_uses,
                                CONSENTING_CITIZEN)
        console.print(
            f"exchanges: {summary.completed} completed, {summary.rejected} rejected, "
            f"{summary.failed} failed"
        )
        if keep_running:
            hand = await asyncio.to_thread(
                by_hand, hub.http_url, settings.region, settings.data, tokens)
            for line in hand.lines():
                console.print(line, highlight=False, soft_wrap=True, markup=False)
            console.print("running; press Ctrl-C to stop")
            await asyncio.Event().wait()
        passed = (all(r.ok for r in results) and documents.ok and diploma.ok and case.ok
                  and summary.pending == 0)
        return 0 if passed else 1
    return 1  # pragma: no cover - the block always returns


async def _business_opening(hub: Hub, tokens: dict[str, str]) -> CaseRun | _NoCase:
    """North's business opening; a demo of another region runs no case."""
    region = hub.settings.region
    if region != BUSINESS_OPENING.region:
        return _NoCase(region)
    return await run_case({region: hub}, BUSINESS_OPENING, tokens)


@dataclasses.dataclass
class _NoCase:
    region: str
    ok: bool = True

    def lines(self) -> list[str]:
        return [f"case: none (the demo's case runs in {BUSINESS_OPENING.region}, "
                f"this is {self.region})"]


def demo_services(region: str, endpoints: DepartmentEndpoints) -> list[ServiceDefinition]:
    """The demo region's services; contribution history also answers X-Road 4.0 clients
    under an X-Road service id, declared in the services.toml the demo writes."""
    xroad = XRoadServiceId.parse(
        f"{region.upper()}/GOV/1234/social-security/contribution-history/v1")
    return [dataclasses.replace(s, xroad=xroad) if s.id.service == "contribution-history"
            else s for s in region_services(region, endpoints)]


def _steps_table(results: list[StepResult]) -> Table:
    """One line per step, within 100 columns: long texts end in an ellipsis, never wrap."""
    table = Table(title="scenario", box=box.SIMPLE_HEAD, show_edge=False, collapse_padding=True)
    # Fixed widths: rich squeezes no-wrap columns to nothing when it has to shrink them.
    widths = {"step": 28, "via": 4, "to": 15, "got": 9, "detail": 28, "ms": 5}
    for column, width in widths.items():
        table.add_column(column, no_wrap=True, overflow="ellipsis", min_width=width,
                         max_width=width, justify="right" if column == "ms" else "left")
    for r in results:
        got = r.got if r.ok else f"[red]{r.got} (expected {r.expected})[/red]"
        table.add_row(r.name, r.via, r.service.split("/")[1], got,
                      r.detail, f"{r.elapsed_ms:.0f}")
    return table


def _summary_table(summary, events_this_run: int, events_total: int, store: str) -> Table:  # type: ignore[no-untyped-def]
    table = Table(title="summary", show_header=False)
    fmt = lambda v: "-" if v is None else f"{v:.1f} ms"  # noqa: E731
    table.add_row("exchanges", str(summary.total))
    table.add_row(
        "completed / rejected / failed / pending",
        f"{summary.completed} / {summary.rejected} / {summary.failed} / {summary.pending}",
    )
    table.add_row("latency p50 (completed)", fmt(summary.p50_ms))
    table.add_row("latency p95 (completed)", fmt(summary.p95_ms))
    table.add_row("events recorded", f"{events_this_run} (ledger total {events_total})")
    table.add_row("data", store)
    return table
