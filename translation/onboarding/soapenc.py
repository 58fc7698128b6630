"""SOAP 1.1 encoding (``use="encoded"``) in a WSDL's schemas: the encoding schema and its arrays.

rpc/encoded services (PHP, Delphi, Axis 1) type their parts against the SOAP
encoding schema (``http://schemas.xmlsoap.org/soap/encoding/``) and declare
arrays as restrictions of ``soapenc:Array`` whose item type is only written in
a ``wsdl:arrayType`` attribute. Two things make those schemas usable:

- the encoding schema is found offline: :func:`with_standard_copies` adds a
  catalog entry pointing its URL at the copy xmlschema ships, and
  :func:`add_encoding_schema` gathers that copy when a schema imports the
  namespace without a location;
- :func:`rewrite_arrays` turns each one-dimensional array restriction into the
  plain sequence of items it stands for (``<item>`` elements of the item type,
  any number), so that the mapping engine, the scaffold and libxml2 all see the
  array's items. The SOAP encoding attributes of a message
  (``xsi:type``, ``soapenc:arrayType``) are added and removed at the wire by
  :mod:`translation.mapping.soap_encoding`.

What the hub does not support is refused by :func:`refuse_unsupported_arrays`,
naming the construct and its ``file:line``: multi-dimensional arrays
(``xsd:string[,]``), arrays of arrays (``xsd:string[][]``) and partially
transmitted arrays (``soapenc:offset``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import xmlschema
from lxml import etree

from contracts.errors import FieldIssue
from translation.onboarding.catalog import CatalogEntry, XmlCatalog
from translation.onboarding.errors import InvalidSchema
from translation.onboarding.loader import OfflineLoader, Source
from translation.onboarding.schemas import SchemaDocuments
from translation.onboarding.wsdl import WSDL_NS, XSD_NS, qname_key, where

ENCODING_NS = "http://schemas.xmlsoap.org/soap/encoding/"
ARRAY = f"{{{ENCODING_NS}}}Array"
ITEM = "item"  # what Axis, PHP and most toolkits call an array's elements
_XS = f"{{{XSD_NS}}}"
_ARRAY_TYPE = f"{{{WSDL_NS}}}arrayType"
_DIMENSIONS = re.compile(r"^(?P<type>[^\[\]]+)(?P<dims>(\[[^\]]*\])+)$")
# xmlschema's own copy of the SOAP 1.1 encoding schema (W3C notice kept in the file).
ENCODING_SCHEMA = Path(xmlschema.__file__).parent / "schemas" / "WSDL" / "soap-encoding.xsd"


@dataclass(frozen=True)
class EncodedArray:
    """A ``soapenc:Array`` restriction: its type, its items' element name and their type."""

    type: str  # Clark name of the array type
    item: str  # local name of the item elements
    item_type: str  # Clark name of the item type


def with_standard_copies(catalog: XmlCatalog | None) -> XmlCatalog:
    """``catalog`` (or none) followed by entries for the standard schemas the hub carries.

    The user's entries come first, so a catalog of one's own can still point the
    encoding schema's URL at another copy.
    """
    own = catalog or XmlCatalog((), ())
    target = ENCODING_SCHEMA.resolve().as_uri()
    standard = tuple(
        CatalogEntry("uri", "exact", url, target, "the hub's standard copies (xmlschema)")
        for url in (ENCODING_NS, ENCODING_NS.rstrip("/"))
    )
    return XmlCatalog(own.files, (*own.entries, *standard))


def add_encoding_schema(gathered: SchemaDocuments, loader: OfflineLoader) -> None:
    """Gather the encoding schema when a schema imports its namespace without a location."""
    if any(doc.get("targetNamespace") == ENCODING_NS for doc in gathered.documents):
        return
    imports = (
        child.get("namespace")
        for doc in gathered.documents
        for child in doc.iterchildren(f"{_XS}import")
    )
    if ENCODING_NS in imports:
        gathered.documents.append(loader.read(Source(ENCODING_SCHEMA.resolve(), ENCODING_NS)))


def _array_restrictions(
    schemas: Iterable[etree._Element],
) -> Iterable[tuple[etree._Element, etree._Element]]:
    """Each ``complexType`` deriving from ``soapenc:Array`` by restriction, with the restriction."""
    for schema in schemas:
        for complex_type in schema.iter(f"{_XS}complexType"):
            restriction = complex_type.find(f"{_XS}complexContent/{_XS}restriction")
            if restriction is not None and qname_key(
                restriction, restriction.get("base", "")
            ) == ARRAY:
                yield complex_type, restriction


def refuse_unsupported_arrays(schemas: Iterable[etree._Element]) -> None:
    """Raise :class:`InvalidSchema` for every array restriction the hub cannot map.

    ``schemas`` are the documents as read (they know their file and line).
    """
    issues = []
    for complex_type, restriction in _array_restrictions(schemas):
        written = _written_array_type(restriction)
        match = _DIMENSIONS.match(written.strip()) if written is not None else None
        dims = match["dims"] if match else (written or "")
        if written is not None and (match is None or dims.count("[") > 1 or "," in dims):
            kind = ("an array of arrays" if dims.count("[") > 1 else
                    "a multi-dimensional array" if "," in dims else "an unreadable array type")
            reason = (f"SOAP-encoded {kind} (complexType {complex_type.get('name')!r}, "
                      f'wsdl:arrayType="{written}") is not supported: the hub maps '
                      "one-dimensional arrays only")
            issues.append(FieldIssue(path=where(restriction), reason=reason,
                                     code="unsupported-encoding"))
        for attribute in restriction.iter(f"{_XS}attribute"):
            if qname_key(attribute, attribute.get("ref", "")) == f"{{{ENCODING_NS}}}offset":
                reason = (f"soapenc:offset in complexType {complex_type.get('name')!r} (a "
                          "partially transmitted array) is not supported: the hub maps whole "
                          "arrays only")
                issues.append(FieldIssue(path=where(attribute), reason=reason,
                                         code="unsupported-encoding"))
    if issues:
        raise InvalidSchema(f"{issues[0].path}: {issues[0].reason}", issues=tuple(issues))


def _written_array_type(restriction: etree._Element) -> str | None:
    found = _array_type_attribute(restriction)
    return None if found is None else found.get(_ARRAY_TYPE)


def _array_type_attribute(restriction: etree._Element) -> etree._Element | None:
    """The ``xs:attribute`` carrying ``wsdl:arrayType`` (its prefixes are in scope there)."""
    return next((a for a in restriction.iter(f"{_XS}attribute") if _ARRAY_TYPE in a.attrib),
                None)


def rewrite_arrays(documents: list[etree._Element]) -> dict[str, EncodedArray]:
    """Rewrite every array restriction in ``documents`` (the gathered copies) as its items.

    Returns the arrays by type. Call :func:`refuse_unsupported_arrays` first:
    what is left here is one-dimensional.
    """
    arrays: dict[str, EncodedArray] = {}
    for complex_type, restriction in list(_array_restrictions(documents)):
        schema = complex_type.getroottree().getroot()
        name = f"{{{schema.get('targetNamespace', '')}}}{complex_type.get('name', '')}"
        declared = restriction.find(f".//{_XS}element")
        if declared is not None and declared.get("name"):
            item = declared.get("name", ITEM).strip()
            item_type = qname_key(declared, declared.get("type", "xs:anyType")) if declared.get(
                "type") else f"{{{XSD_NS}}}anyType"
        else:
            item = ITEM
            attribute = _array_type_attribute(restriction)
            written = attribute.get(_ARRAY_TYPE, "") if attribute is not None else ""
            local = written.strip().partition("[")[0]
            item_type = (qname_key(attribute, local) if attribute is not None and local
                         else f"{{{XSD_NS}}}anyType")
        for child in list(complex_type):
            complex_type.remove(child)
        sequence = etree.SubElement(complex_type, f"{_XS}sequence")
        # The item type's prefix is declared on the new element: the one the WSDL wrote
        # may have been declared on an element just removed.
        qname = etree.QName(item_type)
        known = next((p for p, ns in sequence.nsmap.items() if p and ns == qname.namespace), None)
        prefix = known or "arrayitem"
        etree.SubElement(sequence, f"{_XS}element", name=item, minOccurs="0",
                         maxOccurs="unbounded", nillable="true",
                         type=f"{prefix}:{qname.localname}" if qname.namespace else qname.localname,
                         nsmap={prefix: qname.namespace} if qname.namespace and not known
                         else None)
        if complex_type.get("name"):
            arrays[name] = EncodedArray(name, item, item_type)
    return arrays
