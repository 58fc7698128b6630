"""Names written with stray whitespace (``name="persNo "``): found, reported, trimmed.

Hand-edited WSDLs and some generators leave spaces around a declaration's
``name``. XML Schema forbids them (a name is an NCName), and lxml refuses such a
name as a tag, so left alone they surface as ``ValueError: Invalid tag name``
far from the cause. :func:`stray_names` lists each with its ``file:line`` (strict
mode refuses with that list); :func:`trim_names` trims them in the copies that
are compiled (lenient mode, each one reported). A name that trimming cannot
make an XML name (``end[,]``) is refused in both modes (:func:`invalid_names`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from lxml import etree

from contracts.errors import FieldIssue
from translation.onboarding.wsdl import WSDL_NS, XSD_NS, where

_NAMESPACES = (XSD_NS, WSDL_NS)
# WSDL 1.1 declarations that other declarations refer to by name (input/output/fault
# names are optional).
_WSDL_NAMED = ("message", "part", "portType", "binding", "operation", "service", "port")


def _named(documents: Iterable[etree._Element]) -> Iterable[etree._Element]:
    for document in documents:
        for element in document.iter():
            if (isinstance(element.tag, str) and etree.QName(element).namespace in _NAMESPACES
                    and "name" in element.attrib):
                yield element


def stray_names(documents: Iterable[etree._Element]) -> list[FieldIssue]:
    """One issue per WSDL or schema declaration whose name has surrounding whitespace.

    ``documents`` are the documents as read (they know their file and line).
    """
    issues = []
    for element in _named(documents):
        name = element.get("name", "")
        if name != name.strip():
            kind = etree.QName(element).localname
            reason = (f"the {kind} name {name!r} has surrounding whitespace; it is read as "
                      f"{name.strip()!r}")
            issues.append(FieldIssue(path=where(element), reason=reason, code="name-whitespace"))
    return issues


def invalid_names(documents: Sequence[etree._Element]) -> list[FieldIssue]:
    """One issue per declaration whose name, trimmed, is still not an XML name (NCName)."""
    issues = []
    for element in _named(documents):
        name = element.get("name", "").strip()
        if not _is_ncname(name):
            kind = etree.QName(element).localname
            reason = (f"the {kind} name {name!r} is not an XML name (letters, digits, '.', "
                      "'-', '_'; no spaces or ':'): the provider must correct it")
            issues.append(FieldIssue(path=where(element), reason=reason, code="invalid-name"))
    for document in documents:
        for kind in _WSDL_NAMED:
            for element in document.iter(f"{{{WSDL_NS}}}{kind}"):
                if element.get("name") is None:
                    reason = f"a wsdl:{kind} has no name"
                    issues.append(FieldIssue(path=where(element), reason=reason,
                                             code="invalid-name"))
        for kind in ("element", "attribute"):
            for element in document.iter(f"{{{XSD_NS}}}{kind}"):
                if element.get("name") is None and not (element.get("ref") or "").strip():
                    reason = f"an xs:{kind} declares neither a name nor a ref"
                    issues.append(FieldIssue(path=where(element), reason=reason,
                                             code="invalid-name"))
    return issues


def _is_ncname(name: str) -> bool:
    if not name or ":" in name:
        return False
    try:
        etree.QName(name)
    except ValueError:
        return False
    return True


def trim_names(documents: Iterable[etree._Element]) -> None:
    """Trim every declaration name in ``documents`` (the copies that are compiled)."""
    for element in _named(documents):
        name = element.get("name", "")
        if name != name.strip():
            element.set("name", name.strip())
