"""XML frames: source paths resolved against the schema, compiled readers and writers.

Reading is where the time goes, so it is compiled with the schema in hand: when
a content model fixes a child's position (a plain sequence of single required
elements, see :attr:`Decl.positions`), the reader indexes the element children
directly instead of searching by name — safe because every message is
validated against the schema before it is read. Other children are found by
a libxml2 scan for their tag; general XPath expressions run as compiled
``lxml.etree.XPath`` objects.

Writing is :mod:`translation.mapping.xml_write`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import islice
from typing import Any

from lxml import etree

from contracts.base import Contract
from translation.mapping.builder import Source, compile_rules, report_unmapped
from translation.mapping.fields import FieldPathError, list_item
from translation.mapping.frames import Frame, ListLink, getter
from translation.mapping.paths import PathError, XmlPath, parse_xml_path
from translation.mapping.report import Report
from translation.mapping.spec import ListBlock
from translation.mapping.transforms import OMIT
from translation.mapping.xml_schema_view import Decl, simple_family
from translation.mapping.xml_write import XSI_NIL, PathNode, compile_writer, report_unwritten

_ELEMENT = etree.Element  # as a tag filter: element children only, no comments or PIs
_TEXT_FAMILIES = frozenset({"string", "any", "other"})
_TRUE = ("true", "1")


class XmlSources:
    """Resolves a frame's source paths against its context declaration (``Sources``)."""

    def __init__(self, decl: Decl, namespaces: Mapping[str, str], report: Report) -> None:
        self.decl = decl
        self.namespaces = namespaces
        self.report = report
        self.reads = PathNode(decl)
        self.writes = PathNode(decl)
        self.xpaths: list[tuple[etree.XPath, int]] = []
        self.n_slots = 0
        self.template: list[Any] = []
        self._cache: dict[str, Source] = {}
        self._uses: dict[str, list[str]] = {}

    def source(self, path: str, key: str) -> Source | None:
        path = path.strip()
        self._uses.setdefault(path, []).append(key)
        if path in self._cache:
            return self._cache[path]
        parsed = self._parse(path, key)
        if parsed is None:
            return None
        slot = self.n_slots
        self.n_slots += 1
        if parsed.xpath is not None:
            self.xpaths.append((parsed.xpath, slot))
            found = Source(slot, None, f"/{parsed.text}", None, "XPath expression")
        else:
            found = self._simple(parsed, slot, key)
        if found is not None:
            self._cache[path] = found
        return found

    def _parse(self, path: str, key: str) -> XmlPath | None:
        try:
            return parse_xml_path(path, self.namespaces)
        except PathError as exc:
            self.report.error(key, str(exc), "bad-path")
            return None

    def _simple(self, parsed: XmlPath, slot: int, key: str) -> Source | None:
        decls = self.walk(parsed, key)
        if decls is None:
            return None
        read, write = self.reads, self.writes
        for clark, decl in zip(parsed.steps, decls, strict=True):
            read, write = read.below(clark, decl), write.below(clark, decl)
        last = decls[-1] if decls else self.decl
        wslot = self.write_slot(write, parsed.attribute, OMIT)
        if parsed.attribute is not None:
            attribute = last.attribute(parsed.attribute)
            read.attributes[parsed.attribute] = slot
            family = simple_family(attribute.type)
            label = f"attribute of {last.type_name}"
            return Source(slot, wslot, f"/{parsed.local()}", family, label)
        read.text = slot
        suffix = f"/{parsed.local()}" if parsed.steps else ""
        return Source(slot, wslot, suffix, last.family, last.type_name)

    def write_slot(self, node: PathNode, attribute: str | None, initial: Any) -> int:
        wslot = len(self.template)
        self.template.append(initial)
        if attribute is None:
            node.text = wslot
        else:
            node.attributes[attribute] = wslot
        return wslot

    def walk(self, parsed: XmlPath, key: str) -> list[Decl] | None:
        """The declarations along ``parsed``'s steps; None (and an error) if one is unknown."""
        decls, current = [], self.decl
        for clark in parsed.steps:
            child = current.child(clark)
            if child is None:
                known = ", ".join(c.decl.local for c in current.children) or "no child elements"
                self.report.error(key, f"unknown source path {parsed.text!r}: "
                                  f"{current.local} has no element {clark.rpartition('}')[2]} "
                                  f"(it has: {known})", "unknown-path")
                return None
            if child.repeated:
                self.report.error(key, f"{parsed.text!r} goes through {child.decl.local}, which "
                                  "repeats: map it with a [[...list]] block", "repeated-path")
                return None
            decls.append(child.decl)
            current = child.decl
        if parsed.attribute is not None and current.attribute(parsed.attribute) is None:
            self.report.error(key, f"unknown source path {parsed.text!r}: {current.local} has no "
                              f"attribute {parsed.attribute.rpartition('}')[2]}", "unknown-path")
            return None
        return decls

    def shared_paths(self) -> Iterable[tuple[str, list[str]]]:
        """Paths written by more than one rule (a split group asks once)."""
        return ((path, keys) for path, keys in self._uses.items() if len(keys) > 1)


def compile_frame(decl: Decl, model: type[Contract], rules_key: str, rules: Any,
                  blocks: tuple[ListBlock, ...], namespaces: Mapping[str, str], report: Report,
                  constants: Mapping[str, Any] | None = None) -> Frame:
    """Compile one XML context (a section root or a list item) with its list blocks."""
    sources = XmlSources(decl, namespaces, report)
    compiled = compile_rules(rules, model, "xml", sources, report)
    for path, keys in sources.shared_paths():
        report.error(keys[-1], f"{path!r} is also mapped by {keys[0]}: one element, one rule "
                     "(use split/part for a source holding several fields)", "duplicate-path")
    for path, value in (constants or {}).items():
        _constant(sources, path, value, f"{rules_key}.constants", report)
    frame = Frame(compiled.layout, compiled.appliers, compiled.encoders, sources.n_slots,
                  sources.template)
    covered = set(compiled.covered)
    for block in blocks:
        link = _list_link(block, decl, model, compiled.layout, sources, namespaces, report)
        if link is not None:
            frame.lists.append(link)
            covered.add(block.field)
    report_unmapped(model, covered, f"{rules_key}.fields", report)
    frame.reader = _compile_reader(sources.reads, sources.xpaths)
    fields = {e.source: e.field for e in compiled.encoders}
    frame.emit = compile_writer(sources.writes, fields)
    report_unwritten(sources.writes, rules_key, report)
    return frame


def _constant(sources: XmlSources, path: str, value: Any, key: str, report: Report) -> None:
    parsed = sources._parse(path, f"{key}.{path}")
    if parsed is None:
        return
    if parsed.xpath is not None:
        report.error(f"{key}.{path}", "a constant needs a simple path (child steps, @attribute)",
                     "bad-path")
        return
    decls = sources.walk(parsed, f"{key}.{path}")
    if decls is None:
        return
    node = sources.writes
    for clark, decl in zip(parsed.steps, decls, strict=True):
        node = node.below(clark, decl)
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    sources.write_slot(node, parsed.attribute, text)


def _list_link(block: ListBlock, decl: Decl, model: type[Contract], layout: Any,
               sources: XmlSources, namespaces: Mapping[str, str], report: Report
               ) -> ListLink | None:
    try:
        item_model = list_item(model, block.field)
    except FieldPathError as exc:
        report.error(block.key, str(exc), "unknown-field")
        return None
    parsed = sources._parse(block.each, f"{block.key}.each")
    if parsed is None:
        return None
    ci, key = layout.target(block.field)
    if parsed.xpath is not None or parsed.attribute is not None or not parsed.steps:
        report.error(f"{block.key}.each", "each names repeated elements by child steps, e.g. "
                     "bur:Period or bur:Periods/bur:Period", "bad-path")
        return None
    *prefix, last = parsed.steps
    owner = sources.walk(XmlPath(text=block.each, steps=tuple(prefix)), f"{block.key}.each")
    parent = owner[-1] if owner else decl
    child = None if owner is None else parent.child(last)
    if child is None:
        if owner is not None:
            report.error(f"{block.key}.each", f"unknown source path {block.each!r}: "
                         f"{parent.local} has no element {last.rpartition('}')[2]}",
                         "unknown-path")
        return None
    if not child.repeated:
        report.note(f"{block.key}.each", f"{child.decl.local} occurs at most once in the "
                    "schema: the list holds zero or one item", "not-repeated")
    frame = compile_frame(child.decl, item_model, block.key, block.rules, block.lists,
                          namespaces, report)
    base = "".join(f"/{step.rpartition('}')[2]}" for step in parsed.steps)
    link = ListLink(
        field=block.field, ci=ci, key=key, frame=frame, items=_items(prefix, last),
        item_path=lambda where, index: f"{where}{base}[{index + 1}]", each_source=base,
        get=getter(block.field),
    )
    node = sources.writes
    for clark, step_decl in zip(prefix, owner or [], strict=True):
        node = node.below(clark, step_decl)
    node.repeats[last] = link
    return link


def _items(prefix: list[str], last: str) -> Callable[[Any], Iterable[Any]]:
    if not prefix:
        return lambda element: element.iterchildren(last)
    found = "/".join([*prefix, last])
    return lambda element: element.iterfind(found)


# ---------------------------------------------------------------- reader


def _compile_reader(node: PathNode, xpaths: list[tuple[etree.XPath, int]]
                    ) -> Callable[[Any, list[Any]], None]:
    """A function filling slots from an element, specialised for ``node``'s paths."""
    fill = _node_reader(node)
    if not xpaths:
        return fill

    def with_xpaths(element: Any, slots: list[Any]) -> None:
        fill(element, slots)
        for expression, slot in xpaths:
            value = _xpath_value(expression(element))
            if value is not None:
                slots[slot] = value

    return with_xpaths


def _xpath_value(result: Any) -> str | None:
    if isinstance(result, list):
        if not result:
            return None
        result = result[0]
    if isinstance(result, etree._Element):
        return _text(result, False)
    if isinstance(result, bool):
        return "true" if result else "false"
    text = str(result)
    return text or None  # XPath cannot tell an empty string from "nothing there"


def _text(element: Any, strip: bool) -> str:
    # A comment or PI splits text ("19<!-- -->99"); libxml2 validated the joined text.
    text = "".join(element.itertext()) if len(element) else (element.text or "")
    return text.strip() if strip else text


def _node_reader(node: PathNode) -> Callable[[Any, list[Any]], None]:
    positions = node.decl.positions
    leaves_at, leaves_tag, nodes_at, nodes_tag = [], [], [], []
    for clark, child in node.children.items():
        strip = child.decl.family not in _TEXT_FAMILIES
        only_text = child.text is not None and not child.children and not child.attributes
        where = positions.get(clark)
        if only_text:
            (leaves_at if where is not None else leaves_tag).append(
                (clark if where is None else where, child.text, strip, child.decl.nillable))
        else:
            (nodes_at if where is not None else nodes_tag).append(
                (clark if where is None else where, _node_reader(child)))
    own = node.text
    own_strip = node.decl.family not in _TEXT_FAMILIES
    attributes = tuple(node.attributes.items())
    # Element proxies cost: make them only up to the last position read.
    upto = 1 + max([at for at, *_ in leaves_at] + [at for at, _ in nodes_at], default=-1)

    def fill(element: Any, slots: list[Any]) -> None:
        if own is not None:
            slots[own] = _text(element, own_strip)
        for name, slot in attributes:
            value = element.get(name)
            if value is not None:
                slots[slot] = value.strip()
        if upto:
            kids = list(islice(element.iterchildren(_ELEMENT), upto))
            for at, slot, strip, nillable in leaves_at:
                kid = kids[at]
                if nillable and kid.get(XSI_NIL) in _TRUE:
                    continue  # xsi:nil: no value (the field keeps its default)
                text = "".join(kid.itertext()) if len(kid) else (kid.text or "")
                slots[slot] = text.strip() if strip else text
            for at, read in nodes_at:
                read(kids[at], slots)
        # Children without a fixed position: libxml2 scans for the tag, one proxy each.
        for tag, slot, strip, nillable in leaves_tag:
            kid = next(element.iterchildren(tag), None)
            if kid is not None and not (nillable and kid.get(XSI_NIL) in _TRUE):
                slots[slot] = _text(kid, strip)
        for tag, read in nodes_tag:
            kid = next(element.iterchildren(tag), None)
            if kid is not None:
                read(kid, slots)

    return fill
