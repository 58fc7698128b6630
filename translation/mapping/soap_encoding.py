"""SOAP 1.1 encoding on the wire (rpc/encoded): the literal body a mapping sees <-> the wire.

A mapping reads and writes an rpc/encoded body as plain XML: the wrapper
element, one unqualified accessor per part, arrays as ``<item>`` children (the
shape :mod:`translation.onboarding.soapenc` and :mod:`translation.onboarding.rpc`
declare). This module adds and removes what SOAP encoding puts around it:

- :meth:`EncodedWire.to_wire`: ``soap:encodingStyle`` on the wrapper, ``xsi:type`` on every
  accessor and array item whose type has a name, and ``xsi:type="soapenc:Array"``
  with ``soapenc:arrayType="ns:Type[n]"`` on arrays;
- :meth:`EncodedWire.from_wire`: references resolved (``href="#id"`` to an independent
  ``multiRef`` element, or to an element with that ``id`` in the body), the
  encoding attributes removed and array items renamed to the declared item name
  (senders call them ``item``, ``Period`` or ``string``), so that libxml2
  validates and the compiled mapping reads the result.

What the hub does not support is refused with :class:`ProviderResponseInvalid`
naming the construct and where it is: references outside the message, cyclic
references, sparse or partially transmitted arrays (``soapenc:position``,
``soapenc:offset``) and multi-dimensional arrays.

Both directions walk a :class:`_Shape` tree compiled once from the schema
(xmlschema is never asked per message); libxml2 does the tree work (XPath for
references and ids), Python only touches the elements it changes.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from lxml import etree

from contracts.errors import FieldIssue
from translation.errors import ProviderResponseInvalid
from translation.mapping.xml_schema_view import Decl
from translation.onboarding.soapenc import ENCODING_NS, EncodedArray
from translation.soap_envelope import SOAP11_NS

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
XSI_TYPE = f"{{{XSI_NS}}}type"
ENCODING_STYLE = f"{{{SOAP11_NS}}}encodingStyle"
ARRAY_TYPE = f"{{{ENCODING_NS}}}arrayType"
_ROOT = f"{{{ENCODING_NS}}}root"
_SPARSE = (f"{{{ENCODING_NS}}}offset", f"{{{ENCODING_NS}}}position")
_STRIPPED = (XSI_TYPE, ARRAY_TYPE, _ROOT, ENCODING_STYLE)
# A multiRef graph may share one value many times; its expansion (elements copied) is bounded.
MAX_EXPANDED = 50_000


_HREFS = etree.XPath("descendant-or-self::*[@href]")
_IDS = etree.XPath("descendant-or-self::*[@id]")
_NS = {"soapenc": ENCODING_NS}
_SPARSE_ITEMS = etree.XPath("descendant-or-self::*[@soapenc:offset or @soapenc:position]",
                            namespaces=_NS)
_ARRAYS = etree.XPath("descendant-or-self::*[@soapenc:arrayType]", namespaces=_NS)


@dataclass
class _Shape:
    """What the encoding needs of one element declaration: its type and its children."""

    type_name: str | None = None
    array: EncodedArray | None = None
    children: dict[str, _Shape] = field(default_factory=dict)


def _compile(decl: Decl, arrays: Mapping[str, EncodedArray],
             seen: dict[int, _Shape]) -> _Shape:
    """The shape of ``decl`` (recursive types share one shape object)."""
    kind = decl.xsd_type
    if id(kind) in seen:
        return seen[id(kind)]
    type_name = getattr(kind, "name", None)
    shape = _Shape(type_name, arrays.get(type_name or ""))
    seen[id(kind)] = shape
    for child in decl.children:
        shape.children[child.decl.name] = _compile(child.decl, arrays, seen)
    return shape


class EncodedWire:
    """SOAP 1.1 encoding of one direction's body element (declared by ``root``)."""

    def __init__(self, root: Decl, arrays: Mapping[str, EncodedArray]) -> None:
        self._tag = root.name
        self._shape = _compile(root, arrays, {})

    # ------------------------------------------------------------ to the wire

    def to_wire(self, element: etree._Element, prefixes: Mapping[str, str]) -> etree._Element:
        """The SOAP-encoded form of a validated literal body ``element``.

        ``prefixes`` (prefix -> namespace, the mapping's) name type namespaces where
        they can; others get ``nsN``. Every prefix is declared on the wrapper.
        """
        typed: list[tuple[etree._Element, _Shape]] = []
        _typed(element, self._shape, typed)
        chosen: dict[str, str] = {XSD_NS: "xsd", XSI_NS: "xsi", ENCODING_NS: "soapenc",
                                  SOAP11_NS: "soapenv"}
        for prefix, namespace in prefixes.items():
            chosen.setdefault(namespace, prefix)
        for _, shape in typed:
            clark = shape.array.item_type if shape.array else shape.type_name or ""
            namespace = etree.QName(clark).namespace or ""
            if namespace and namespace not in chosen:
                chosen[namespace] = f"ns{len(chosen)}"
        nsmap: dict[str | None, str] = dict(element.nsmap)
        used = set(nsmap)
        nsmap.update({p: ns for ns, p in chosen.items() if p not in used})
        wire = etree.Element(element.tag, dict(element.attrib), nsmap=nsmap)
        wire.text = element.text
        wire.extend(copy.deepcopy(list(element)))
        wire.set(ENCODING_STYLE, ENCODING_NS)
        typed = []
        _typed(wire, self._shape, typed)
        for node, shape in typed:
            if shape.array is not None:
                node.set(XSI_TYPE, "soapenc:Array")
                node.set(ARRAY_TYPE, f"{_qname(shape.array.item_type, chosen)}[{len(node)}]")
            elif shape.type_name:
                node.set(XSI_TYPE, _qname(shape.type_name, chosen))
        return wire

    # ------------------------------------------------------------ from the wire

    def from_wire(self, body: etree._Element, independents: Sequence[etree._Element],
                  label: str) -> etree._Element:
        """The literal view of a SOAP-encoded answer (``body`` is changed in place).

        Raises :class:`ProviderResponseInvalid` for what the hub does not support.
        """
        body.tag = self._tag  # the answer wrapper's name is not significant in rpc style
        ids: dict[str, etree._Element] = {}
        for tree in (body, *independents):
            for node in _IDS(tree):
                ids.setdefault(node.get("id"), node)
        _inline(body, independents, ids, label)
        _refuse_unsupported(body, label)
        # libxml2 removes them tree-wide in one pass: no Python per element.
        etree.strip_attributes(body, *_STRIPPED, "id")
        _rename_items(body, self._shape)
        return body


def _typed(parent: etree._Element, shape: _Shape,
           out: list[tuple[etree._Element, _Shape]]) -> None:
    """(element, shape) for every element below ``parent`` whose type has a name."""
    for child in parent.iterchildren(etree.Element):
        found = shape.children.get(child.tag)
        if found is None:
            continue
        if found.array is not None or found.type_name:
            out.append((child, found))
        if found.children:
            _typed(child, found, out)


def _qname(clark: str, chosen: Mapping[str, str]) -> str:
    qname = etree.QName(clark)
    return f"{chosen[qname.namespace]}:{qname.localname}" if qname.namespace else qname.localname


def _inline(body: etree._Element, independents: Sequence[etree._Element],
            ids: Mapping[str, etree._Element], label: str) -> None:
    """Replace every ``href="#id"`` accessor by a copy of the value it references."""
    work: list[tuple[etree._Element, tuple[str, ...]]] = [(node, ()) for node in _HREFS(body)]
    # A value referenced once (Axis 1 writes most so) is moved, not copied.
    uses = Counter(node.get("href") for tree in (body, *independents)
                   for node in _HREFS(tree))
    expanded = 0
    while work:
        element, stack = work.pop()
        href = element.attrib.pop("href")
        if not href.startswith("#"):
            raise _refused(label, element, f"href={href!r} references a value outside the "
                           "message; only references to multiRef elements in the same body "
                           '(href="#id") are supported')
        key = href[1:]
        target = ids.get(key)
        if target is None:
            raise _refused(label, element, f"href={href!r} names no element with id={key!r}")
        if key in stack:
            raise _refused(label, element, f"href={href!r} is a cyclic reference (a value "
                           "that contains itself); the hub maps trees of values only")
        for name, value in target.attrib.items():
            if name not in ("id", _ROOT):
                element.set(name, value)
        element.text = target.text
        expanded += 1 + len(target)
        if uses[href] == 1:
            nested = [node for node in _HREFS(target) if node is not target]
            element.extend(list(target))
        else:
            copies = [copy.deepcopy(child) for child in target.iterchildren()]
            element.extend(copies)
            nested = [node for copied in copies for node in _HREFS(copied)]
        work.extend((node, (*stack, key)) for node in nested)
        if expanded > MAX_EXPANDED:
            raise _refused(label, element, f"the multiRef references expand beyond "
                           f"{MAX_EXPANDED} elements")


def _refuse_unsupported(body: etree._Element, label: str) -> None:
    for element in _SPARSE_ITEMS(body):
        sparse = "offset" if element.get(_SPARSE[0]) is not None else "position"
        raise _refused(label, element, f"soapenc:{sparse} (a sparse or partially transmitted "
                       "array) is not supported")
    for element in _ARRAYS(body):
        written = element.get(ARRAY_TYPE, "")
        if "," in written.partition("[")[2] or written.count("[") > 1:
            raise _refused(label, element, f'soapenc:arrayType="{written}" is a '
                           "multi-dimensional array or an array of arrays; the hub maps "
                           "one-dimensional arrays only")


def _rename_items(parent: etree._Element, shape: _Shape) -> None:
    """Name array items as the schema declares them (senders say item, Period, string...)."""
    array = shape.array
    for child in parent.iterchildren(etree.Element):
        if array is not None:
            child.tag = array.item
        found = shape.children.get(child.tag)
        if found is not None and found.children:
            _rename_items(child, found)


def _path(element: etree._Element) -> str:
    steps = [etree.QName(node).localname for node in (element, *element.iterancestors())]
    return "/" + "/".join(reversed(steps))


def _refused(label: str, element: etree._Element, reason: str) -> ProviderResponseInvalid:
    where = _path(element)
    return ProviderResponseInvalid(f"{label}: the SOAP-encoded answer is refused at {where}: "
                                   f"{reason}", issues=(
        FieldIssue(path=where, reason=reason, code="unsupported-encoding"),))
