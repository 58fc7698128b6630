"""The schemas of a WSDL, gathered offline and compiled with xmlschema for introspection.

Gathering is ours: inline ``xs:schema`` elements, then every ``xs:import`` /
``xs:include`` location, each resolved by the :class:`OfflineLoader` (catalog
for URLs, disk for relative paths) and parsed by the hardened parser. xmlschema
then compiles the gathered documents from memory with ``allow="none"``: every
``schemaLocation`` has been taken out of the copies it receives, so it has
nothing to open, and its own loader never runs. xmlschema is used where it is
strong (schema model, introspection), never on a per-message path.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import unquote, urlsplit

import xmlschema
from lxml import etree

from contracts.errors import FieldIssue
from translation.onboarding.errors import InvalidSchema, UnreadableDocument
from translation.onboarding.loader import OfflineLoader, Source
from translation.onboarding.references import split_clark
from translation.onboarding.wsdl import XSD_NS, Unresolved, where

_XS = f"{{{XSD_NS}}}"
_EMPTY_SCHEMA = f'<xs:schema xmlns:xs="{XSD_NS}"/>'.encode()
# Marks each compiled element with "document-index:line" (see _annotated).
_AT = "{urn:interop-hub:onboarding:source}at"


@dataclass
class SchemaDocuments:
    """Every schema document a WSDL reaches, and the imports that could not be resolved."""

    documents: list[etree._Element] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    # The document each compiled copy was made from (same index): where its lines are.
    originals: list[etree._Element] = field(default_factory=list)


def gather_schemas(
    roots: Iterable[tuple[etree._Element, Path]], loader: OfflineLoader
) -> SchemaDocuments:
    """Follow imports and includes from the inline schemas, offline; record what dangles."""
    gathered = SchemaDocuments()
    seen: set[Path] = set()
    for schema, path in roots:
        _gather(schema, Source(path), None, loader, gathered, seen)
    return gathered


def gather_one(
    schema: etree._Element, origin: Source, loader: OfflineLoader, gathered: SchemaDocuments
) -> None:
    """Add one more schema document (and what it imports) to ``gathered``."""
    _gather(schema, origin, None, loader, gathered, {Path(p) for p in gathered_paths(gathered)})


def gathered_paths(gathered: SchemaDocuments) -> set[str]:
    """The files the gathered documents were read from."""
    return {
        unquote(urlsplit(url).path)
        for doc in gathered.originals
        if (url := doc.getroottree().docinfo.URL)
    }


def _gather(
    schema: etree._Element,
    origin: Source,
    chameleon_ns: str | None,
    loader: OfflineLoader,
    gathered: SchemaDocuments,
    seen: set[Path],
) -> None:
    gathered.documents.append(_standalone(schema, chameleon_ns))
    gathered.originals.append(schema)
    own_ns = schema.get("targetNamespace") or chameleon_ns or ""
    for child in schema:
        if child.tag not in (f"{_XS}import", f"{_XS}include", f"{_XS}redefine", f"{_XS}override"):
            continue
        if child.tag in (f"{_XS}redefine", f"{_XS}override"):
            reason = f"{etree.QName(child).localname} is not supported by onboarding"
            raise InvalidSchema(
                f"{where(child)}: {reason}",
                issues=(FieldIssue(path=where(child), reason=reason, code="unsupported-schema"),),
            )
        location = child.get("schemaLocation")
        namespace = child.get("namespace", "") if child.tag == f"{_XS}import" else own_ns
        if not location:
            continue  # a namespace another gathered document (or xmlschema itself) provides
        source = loader.locate(location, origin.path, origin.url)
        if source is None:
            gathered.unresolved.append(Unresolved(location, namespace, where(child)))
            continue
        if source.path in seen:
            continue
        seen.add(source.path)
        target = _read_imported(loader, source, child)
        if target.tag != f"{_XS}schema":
            reason = f"{source} is not an XML Schema (root {target.tag})"
            raise InvalidSchema(
                reason, issues=(FieldIssue(path=where(child), reason=reason, code="not-a-schema"),)
            )
        included_ns = own_ns if child.tag == f"{_XS}include" else None
        _gather(target, source, included_ns, loader, gathered, seen)


def _read_imported(loader: OfflineLoader, source: Source, child: etree._Element) -> etree._Element:
    """Read what ``child`` (an import or include) names; an error also says where it is named."""
    try:
        return loader.read(source)
    except UnreadableDocument as exc:
        raise UnreadableDocument(
            f"{where(child)}: {etree.QName(child).localname} of {child.get('schemaLocation')}: "
            f"{exc.message}",
            issues=exc.issues,
        ) from None


def _standalone(schema: etree._Element, chameleon_ns: str | None) -> etree._Element:
    """A self-contained copy of ``schema``: inherited namespaces declared, locations removed.

    An inline schema uses prefixes declared on ``wsdl:definitions`` (also in QName
    *values*, which serialising a subtree would drop); an included schema without
    a target namespace takes the includer's ("chameleon" include).
    """
    nsmap = dict(schema.nsmap)
    attrib = dict(schema.attrib)
    if chameleon_ns and not schema.get("targetNamespace"):
        attrib["targetNamespace"] = chameleon_ns
        nsmap.setdefault(None, chameleon_ns)
    copy_ = etree.Element(schema.tag, attrib, nsmap=nsmap)
    for child in schema:
        if child.tag == f"{_XS}include":
            continue  # included documents are compiled as documents of their own
        element = copy.deepcopy(child)
        if element.tag == f"{_XS}import":
            element.attrib.pop("schemaLocation", None)
        copy_.append(element)
    return copy_


class SchemaSet:
    """Compiled schemas: global elements and types by Clark name, and what is missing."""

    def __init__(
        self, schema: xmlschema.XMLSchema10, unresolved: list[Unresolved], errors: list[str]
    ) -> None:
        self._schema = schema
        self._unresolved = {u.namespace: u for u in unresolved}
        self.errors = errors

    # Built once: the compiled maps do not change, and every part of every operation asks.
    @cached_property
    def elements(self) -> dict[str, xmlschema.XsdElement]:
        return dict(self._schema.maps.elements)

    @cached_property
    def types(self) -> dict[str, object]:
        return dict(self._schema.maps.types)

    def unresolved_import(self, key: str | None) -> Unresolved | None:
        """The unresolved import of the namespace ``key`` (Clark) lies in, if any."""
        if not key:
            return None
        return self._unresolved.get(split_clark(key)[0])

    def is_unresolved(self, key: str | None) -> bool:
        """Whether ``key`` (Clark) lies in a namespace whose import was not resolved."""
        return self.unresolved_import(key) is not None


def compile_schemas(gathered: SchemaDocuments, *, lax: bool) -> SchemaSet:
    """Compile the gathered documents; ``lax`` keeps going past references that dangle.

    Raises :class:`InvalidSchema` (xmlschema's error, translated, at its file and line).
    """
    sources = [_annotated(i, doc) for i, doc in enumerate(gathered.documents)] or [_EMPTY_SCHEMA]
    try:
        schema = _xmlschema(sources, "lax" if lax else "strict")
    except xmlschema.XMLSchemaException as exc:
        raise _compile_error(exc, gathered) from None
    except Exception as exc:
        # xmlschema's lax mode trips over some broken components (a global declaration without
        # a name: AttributeError, AssertionError); the strict build stops at the first of them
        # with an error that says where. Anything else it raises is its own fault, translated
        # all the same: the files concerned are named, never a traceback.
        located = _strict_error(sources) if lax else None
        if located is not None:
            raise _compile_error(located, gathered) from None
        failure = xmlschema.XMLSchemaException(f"the schema processor failed: {exc!r}")
        raise _compile_error(failure, gathered) from None
    errors = [str(e).strip().splitlines()[0] for e in schema.all_errors]
    return SchemaSet(schema, gathered.unresolved, errors)


def _strict_error(sources: list[bytes]) -> xmlschema.XMLSchemaException | None:
    """The located error a strict build stops at (None when it fails the same unlocated way)."""
    try:
        _xmlschema(sources, "strict")
    except xmlschema.XMLSchemaException as exc:
        return exc
    except Exception:
        return None
    return None


def _xmlschema(sources: list[bytes], validation: str) -> xmlschema.XMLSchema10:
    with warnings.catch_warnings():
        # Import warnings are expected for namespaces left unresolved on purpose.
        warnings.simplefilter("ignore")
        return xmlschema.XMLSchema10(
            sources, allow="none", defuse="always", validation=validation
        )


def _compile_error(exc: xmlschema.XMLSchemaException, gathered: SchemaDocuments) -> InvalidSchema:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    place, construct = _error_place(getattr(exc, "elem", None), gathered)
    reason = f"{construct}: {first}" if construct else first
    return InvalidSchema(
        f"{place}: the WSDL's schemas do not compile: {reason}",
        issues=(FieldIssue(path=place, reason=reason[:600], code="invalid-schema"),),
    )


def _annotated(index: int, document: etree._Element) -> bytes:
    """``document`` as bytes, each XSD element marked with its document and source line.

    xmlschema parses bytes with ElementTree, which keeps no line numbers; the marks (an
    attribute in a namespace of our own, which XSD allows on any of its elements) let an
    error be placed at its file and line.
    """
    marked = copy.deepcopy(document)
    marked.set(_AT, f"{index}:")
    for element in marked.iter(f"{_XS}*"):
        if element.sourceline is not None:
            element.set(_AT, f"{index}:{element.sourceline}")
    return etree.tostring(marked)


def _error_place(elem: object, gathered: SchemaDocuments) -> tuple[str, str]:
    """``file:line`` and ``xs:tag name=...`` of the element xmlschema complained about."""
    mark = elem.get(_AT) if hasattr(elem, "get") else None
    index, _, line = (mark or "").partition(":")
    if not index.isdigit() or int(index) >= len(gathered.originals):
        files = sorted({where(o).rpartition(":")[0] for o in gathered.originals})
        return (", ".join(files) or "wsdl:types"), ""
    original = gathered.originals[int(index)]
    file, _, root_line = where(original).rpartition(":")
    tag = str(getattr(elem, "tag", "?")).rpartition("}")[2]
    name = elem.get("name") or elem.get("ref")  # type: ignore[union-attr]
    return f"{file}:{line or root_line}", f"xs:{tag} {name}" if name else f"xs:{tag}"
