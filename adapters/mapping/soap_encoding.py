"""SOAP 1.1 encoding on the wire (rpc/encoded): the literal body a mapping sees <-> the wire.

A mapping reads and writes an rpc/encoded body as plain XML: the wrapper
element, one unqualified accessor per part, arrays as ``<item>`` children (the
shape :mod:`adapters.onboarding.soapenc` and :mod:`adapters.onboarding.rpc`
declare). This module adds and removes what SOAP encoding puts around it:

- :func:`to_wire`: ``soap:encodingStyle`` on the wrapper, ``xsi:type`` on every
  accessor and array item whose type has a name, and ``xsi:type="soapenc:Array"``
  with ``soapenc:arrayType="ns:Type[n]"`` on arrays;
- :func:`from_wire`: references resolved (``href="#id"`` to an independent
  ``multiRef`` element, or to an element with that ``id`` in the body), the
  encoding attributes removed and array items renamed to the declared item name
  (senders call them ``item``, ``Period`` or ``string``), so that libxml2
  validates and the compiled mapping reads the result.

What the hub does not support is refused with :class:`ProviderResponseInvalid`
naming the construct and where it is: references outside the message, cyclic
references, sparse or partially transmitted arrays (``soapenc:position``,
``soapenc:offset``) and multi-dimensional arrays.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence

from lxml import etree

from adapters.errors import ProviderResponseInvalid
from adapters.mapping.xml_schema_view import Decl
from adapters.onboarding.soapenc import ENCODING_NS, EncodedArray
from adapters.soap_envelope import SOAP11_NS
from contracts.errors import FieldIssue

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
XSI_TYPE = f"{{{XSI_NS}}}type"
ENCODING_STYLE = f"{{{SOAP11_NS}}}encodingStyle"
ARRAY_TYPE = f"{{{ENCODING_NS}}}arrayType"
_ROOT = f"{{{ENCODING_NS}}}root"
_SPARSE = (f"{{{ENCODING_NS}}}offset", f"{{{ENCODING_NS}}}position")
_STRIPPED = (XSI_TYPE, ARRAY_TYPE, _ROOT, ENCODING_STYLE)
# A multiRef graph may share one value many times; its expansion is bounded.
MAX_EXPANDED = 50_000


def to_wire(element: etree._Element, root: Decl, arrays: Mapping[str, EncodedArray],
            prefixes: Mapping[str, str]) -> etree._Element:
    """The SOAP-encoded form of a validated literal body ``element`` (declared by ``root``).

    ``prefixes`` (prefix -> namespace, the mapping's) name type namespaces where they can.
    """
    typed: list[tuple[etree._Element, str, int | None]] = []
    _collect_types(element, root, arrays, typed)  # first: which namespaces need a prefix
    nsmap: dict[str | None, str] = {p: ns for p, ns in element.nsmap.items()}
    chosen: dict[str, str] = {XSD_NS: "xsd", XSI_NS: "xsi", ENCODING_NS: "soapenc",
                              SOAP11_NS: "soapenv"}
    for prefix, namespace in prefixes.items():
        chosen.setdefault(namespace, prefix)
    for _, clark, _ in typed:
        namespace = etree.QName(clark).namespace or ""
        if namespace and namespace not in chosen:
            chosen[namespace] = f"ns{len(chosen)}"
    nsmap.update({prefix: ns for ns, prefix in chosen.items() if prefix not in nsmap})
    wire = etree.Element(element.tag, dict(element.attrib), nsmap=nsmap)
    wire.text = element.text
    wire.extend(copy.deepcopy(list(element)))
    wire.set(ENCODING_STYLE, ENCODING_NS)
    typed = []
    _collect_types(wire, root, arrays, typed)
    for node, clark, count in typed:
        if count is None:
            node.set(XSI_TYPE, _qname(clark, chosen))
        else:
            node.set(XSI_TYPE, "soapenc:Array")
            node.set(ARRAY_TYPE, f"{_qname(clark, chosen)}[{count}]")
    return wire


def _qname(clark: str, chosen: Mapping[str, str]) -> str:
    qname = etree.QName(clark)
    return f"{chosen[qname.namespace]}:{qname.localname}" if qname.namespace else qname.localname


def _collect_types(parent: etree._Element, decl: Decl, arrays: Mapping[str, EncodedArray],
                   out: list[tuple[etree._Element, str, int | None]]) -> None:
    """(element, type, item count for arrays) for every typed element below ``parent``."""
    for child in parent.iterchildren(etree.Element):
        found = decl.child(str(child.tag))
        if found is None:
            continue
        type_name = getattr(found.decl.xsd_type, "name", None)
        array = arrays.get(type_name or "")
        if array is not None:
            out.append((child, array.item_type, len(child)))
        elif type_name:
            out.append((child, type_name, None))
        if not found.decl.is_leaf:
            _collect_types(child, found.decl, arrays, out)


def from_wire(body: etree._Element, independents: Sequence[etree._Element], root: Decl,
              arrays: Mapping[str, EncodedArray], label: str) -> etree._Element:
    """The literal view of a SOAP-encoded answer; raises :class:`ProviderResponseInvalid`."""
    element = copy.deepcopy(body)
    element.tag = root.name  # the answer wrapper's name is not significant in rpc style
    ids = {node.get("id"): node for node in _with_ids([element, *independents])}
    _Inliner(ids, label).inline(element, ())
    _normalise(element, root, arrays, label, f"/{root.local}")
    return element


def _with_ids(trees: Iterable[etree._Element]) -> Iterable[etree._Element]:
    for tree in trees:
        for node in tree.iter(etree.Element):
            if node.get("id") is not None:
                yield node


class _Inliner:
    """Replaces every ``href="#id"`` accessor by a copy of the value it references."""

    def __init__(self, ids: Mapping[str | None, etree._Element], label: str) -> None:
        self._ids = ids
        self._label = label
        self._expanded = 0

    def inline(self, element: etree._Element, stack: tuple[str, ...]) -> None:
        href = element.get("href")
        if href is not None:
            stack = (*stack, self._take(element, href, stack))
        for child in element.iterchildren(etree.Element):
            self.inline(child, stack)

    def _take(self, element: etree._Element, href: str, stack: tuple[str, ...]) -> str:
        where = _path(element)
        if not href.startswith("#"):
            raise _refused(self._label, where, f"href={href!r} references a value outside the "
                           "message; only references to multiRef elements in the same body "
                           "(href=\"#id\") are supported")
        key = href[1:]
        target = self._ids.get(key)
        if target is None:
            raise _refused(self._label, where, f"href={href!r} names no element with id={key!r}")
        if key in stack:
            raise _refused(self._label, where, f"href={href!r} is a cyclic reference (a value "
                           "that contains itself); the hub maps trees of values only")
        del element.attrib["href"]
        for name, value in target.attrib.items():
            if name not in ("id", _ROOT):
                element.set(name, value)
        element.text = target.text
        for child in target.iterchildren():
            element.append(copy.deepcopy(child))
        self._expanded += sum(1 for _ in target.iter())
        if self._expanded > MAX_EXPANDED:
            raise _refused(self._label, where, f"the multiRef references expand beyond "
                           f"{MAX_EXPANDED} elements")
        return key


def _normalise(parent: etree._Element, decl: Decl, arrays: Mapping[str, EncodedArray],
               label: str, where: str) -> None:
    """Remove encoding attributes; name array items as the schema declares them."""
    _strip(parent, label, where)
    type_name = getattr(decl.xsd_type, "name", None)
    array = arrays.get(type_name or "")
    for index, child in enumerate(parent.iterchildren(etree.Element)):
        if array is not None:
            child.tag = array.item
        here = f"{where}/{etree.QName(child).localname}[{index + 1}]"
        found = decl.child(str(child.tag))
        if found is not None and not found.decl.is_leaf:
            _normalise(child, found.decl, arrays, label, here)
        else:
            _strip(child, label, here)


def _strip(element: etree._Element, label: str, where: str) -> None:
    for sparse in _SPARSE:
        if sparse in element.attrib:
            raise _refused(label, where, f"soapenc:{sparse.rpartition('}')[2]} (a sparse or "
                           "partially transmitted array) is not supported")
    written = element.get(ARRAY_TYPE, "")
    if "," in written.partition("[")[2] or written.count("[") > 1:
        raise _refused(label, where, f'soapenc:arrayType="{written}" is a multi-dimensional '
                       "array or an array of arrays; the hub maps one-dimensional arrays only")
    for name in (*_STRIPPED, "id"):
        element.attrib.pop(name, None)


def _path(element: etree._Element) -> str:
    steps = [etree.QName(node).localname for node in (element, *element.iterancestors())]
    return "/" + "/".join(reversed(steps))


def _refused(label: str, where: str, reason: str) -> ProviderResponseInvalid:
    return ProviderResponseInvalid(f"{label}: the SOAP-encoded answer is refused at {where}: "
                                   f"{reason}", issues=(
        FieldIssue(path=where, reason=reason, code="unsupported-encoding"),))
