"""A SOAP operation as a mapping uses it: its schemas compiled twice, once per purpose.

Loading reuses onboarding's offline reader (:mod:`translation.onboarding`: local
files only, imports by URL through an OASIS XML catalog, every document through
the hardened parser, references checked), then compiles the gathered schema
documents

- with xmlschema, for introspection at load time (element order, cardinality,
  simple types and facets: what :mod:`translation.mapping.xml_plan` and
  ``adapter check`` need), and
- with libxml2 (``lxml.etree.XMLSchema``), for the per-message validation.

libxml2 is given the gathered documents from memory through a resolver that
knows nothing else, so it cannot open a file or a URL of its own accord.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from contracts.errors import FieldIssue
from translation.mapping.errors import MappingFileError
from translation.onboarding import OfflineLoader, OnboardingError, XmlCatalog
from translation.onboarding.namespaces import supply_missing_imports
from translation.onboarding.preparation import check_names, prepare_schemas
from translation.onboarding.references import ReferenceChecker
from translation.onboarding.report import Tolerated
from translation.onboarding.rpc import is_encoded, is_rpc, wrapper_name
from translation.onboarding.scaffold import unresolved_error
from translation.onboarding.schemas import SchemaSet, compile_schemas, gather_schemas
from translation.onboarding.soapenc import EncodedArray, with_standard_copies
from translation.onboarding.wsdl import Operation, Port, bind_ports, read_wsdl

XSD_NS = "http://www.w3.org/2001/XMLSchema"
_INLINE = "http://interop-hub.invalid/inline/"


@dataclass(frozen=True)
class SoapOperation:
    """One bound operation with everything the mapping engine needs from the WSDL."""

    wsdl: Path
    port: Port
    operation: Operation
    input_element: str  # Clark name of the request body element
    output_element: str  # Clark name of the response body element
    schemas: SchemaSet  # xmlschema: introspection at load time only
    validator: etree.XMLSchema  # libxml2: every message
    warnings: tuple[str, ...] = ()  # references bent by lenient loading (letter case)
    tolerated: tuple[Tolerated, ...] = ()  # every fault lenient loading got past
    # SOAP-encoded arrays by type (rpc/encoded services); the body carries SOAP encoding
    # (xsi:type, soapenc:arrayType, multiRef) when ``encoded``.
    arrays: dict[str, EncodedArray] = field(default_factory=dict)
    encoded: bool = False

    @property
    def soap_action(self) -> str:
        return self.operation.soap_action

    @property
    def address(self) -> str:
        """The ``soap:address`` written in the WSDL (often a placeholder)."""
        return self.port.address

    def element(self, clark: str) -> Any:
        """The global xmlschema element declaration named ``clark`` (KeyError if none)."""
        return self.schemas.elements[clark]


def load_operation(wsdl: Path, operation: str, *, service: str | None = None,
                   port: str | None = None, catalog: Path | None = None,
                   lenient: bool = False) -> SoapOperation:
    """Read ``wsdl`` offline and pick one operation; raises :class:`MappingFileError`.

    ``lenient`` accepts references that differ only in letter case (as
    ``adapter scaffold --lenient`` does); each is listed in ``warnings``.
    """
    try:
        loader = OfflineLoader(with_standard_copies(XmlCatalog.load(catalog) if catalog else None))
        docs = read_wsdl(wsdl, loader)
        gathered = gather_schemas(docs.schemas, loader)
        unresolved = [*docs.unresolved, *gathered.unresolved]
        if unresolved:
            raise unresolved_error(unresolved, catalog)
        checker = ReferenceChecker(lenient=lenient)
        trimmed = check_names(loader, gathered, lenient=lenient, log=checker.tolerated)
        supply_missing_imports(gathered, loader, lenient=lenient, log=checker.tolerated)
        ports = bind_ports(docs, checker)
        checker.raise_if_dangling()
        prepared = prepare_schemas(docs, gathered, loader, ports)
        schemas = compile_schemas(gathered, lax=False)
    except OnboardingError as exc:
        raise MappingFileError(f"WSDL {wsdl}: {exc.message}", issues=exc.issues) from None
    chosen_port, chosen = _choose(wsdl, ports, operation, service, port)
    return SoapOperation(
        wsdl=wsdl,
        port=chosen_port,
        operation=chosen,
        input_element=_declared(
            wsdl, schemas, _body_element(wsdl, chosen, "input", docs.target_namespace)),
        output_element=_declared(
            wsdl, schemas, _body_element(wsdl, chosen, "output", docs.target_namespace)),
        schemas=schemas,
        validator=compile_validator(gathered.documents, wsdl),
        warnings=(*checker.warnings, *trimmed),
        tolerated=tuple(checker.tolerated),
        arrays=prepared.arrays,
        encoded=is_encoded(chosen),
    )


def _choose(wsdl: Path, ports: tuple[Port, ...], operation: str, service: str | None,
            port: str | None) -> tuple[Port, Operation]:
    candidates = [
        (p, op) for p in ports for op in p.operations
        if op.name == operation and (service is None or p.service == service)
        and (port is None or p.name == port)
    ]
    # The same operation is often bound twice (SOAP 1.1 and 1.2 ports): prefer 1.1.
    candidates.sort(key=lambda pair: pair[0].soap_version != "1.1")
    if not candidates:
        offered = sorted({f"{p.service}/{p.name}/{op.name}" for p in ports for op in p.operations})
        reason = (f"no operation {operation!r}"
                  + (f" in service {service!r}" if service else "")
                  + (f" on port {port!r}" if port else "")
                  + f"; the WSDL offers: {', '.join(offered) or 'nothing'}")
        raise MappingFileError(f"WSDL {wsdl}: {reason}", issues=(
            FieldIssue(path=f"{wsdl}", reason=reason, code="unknown-operation"),))
    return candidates[0]


def _body_element(wsdl: Path, operation: Operation, direction: str, tns: str) -> str:
    io = getattr(operation, direction)
    if io is not None and is_rpc(operation):
        return wrapper_name(operation, direction, tns)
    parts = io.body if io is not None else ()
    if len(parts) != 1 or parts[0].element is None:
        reason = (f"operation {operation.name} {direction} must carry exactly one body part "
                  "declared by element (document style; rpc style maps its wrapper); "
                  "mappings do not cover "
                  f"{'a typed part in document style' if parts else 'an empty body'}")
        raise MappingFileError(f"WSDL {wsdl}: {reason}", issues=(
            FieldIssue(path=str(wsdl), reason=reason, code="unsupported-operation"),))
    return parts[0].element


def _declared(wsdl: Path, schemas: SchemaSet, element: str) -> str:
    """``element`` when the schemas declare it; a body part naming nothing is an error."""
    if element in schemas.elements:
        return element
    reason = f"the body part's element {element} is not declared by any schema of the WSDL"
    raise MappingFileError(f"WSDL {wsdl}: {reason}", issues=(
        FieldIssue(path=str(wsdl), reason=reason, code="dangling-reference"),))


class _InlineResolver(etree.Resolver):
    """Serves the gathered schema documents by synthetic URL, and nothing else."""

    def __init__(self, documents: dict[str, bytes]) -> None:
        super().__init__()
        self._documents = documents

    def resolve(self, url: str | None, pubid: str | None, context: object) -> Any:
        data = self._documents.get(url or "")
        # An empty document fails the compile: libxml2 never gets to look elsewhere.
        return self.resolve_string(data if data is not None else b"", context)


def compile_validator(documents: list[etree._Element], wsdl: Path) -> etree.XMLSchema:
    """One libxml2 schema over every gathered document (grouped by target namespace)."""
    by_namespace: dict[str, list[etree._Element]] = defaultdict(list)
    for document in documents:
        by_namespace[document.get("targetNamespace", "")].append(document)
    served: dict[str, bytes] = {}
    driver = etree.Element(f"{{{XSD_NS}}}schema", nsmap={"xs": XSD_NS})
    for index, (namespace, group) in enumerate(by_namespace.items()):
        url = f"{_INLINE}{index}.xsd"
        if len(group) == 1:
            served[url] = etree.tostring(group[0])
        else:  # several documents of one namespace (includes): a bundle includes them all
            bundle = etree.Element(f"{{{XSD_NS}}}schema", nsmap={"xs": XSD_NS})
            if namespace:
                bundle.set("targetNamespace", namespace)
            for part, document in enumerate(group):
                part_url = f"{_INLINE}{index}-{part}.xsd"
                served[part_url] = etree.tostring(document)
                etree.SubElement(bundle, f"{{{XSD_NS}}}include", schemaLocation=part_url)
            served[url] = etree.tostring(bundle)
        imported = etree.SubElement(driver, f"{{{XSD_NS}}}import", schemaLocation=url)
        if namespace:
            imported.set("namespace", namespace)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    parser.resolvers.add(_InlineResolver(served))
    try:
        root = etree.fromstring(etree.tostring(driver), parser, base_url=f"{_INLINE}driver.xsd")
        return etree.XMLSchema(root)
    except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        reason = f"libxml2 cannot compile the WSDL's schemas: {exc}"
        raise MappingFileError(f"WSDL {wsdl}: {reason}", issues=(
            FieldIssue(path=str(wsdl), reason=reason, code="invalid-schema"),)) from None
