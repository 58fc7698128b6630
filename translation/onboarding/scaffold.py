"""Onboarding a department from its WSDL: what it offers, and a mapping skeleton per operation.

:func:`describe_wsdl` reads a WSDL offline (imports by URL through the XML
catalog only), checks every reference, compiles its schemas and lists, per
port and operation, every leaf of the input and output messages.
:func:`write_skeletons` writes one TOML skeleton per operation
(:mod:`translation.onboarding.skeleton`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from contracts.errors import FieldIssue
from translation.onboarding.catalog import XmlCatalog, catalog_line
from translation.onboarding.errors import OnboardingError, UnresolvedImport
from translation.onboarding.leaves import Leaf, LeafWalker, Prefixes
from translation.onboarding.loader import OfflineLoader, Source, local_wsdl
from translation.onboarding.mime import Attachment
from translation.onboarding.namespaces import supply_missing_imports
from translation.onboarding.preparation import check_names, prepare_schemas
from translation.onboarding.references import Reference, ReferenceChecker
from translation.onboarding.report import (
    CASE_MISMATCH,
    MIME_ATTACHMENT,
    MISSING_IMPORT,
    SCHEMA_ERROR,
    TRIMMED_NAME,
    UNRESOLVED_IMPORT,
    Tolerated,
)
from translation.onboarding.rpc import is_rpc, wrapper_name
from translation.onboarding.schemas import SchemaSet, compile_schemas, gather_schemas
from translation.onboarding.soapenc import with_standard_copies
from translation.onboarding.wsdl import (
    Direction,
    Operation,
    Part,
    Port,
    Unresolved,
    bind_ports,
    read_wsdl,
)
from translation.xml_safety import XmlLimits

_IN_WARNINGS = (CASE_MISMATCH, SCHEMA_ERROR, UNRESOLVED_IMPORT, TRIMMED_NAME)


@dataclass(frozen=True)
class ScaffoldOptions:
    """How strict to be: ``lenient`` accepts case-only mismatches, ``allow_unresolved``
    scaffolds what resolves when an import by URL is not in the catalog."""

    catalog: Path | None = None
    lenient: bool = False
    allow_unresolved: bool = False
    limits: XmlLimits = field(default_factory=XmlLimits)


@dataclass(frozen=True)
class PartShape:
    """One message part as a mapping sees it: its root element and its leaves."""

    part: str
    root: str
    leaves: tuple[Leaf, ...] = ()
    unresolved: str | None = None


@dataclass(frozen=True)
class MessageShape:
    """The body and header parts of one direction of an operation."""

    message: str
    body: tuple[PartShape, ...]
    headers: tuple[PartShape, ...]
    attachments: tuple[Attachment, ...] = ()  # parts a MIME binding sends as MIME parts

    @property
    def unresolved(self) -> list[str]:
        return [f"{p.root}: {p.unresolved}" for p in (*self.body, *self.headers) if p.unresolved]


@dataclass(frozen=True)
class OperationShape:
    """One bound operation of one port, ready to be rendered as a skeleton."""

    port: Port
    operation: Operation
    input: MessageShape | None
    output: MessageShape | None

    @property
    def filename(self) -> str:
        """``service.port.operation.toml``, with anything unsafe in a file name replaced."""
        parts = (self.port.service, self.port.name, self.operation.name)
        return ".".join(re.sub(r"[^A-Za-z0-9_-]", "_", p) or "_" for p in parts) + ".toml"


@dataclass(frozen=True)
class WsdlScaffold:
    """What a WSDL offers, as the scaffold understood it, and how it got there."""

    wsdl: Path
    target_namespace: str
    operations: tuple[OperationShape, ...]
    namespaces: dict[str, str]
    warnings: tuple[str, ...]
    unresolved: tuple[Unresolved, ...]
    sources: tuple[Source, ...]
    catalog: Path | None = None  # the XML catalog the WSDL was read with
    # References resolved only because --lenient bent their letter case: a mapping of
    # this WSDL must say `lenient = true` to load it the same way.
    case_mismatches: tuple[str, ...] = ()
    # Every fault tolerated, construct skipped or import left unresolved, with a stable code
    # (what `adapter scaffold --report FILE.json` writes).
    tolerated: tuple[Tolerated, ...] = ()

    @property
    def needs_lenient(self) -> bool:
        """Whether a mapping of this WSDL must load it leniently, as this scaffold did."""
        return bool(self.case_mismatches) or any(
            t.code == MISSING_IMPORT for t in self.tolerated
        )

    @property
    def ports(self) -> list[Port]:
        seen: dict[tuple[str, str], Port] = {}
        for shape in self.operations:
            seen.setdefault((shape.port.service, shape.port.name), shape.port)
        return list(seen.values())


def describe_wsdl(location: str | Path, options: ScaffoldOptions | None = None) -> WsdlScaffold:
    """Read, check and describe a WSDL; raises an :class:`OnboardingError` naming the problem."""
    options = options or ScaffoldOptions()
    path = local_wsdl(str(location))
    catalog = XmlCatalog.load(options.catalog, options.limits) if options.catalog else None
    loader = OfflineLoader(with_standard_copies(catalog), options.limits)
    docs = read_wsdl(path, loader)
    gathered = gather_schemas(docs.schemas, loader)
    unresolved = [*docs.unresolved, *gathered.unresolved]
    if unresolved and not options.allow_unresolved:
        raise unresolved_error(unresolved, options.catalog)
    checker = ReferenceChecker(lenient=options.lenient)
    trimmed = check_names(loader, gathered, lenient=options.lenient, log=checker.tolerated)
    supply_missing_imports(gathered, loader, lenient=options.lenient, log=checker.tolerated)
    ports = bind_ports(docs, checker)
    prepare_schemas(docs, gathered, loader, ports)
    schemas = compile_schemas(gathered, lax=options.allow_unresolved)
    prefixes = Prefixes(docs.namespaces, *(d.nsmap for d in gathered.documents))
    shaper = _Shaper(schemas, prefixes, checker, docs.target_namespace)
    operations = tuple(
        OperationShape(port, op, shaper.message(op, "input"), shaper.message(op, "output"))
        for port in ports
        for op in port.operations
    )
    checker.raise_if_dangling()
    for record in _swaref_records(docs.path, operations):
        checker.tolerated.add(record)
    warnings = [*checker.warnings, *trimmed, *(f"schema: {e}" for e in schemas.errors)]
    warnings += [f"import {u.url} ({u.where}) not resolved: marked unresolved" for u in unresolved]
    for u in unresolved:
        checker.tolerated.add(_unresolved_record(u))
    for error in schemas.errors:
        checker.tolerated.add(Tolerated(SCHEMA_ERROR, "wsdl:types", None, error, "compiled lax"))
    # The faults the warnings above do not already name (skeleton headers show warnings).
    warnings += [str(t) for t in checker.tolerated if t.code not in _IN_WARNINGS]
    return WsdlScaffold(
        wsdl=docs.path,
        target_namespace=docs.target_namespace,
        operations=operations,
        namespaces=prefixes.table(),
        warnings=tuple(warnings),
        unresolved=tuple(unresolved),
        sources=tuple(loader.sources),
        catalog=options.catalog.resolve() if options.catalog else None,
        case_mismatches=tuple(checker.warnings),
        tolerated=tuple(checker.tolerated),
    )


def _swaref_records(wsdl: Path, operations: Iterable[OperationShape]) -> list[Tolerated]:
    """One record per swaRef leaf: an element whose value refers to a MIME attachment."""
    return [
        Tolerated(
            MIME_ATTACHMENT,
            wsdl.name,
            None,
            f"operation {shape.operation.name}, {leaf.path} ({leaf.type})",
            "marked as an attachment (swaRef: a cid: reference to a MIME part)",
        )
        for shape in operations
        for message in (shape.input, shape.output)
        if message is not None
        for part in message.body
        for leaf in part.leaves
        if leaf.attachment
    ]


def _unresolved_record(u: Unresolved) -> Tolerated:
    file, _, line = u.where.rpartition(":")
    return Tolerated(
        UNRESOLVED_IMPORT,
        file or u.where,
        int(line) if line.isdigit() else None,
        f"import of {u.url or '(no location)'} (namespace {u.namespace or 'none'})",
        "not resolved (--allow-unresolved): parts from it are marked unresolved",
    )


def unresolved_error(unresolved: Iterable[Unresolved], catalog: Path | None) -> UnresolvedImport:
    """One error listing every import the catalog does not map, with the line to add."""
    items = list(unresolved)
    urls = list(dict.fromkeys(u.url for u in items))
    where_catalog = f"to {catalog}" if catalog else "to an XML catalog passed with --catalog FILE"
    lines = "\n".join(f"  {catalog_line(url)}" for url in urls)
    message = (
        f"cannot resolve {', '.join(urls)} (imported at {items[0].where}): nothing is fetched "
        f"from the network. Save a local copy of each schema and add {where_catalog} "
        f'(an OASIS XML catalog, <catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog">):'
        f"\n{lines}\nor pass --allow-unresolved to scaffold what resolves."
    )
    issues = tuple(
        FieldIssue(
            path=u.where,
            reason=f"import of {u.url} (namespace {u.namespace or 'none'}) is not in the "
            f"catalog; add {catalog_line(u.url)}",
            code="unresolved-import",
        )
        for u in items
    )
    return UnresolvedImport(message, issues=issues)


class _Shaper:
    """Turns a bound direction into part shapes, resolving each part's element or type."""

    def __init__(
        self, schemas: SchemaSet, prefixes: Prefixes, checker: ReferenceChecker, tns: str
    ) -> None:
        self._schemas = schemas
        self._prefixes = prefixes
        self._checker = checker
        self._walker = LeafWalker(schemas, prefixes)
        self._tns = tns

    def message(self, operation: Operation, name: str) -> MessageShape | None:
        direction: Direction | None = getattr(operation, name)
        if direction is None:
            return None
        headers = tuple(self._part(p, operation.name) for p in direction.headers)
        if is_rpc(operation):
            # One body element, as in document style: the wrapper the rpc binding implies.
            for part in direction.body:  # each part's type is checked, as in document style
                self._declared(part, operation.name)
            wrapper = wrapper_name(operation, name, self._tns)
            part = Part(name=etree.QName(wrapper).localname, element=wrapper, type=None,
                        where=direction.where)
            return MessageShape(direction.message, (self._part(part, operation.name),), headers)
        return MessageShape(
            direction.message,
            tuple(self._part(p, operation.name) for p in direction.body),
            headers,
            direction.attachments,
        )

    def _declared(self, part: Part, operation: str) -> Any:
        """The part's element or type declaration; a dangling one goes to the checker."""
        key = part.element or part.type or ""
        shown = self._prefixes.qname(key) if key else part.name
        if self._schemas.unresolved_import(key) is not None:
            return None
        kind, table = (
            ("element", self._schemas.elements) if part.element else ("type", self._schemas.types)
        )
        context = f"operation {operation}, part {part.name}"
        return self._checker.resolve(Reference(kind, shown, key, part.where, context), table)

    def _part(self, part: Part, operation: str) -> PartShape:
        key = part.element or part.type or ""
        shown = self._prefixes.qname(key) if key else part.name
        missing = self._schemas.unresolved_import(key)
        if missing is not None:
            reason = f"its schema was not resolved (import of {missing.url} at {missing.where})"
            return PartShape(part.name, shown, unresolved=reason)
        kind = "element" if part.element else "type"
        found = self._declared(part, operation)
        if found is None:
            return PartShape(part.name, shown, unresolved=f"{kind} {shown} is not declared")
        if part.element:
            return PartShape(
                part.name, self._prefixes.qname(found.name), tuple(self._walker.element(found))
            )
        return PartShape(part.name, part.name, tuple(self._walker.typed(part.name, found)))


__all__ = [
    "MessageShape",
    "OnboardingError",
    "OperationShape",
    "PartShape",
    "ScaffoldOptions",
    "WsdlScaffold",
    "describe_wsdl",
    "unresolved_error",
]
