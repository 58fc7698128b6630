"""One-stop cases in a running hub: the case types it runs, the engine, the overdue duty.

Built only when ``HUB_CASES`` names a folder of case-type files. Each file is checked
against the contracts and the region's services as ``interop-hub cases check`` does; a
case type with problems stops the hub from starting (with every problem named), rather
than fail a person's application later. Steps run as queries of the region's one-stop
desk, ``<region>/one-stop``, through the gateway: grant it access like any department.
A step that recognises another region's record is checked by the region's federation
(:func:`case_recognitions`); a hub without peers refuses such steps, naming why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from contracts import ContractRegistry
from hub.adapters.projections.prometheus import render_cases
from hub.adapters.readmodels.cases import CaseBoard
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.federation import FederationTransport
from hub.bootstrap.supervisor import TaskSupervisor
from hub.domain.time_limit import HolidayCalendar
from hub.service_layer.cases.case_type import CaseType, CaseTypeError, Finding, read_case_type
from hub.service_layer.cases.checking import check_case_type, load_calendar
from hub.service_layer.cases.engine import CaseEngine
from hub.service_layer.cases.figures import overdue_counts
from hub.service_layer.cases.notifying import CaseNotifier, Retries, Webhook
from hub.service_layer.cases.overdue import overdue_every, watch_overdue
from hub.service_layer.cases.recognising import (
    FederationRecognitions,
    NoFederation,
    Recognitions,
)
from hub.service_layer.cases.running import GatewayStepRunner
from hub.service_layer.exchanges.gateway import Gateway
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.settings import HubSettings, SettingsInvalidError

DESK = "one-stop"
"""The department of each region that case steps are queries of."""


def wall_clock() -> dt.datetime:
    """The production clock of the case engine."""
    return dt.datetime.now(dt.UTC)


def load_case_types(folder: Path, registry: ContractRegistry,
                    services: Sequence[ServiceDefinition], region: str) -> dict[str, CaseType]:
    """Every case type in ``folder``, by ``name@MAJOR.MINOR``; CaseTypeError lists problems.

    Steps of ``region`` are checked against its ``services``; steps in other regions are
    checked by ``interop-hub cases check`` with their region's services file.
    """
    found: dict[str, CaseType] = {}
    problems: list[Finding] = []
    for path in sorted(folder.glob("*.toml")):
        case_type, findings = read_case_type(path)
        problems += findings
        if case_type is not None and not findings:
            problems += check_case_type(case_type, registry, services, only_region=region)
            found[str(case_type.id)] = case_type
    if problems:
        raise CaseTypeError(problems)
    return found


def calendars_for(case_types: dict[str, CaseType]) -> dict[str, HolidayCalendar]:
    """The holiday calendar of every region the case types count time in."""
    calendars: dict[str, HolidayCalendar] = {}
    for kind in case_types.values():
        for region in {kind.region, *(s.service.region for s in kind.steps)}:
            calendars.setdefault(region, load_calendar(kind.calendars, region))
    return calendars


def webhooks(settings: Mapping[str, Mapping[str, str]]) -> dict[str, Webhook]:
    """The portals' webhooks of ``HUB_CASE_WEBHOOKS``; a bad one is named (not its secret)."""
    hooks: dict[str, Webhook] = {}
    for department, hook in settings.items():
        url, secret = hook.get("url", ""), hook.get("secret", "")
        extra = set(hook) - {"url", "secret"}
        if not url.startswith(("http://", "https://")) or not secret or extra:
            raise SettingsInvalidError(
                f"HUB_CASE_WEBHOOKS: {department}: needs an http(s) 'url' and a 'secret'"
                + (f" (unknown: {', '.join(sorted(extra))})" if extra else ""))
        hooks[department] = Webhook(url, secret)
    return hooks


def case_recognitions(federation: FederationTransport | None,
                      registry: ContractRegistry) -> Recognitions:
    """Recognition of peers' records for case steps: by the region's federation, if any."""
    if federation is None:
        return NoFederation()
    return FederationRecognitions(federation.link, registry)


def case_notifier(settings: HubSettings, ledger: Ledger) -> CaseNotifier | None:
    """The notifier of the portals' cases' changes (a lease holder's duty), when the hub runs
    cases and portals have webhooks."""
    if settings.cases is None or not settings.case_webhooks:
        return None
    return CaseNotifier(ledger, webhooks(settings.case_webhooks),
                        Retries(settings.case_webhook_attempts, settings.case_webhook_backoff_s),
                        clock=wall_clock)


def start_cases(folder: Path, region: str, ledger: Ledger, gateway: Gateway,
                registry: ContractRegistry, services: Sequence[ServiceDefinition],
                supervisor: TaskSupervisor, recognitions: Recognitions) -> CaseEngine:
    """The case engine of a running hub, its overdue duty started under ``supervisor``."""
    case_types = load_case_types(folder, registry, services, region)
    engine = CaseEngine(ledger, registry, case_types, calendars_for(case_types),
                        GatewayStepRunner(gateway, registry, f"{region}/{DESK}"), wall_clock,
                        CaseBoard(ledger), recognitions=recognitions)
    supervisor.start(watch_overdue(engine, supervisor.stopping,
                                   overdue_every(case_types.values())), name="case-overdue")
    return engine


def case_metrics(engine: CaseEngine) -> Callable[[], str]:
    """The cases' families of ``/metrics``: open and overdue cases, overdue steps, read
    from the counts the cases read model keeps (a scrape costs per case type and service)."""
    case_types = list(engine.case_types)
    services = sorted({str(s.service) for k in engine.case_types.values() for s in k.steps})

    def text() -> str:
        return render_cases(*overdue_counts(engine.board.open_counts(engine.clock()),
                                            case_types, services))

    return text
