"""Checking a case type against the contracts, the services and the holiday calendars.

What :func:`check_case_type` reports (each a finding naming file, step and key):

- the application and result contracts are registered;
- every step's service is declared in one of the services files, with the step's purpose;
- ``after`` names earlier steps only, without cycles; ``recognise`` names a prerequisite
  step in another region (its record reaches this step by attestation);
- every ``[step.input]`` key is a field of the service's request contract, every required
  field of it is filled, and every source exists: an application field, a declared
  document, or a field of a prerequisite step's answer;
- every region a time limit is counted in has a holiday calendar.
"""

from __future__ import annotations

import tomllib
import types
import typing
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel

from contracts import Contract, ContractRegistry, UnknownContractError
from hub.domain.time_limit import HolidayCalendar
from hub.service_layer.cases.case_type import CaseType, Finding, Step
from hub.service_layer.exchanges.routing import ServiceDefinition

STEP_DECISION = "case.step-decision@1.0"
"""What an application step answers (acknowledged, then decided): its answer's contract."""


def field_exists(model: type[BaseModel], path: str) -> bool:
    """Whether a dotted path names a field of ``model`` (through nested models and lists)."""
    current: type[BaseModel] | None = model
    for part in path.split("."):
        if current is None or part not in current.model_fields:
            return False
        current = _nested_model(current.model_fields[part].annotation)
    return True


def _nested_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) in (
        typing.Union, list, tuple
    ):
        for argument in typing.get_args(annotation):
            found = _nested_model(argument)
            if found is not None:
                return found
    return None


def load_calendar(folder: Path, region: str) -> HolidayCalendar:
    """A region's holiday calendar, ``<folder>/<region>.toml`` (``holidays = [dates]``)."""
    with (folder / f"{region}.toml").open("rb") as handle:
        document = tomllib.load(handle)
    return HolidayCalendar(region, frozenset(document.get("holidays", [])))


def check_case_type(case_type: CaseType, registry: ContractRegistry,
                    services: Iterable[ServiceDefinition], *,
                    only_region: str | None = None) -> list[Finding]:
    """Every problem of ``case_type`` against contracts, services and calendars.

    ``only_region``: check only the steps of that region against ``services`` (a running
    hub knows its own services; another region's are checked by ``cases check`` with that
    region's services file, and at run time by the exchange itself).
    """
    by_id = {str(s.id): s for s in services}
    file = str(case_type.source)
    found: list[Finding] = []

    def problem(step: str, key: str, message: str) -> None:
        found.append(Finding(file, step, key, message))

    application = _contract(registry, case_type.application, "", "case_type.application",
                            problem)
    result = _contract(registry, case_type.result, "", "result.contract", problem)
    names = [step.name for step in case_type.steps]
    for name in {n for n in names if names.count(n) > 1}:
        problem(name, "name", "two steps have this name")
    for index, step in enumerate(case_type.steps):
        for before in step.after:
            if before not in names[:index]:
                problem(step.name, "after", f"{before!r} is not a step declared before this one")
    if result is not None:
        for name in case_type.result_steps:
            if name not in names:
                problem("", "result.steps", f"{name!r} is not a step")
    regions = {case_type.region}
    for index, step in enumerate(case_type.steps):
        regions.add(step.service.region)
        service = by_id.get(str(step.service))
        if service is None and only_region not in (None, step.service.region):
            continue
        if service is None:
            problem(step.name, "service", f"{step.service} is not in the services files "
                    f"(known: {', '.join(sorted(by_id)) or 'none'})")
            continue
        if step.purpose and step.purpose not in {p.name for p in service.purposes}:
            problem(step.name, "purpose", f"{step.service} offers no purpose {step.purpose!r}")
        if step.mode == "application" and str(service.response.contract_id()) != STEP_DECISION:
            problem(step.name, "mode", f"an application step's service answers "
                    f"{STEP_DECISION}; {step.service} answers {service.response.contract_id()}")
        earlier = set(names[:index]) & _prerequisites(case_type, step)
        _check_inputs(case_type, step, service, application, earlier, by_id, problem)
        _check_recognise(case_type, step, earlier, problem)
    for region in sorted(regions):
        if region and not (case_type.calendars / f"{region}.toml").is_file():
            problem("", "case_type.calendars",
                    f"no holiday calendar {case_type.calendars / (region + '.toml')}")
    return found


def _contract(registry: ContractRegistry, name: str, step: str, key: str,
              problem: typing.Callable[[str, str, str], None]) -> type[Contract] | None:
    if not name:
        return None
    try:
        return registry.get(name)
    except (UnknownContractError, ValueError) as exc:
        problem(step, key, str(exc))
        return None


def _prerequisites(case_type: CaseType, step: Step) -> set[str]:
    try:
        return case_type.prerequisites(step.name)
    except KeyError:  # an unknown name in ``after``, reported on its own
        return set(step.after)


def _check_inputs(case_type: CaseType, step: Step, service: ServiceDefinition,
                  application: type[Contract] | None, earlier: set[str],
                  by_id: dict[str, ServiceDefinition],
                  problem: typing.Callable[[str, str, str], None]) -> None:
    request = service.request
    for key, source in step.inputs.items():
        where = f"input.{key}"
        if key not in request.model_fields:
            problem(step.name, where, f"not a field of {request.contract_id()}")
        if source.origin == "application" and application is not None and not field_exists(
                application, source.path):
            problem(step.name, where, f"{source.path!r} is not a field of "
                    f"{application.contract_id()}")
        elif source.origin == "documents" and source.path not in case_type.documents:
            problem(step.name, where, f"no [[document]] named {source.path!r}")
        elif source.origin == "steps":
            if source.step not in earlier:
                problem(step.name, where, f"step {source.step!r} is not a prerequisite "
                        "(list it, or a step that waits for it, in 'after')")
                continue
            answer = by_id.get(str(case_type.step(source.step).service))
            if answer is not None and not field_exists(answer.response, source.path):
                problem(step.name, where, f"{source.path!r} is not a field of "
                        f"{answer.response.contract_id()}")
    for name, info in request.model_fields.items():
        if info.is_required() and name not in step.inputs:
            problem(step.name, f"input.{name}", f"required by {request.contract_id()} "
                    "but not filled")


def _check_recognise(case_type: CaseType, step: Step, earlier: set[str],
                     problem: typing.Callable[[str, str, str], None]) -> None:
    if not step.recognise:
        return
    if step.recognise not in earlier:
        problem(step.name, "recognise", f"{step.recognise!r} is not a prerequisite step")
    elif case_type.step(step.recognise).service.region == step.service.region:
        problem(step.name, "recognise", f"{step.recognise!r} runs in this step's region; "
                "recognition is for records of another region")
