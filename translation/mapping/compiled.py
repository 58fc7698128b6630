"""Load a mapping file into a compiled mapping: both sections, ready for every message.

:func:`compile_mapping` never raises for a bad mapping: it returns the report
(``adapter check`` prints it). :func:`load_mapping` is for use: it refuses a
mapping with any error, so a hub never starts with a translation it cannot do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts import Contract, ContractRegistry, default_registry
from contracts.documents import DOCUMENT_REF
from contracts.errors import FieldIssue
from translation.mapping.errors import MappingFileError
from translation.mapping.fields import FieldPathError, resolve
from translation.mapping.frames import getter
from translation.mapping.json_plan import JsonSection, compile_json_section
from translation.mapping.json_route import JsonRoute
from translation.mapping.paths import PathError, parse_xml_path
from translation.mapping.report import Report
from translation.mapping.spec import MappingSpec, Section, SoapHeader, load_spec
from translation.mapping.wsdl_service import SoapOperation, load_operation
from translation.mapping.xml_plan import XmlSection, compile_xml_section
from translation.mapping.xml_schema_view import Decl
from translation.onboarding.report import CASE_MISMATCH
from translation.xroad_headers import XROAD_NS


@dataclass
class CompiledMapping:
    """A mapping ready for messages: its spec, both sections and what the native side is."""

    spec: MappingSpec
    report: Report
    request: XmlSection[Any] | JsonSection[Any]
    response: XmlSection[Any] | JsonSection[Any]
    soap: SoapOperation | None = None
    route: JsonRoute | None = None

    @property
    def request_contract(self) -> type[Contract]:
        return self.request.model

    @property
    def response_contract(self) -> type[Contract]:
        return self.response.model

    @property
    def name(self) -> str:
        """The department service this mapping is for (``tax/tax-clearance``)."""
        return self.spec.service

    def mismatches(self, request: Contract, response: Contract) -> tuple[FieldIssue, ...]:
        """Issues for ``[response.match]`` fields whose answer differs from the question."""
        issues = []
        for answer_field, asked_field in self.spec.response.match.items():
            answered = getter(answer_field)(response)
            asked = getter(asked_field)(request)
            if answered != asked:
                issues.append(FieldIssue(
                    path=self.response.legacy_path(answer_field),
                    reason=f"the answer is about {answered!r}, the question about {asked!r}",
                    code="mismatch", field=answer_field))
        return tuple(issues)

    def lossy_fields(self, section: str) -> set[str]:
        """Contract fields (dotted, lists as ``periods.*.x``) whose rules are declared lossy."""
        found: set[str] = set()
        _lossy(getattr(self.spec, section), "", found)
        return found


def _lossy(block: Any, prefix: str, found: set[str]) -> None:
    for rule in block.rules:
        if rule.lossy:
            found.add(prefix + rule.field)
    for inner in block.lists:
        _lossy(inner, f"{prefix}{inner.field}.*.", found)


def load_mapping(path: Path | str, *, registry: ContractRegistry | None = None,
                 wsdl: Path | None = None, catalog: Path | None = None) -> CompiledMapping:
    """Load and compile a mapping; raises :class:`MappingFileError` listing every error."""
    compiled, report = compile_mapping(path, registry=registry, wsdl=wsdl, catalog=catalog)
    report.raise_if_errors()
    if compiled is None:  # pragma: no cover - an error was reported whenever this is None
        raise MappingFileError(f"{path}: cannot be compiled")
    return compiled


def compile_mapping(path: Path | str, *, registry: ContractRegistry | None = None,
                    wsdl: Path | None = None, catalog: Path | None = None
                    ) -> tuple[CompiledMapping | None, Report]:
    """Compile what can be compiled and report every finding (errors never raise here)."""
    path = Path(path)
    report = Report(path)
    try:
        spec = load_spec(path)
    except MappingFileError as exc:
        _absorb(report, exc, path)
        return None, report
    registry = registry or default_registry()
    models = _contracts(spec, registry, report)
    if models is None:
        return None, report
    if spec.native == "soap":
        compiled = _soap(spec, models, report, wsdl, catalog)
    else:
        compiled = _json(spec, models, report)
    if compiled is not None:
        _check_match(spec, models, report)
        _check_attachments(spec, models, report)
    return compiled, report


def _check_attachments(spec: MappingSpec, models: tuple[type[Contract], type[Contract]],
                       report: Report) -> None:
    """An attachment field must be a document reference; attachments travel in SOAP 1.1."""
    for section, model in ((spec.request, models[0]), (spec.response, models[1])):
        properties = model.model_json_schema().get("properties", {})
        for rule in section.attachments:
            if not properties.get(rule.field, {}).get(DOCUMENT_REF):
                report.error(rule.key, f"{model.contract_id()} field {rule.field!r} is not a "
                             "document reference (a DocumentRef): an attachment maps to one",
                             "not-a-document-ref")


def _absorb(report: Report, exc: MappingFileError, path: Path) -> None:
    for issue in exc.issues:
        key = issue.path.removeprefix(f"{path}:")
        report.error(key, issue.reason, issue.code)
    if not exc.issues:
        report.error("$", exc.message, exc.code)


def _contracts(spec: MappingSpec, registry: ContractRegistry, report: Report
               ) -> tuple[type[Contract], type[Contract]] | None:
    found = []
    for key, name in (("mapping.request", spec.request_contract),
                      ("mapping.response", spec.response_contract)):
        try:
            found.append(registry.get(name))
        except (LookupError, ValueError) as exc:
            report.error(key, str(exc).strip("'\""), "unknown-contract")
    return (found[0], found[1]) if len(found) == 2 else None


def _soap(spec: MappingSpec, models: tuple[type[Contract], type[Contract]], report: Report,
          wsdl: Path | None, catalog: Path | None) -> CompiledMapping | None:
    head = spec.soap
    if head is None:  # load_spec reports a missing [soap]; nothing to compile then
        return None
    location = wsdl or Path(spec.resolve(head.wsdl))
    if catalog is None and head.catalog is not None:
        catalog = Path(spec.resolve(head.catalog))
    try:
        operation = load_operation(location, head.operation, service=head.service,
                                   port=head.port, catalog=catalog, lenient=head.lenient)
    except MappingFileError as exc:
        for issue in exc.issues or (FieldIssue(path="$", reason=exc.message, code=exc.code),):
            # Onboarding's advice names the scaffold's flag; a mapping file says it in [soap].
            hint = " (in a mapping file: lenient = true under [soap])" if (
                "--lenient" in issue.reason) else ""
            report.error("soap.wsdl", f"{issue.path}: {issue.reason}{hint}", issue.code)
        return None
    for warning in operation.warnings:
        report.note("soap.lenient", f"WSDL {warning}", "case-mismatch")
    for record in operation.tolerated:
        if record.code != CASE_MISMATCH:  # those are the warnings above
            report.note("soap.lenient", f"WSDL {record}", record.code)
    _check_headers(head, operation, report)
    if head.attachments is not None and operation.port.soap_version == "1.2":
        report.error("soap.attachments", "the operation is bound to SOAP 1.2; the hub sends "
                     "attachments (MTOM or SwA) in SOAP 1.1 only", "attachments-soap12")
    sections = []
    for section, model, clark in ((spec.request, models[0], operation.input_element),
                                  (spec.response, models[1], operation.output_element)):
        root = _root(section, clark, operation, head.namespaces, report)
        sections.append(compile_xml_section(section, model, root, operation.validator,
                                            head.namespaces, report))
    return CompiledMapping(spec, report, sections[0], sections[1], soap=operation)


def _check_headers(head: SoapHeader, operation: SoapOperation, report: Report) -> None:
    """The request headers the binding declares against what the hub will send."""
    bound = operation.operation.input
    parts = bound.headers if bound is not None else ()
    xroad = [p for p in parts if (p.element or "").startswith(f"{{{XROAD_NS}}}")]
    if xroad and head.xroad is None:
        names = ", ".join(f"xrd:{(p.element or '').rpartition('}')[2]}" for p in xroad)
        report.error("soap.xroad", f"the binding sends X-Road 4.0 headers ({names}) with every "
                     "request: declare [soap.xroad] client, provider and service_code so that "
                     "the hub writes them", "unwritten-header")
    elif head.xroad is not None and not xroad:
        report.note("soap.xroad", "the binding declares no X-Road 4.0 headers; the hub sends "
                    "them anyway", "undeclared-header")
    if head.xroad is not None and head.xroad.service.service_code != operation.operation.name:
        report.note("soap.xroad.service_code", f"{head.xroad.service.service_code!r} is not the "
                    f"operation's name {operation.operation.name!r}", "service-code")
    for part in parts:
        if part not in xroad:
            report.note("soap", f"the binding declares the SOAP header part {part.name!r} "
                        f"({part.element or part.type}); the hub does not write it",
                        "header-not-written")


def _root(section: Section, clark: str, operation: SoapOperation,
          namespaces: dict[str, str] | Any, report: Report) -> Decl:
    if section.element is not None:
        try:
            written = parse_xml_path(section.element, namespaces)
        except PathError as exc:
            report.error(f"{section.name}.element", str(exc), "bad-path")
        else:
            if written.steps != (clark,):
                report.error(f"{section.name}.element", f"{section.element} is not the "
                             f"operation's {section.name} element {clark}", "wrong-element")
    return Decl(operation.element(clark))


def _json(spec: MappingSpec, models: tuple[type[Contract], type[Contract]],
          report: Report) -> CompiledMapping | None:
    head = spec.json
    if head is None:  # load_spec reports a missing [json]; nothing to compile then
        return None
    route = JsonRoute(head.method, head.template)
    request = compile_json_section(spec.request, models[0], report, route=route)
    response = compile_json_section(spec.response, models[1], report)
    return CompiledMapping(spec, report, request, response, route=route)


def _check_match(spec: MappingSpec, models: tuple[type[Contract], type[Contract]],
                 report: Report) -> None:
    for answer, asked in spec.response.match.items():
        for model, name in ((models[1], answer), (models[0], asked)):
            try:
                resolve(model, name)
            except FieldPathError as exc:
                report.error(f"response.match.{answer}", f"{model.contract_id()}: {exc}",
                             "unknown-field")
