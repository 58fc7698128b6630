"""Schemas that use a namespace they never ``xs:import``: refused precisely, or supplied.

XSD requires an ``xs:import`` for every foreign namespace a schema refers to
(``type="b:Person"``). Real WSDLs often omit it, relying on another schema of the
same WSDL that declares the namespace, or on processors that are lax about it.
Strict onboarding refuses such a schema with an error naming the prefix, the
namespace, the file and line of the reference and where the namespace is
declared. Lenient onboarding adds the missing import (to the compiled copy,
never to the file), from another schema of the WSDL or else from the XML
catalog, and records each one it added; a namespace found nowhere is always
an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from contracts.errors import FieldIssue
from translation.onboarding.errors import InvalidSchema
from translation.onboarding.loader import OfflineLoader, Source
from translation.onboarding.report import MISSING_IMPORT, ToleranceLog, Tolerated
from translation.onboarding.schemas import SchemaDocuments, gather_one
from translation.onboarding.wsdl import XSD_NS, where

_XS = f"{{{XSD_NS}}}"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# Attributes of XSD elements whose value is a QName (or a list of them).
_QNAME_ATTRIBUTES = ("type", "ref", "base", "itemType", "memberTypes", "substitutionGroup", "refer")


@dataclass(frozen=True)
class MissingImport:
    """One reference to a namespace its schema does not import."""

    index: int  # of the schema document in the gathered documents
    prefix: str
    namespace: str
    element: etree._Element  # the referring element, in its original document

    @property
    def construct(self) -> str:
        written = " ".join(
            f"{a}={self.element.get(a)}" for a in _QNAME_ATTRIBUTES if self.element.get(a)
        )
        return f"xs:{etree.QName(self.element).localname} {written}".strip()


def find_missing_imports(gathered: SchemaDocuments) -> list[MissingImport]:
    """Every reference, in every gathered schema, to a namespace that schema never imports."""
    found = []
    for index, schema in enumerate(gathered.originals):
        own = gathered.documents[index].get("targetNamespace", "")
        imported = {
            child.get("namespace", "") for child in schema if child.tag == f"{_XS}import"
        }
        allowed = {own, XSD_NS, XML_NS, *imported}
        for element in schema.iter(f"{_XS}*"):
            for prefix, namespace in _references(element):
                if namespace not in allowed:
                    found.append(MissingImport(index, prefix, namespace, element))
    return found


def supply_missing_imports(
    gathered: SchemaDocuments, loader: OfflineLoader, *, lenient: bool, log: ToleranceLog
) -> None:
    """Add the imports a schema omits (lenient) or raise :class:`InvalidSchema` naming them."""
    missing = find_missing_imports(gathered)
    if not missing:
        return
    providers = _providers(gathered)
    unfound = [m for m in missing if m.namespace not in providers]
    if lenient:
        unfound = [m for m in unfound if not _from_catalog(m.namespace, gathered, loader)]
        providers = _providers(gathered)
    if unfound:
        raise _nowhere(unfound)
    if not lenient:
        raise _not_imported(missing, providers)
    added: set[tuple[int, str]] = set()
    for item in missing:
        if (item.index, item.namespace) not in added:
            added.add((item.index, item.namespace))
            # An import must precede every declaration: it goes first.
            document = gathered.documents[item.index]
            document.insert(0, etree.Element(f"{_XS}import", namespace=item.namespace))
        log.add(
            Tolerated.at(
                item.element,
                MISSING_IMPORT,
                f"{item.construct} (prefix {item.prefix}: namespace {item.namespace})",
                f"imported {item.namespace} from the schema at {providers[item.namespace]}",
            )
        )


def _references(element: etree._Element) -> list[tuple[str, str]]:
    out = []
    for attribute in _QNAME_ATTRIBUTES:
        for text in (element.get(attribute) or "").split():
            prefix, sep, _ = text.rpartition(":")
            namespace = element.nsmap.get(prefix if sep else None)
            if namespace:  # an undeclared prefix or no namespace: not an import matter
                out.append((prefix, namespace))
    return out


def _providers(gathered: SchemaDocuments) -> dict[str, str]:
    """namespace → ``file:line`` of the first gathered schema declaring it as its target."""
    providers: dict[str, str] = {}
    for copy_, original in zip(gathered.documents, gathered.originals, strict=True):
        providers.setdefault(copy_.get("targetNamespace", ""), where(original))
    return providers


def _from_catalog(namespace: str, gathered: SchemaDocuments, loader: OfflineLoader) -> bool:
    """Gather the catalog's schema for ``namespace`` (the namespace name as a catalog URI)."""
    if loader.catalog is None or not namespace:
        return False
    if namespace in _providers(gathered):
        return True
    path = loader.catalog.resolve(namespace)
    if path is None:
        return False
    source = Source(path, namespace)
    root = loader.read(source)
    if root.tag != f"{_XS}schema" or root.get("targetNamespace", "") != namespace:
        return False
    gather_one(root, source, loader, gathered)
    return True


def _not_imported(missing: list[MissingImport], providers: dict[str, str]) -> InvalidSchema:
    issues = tuple(
        FieldIssue(
            path=where(m.element),
            reason=f"{m.construct} uses prefix {m.prefix} (namespace {m.namespace}), which its "
            f"schema never xs:imports; the schema at {providers[m.namespace]} declares it: add "
            f'<xs:import namespace="{m.namespace}"/> to the schema, or pass --lenient',
            code="namespace-not-imported",
        )
        for m in missing
    )
    more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
    return InvalidSchema(f"{issues[0].path}: {issues[0].reason}{more}", issues=issues)


def _nowhere(unfound: list[MissingImport]) -> InvalidSchema:
    issues = tuple(
        FieldIssue(
            path=where(m.element),
            reason=f"{m.construct} uses prefix {m.prefix} (namespace {m.namespace}), which no "
            "schema of the WSDL declares and the catalog does not map: ask the provider for "
            f"the schema of {m.namespace}, save it and add it to a catalog "
            f'(<uri name="{m.namespace}" uri="FILE.xsd"/>)',
            code="namespace-unknown",
        )
        for m in unfound
    )
    more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
    return InvalidSchema(f"{issues[0].path}: {issues[0].reason}{more}", issues=issues)
