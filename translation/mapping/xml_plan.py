"""One direction of an XML mapping, compiled: a legacy element <-> a contract.

:meth:`XmlSection.decode` validates the element with libxml2 (never skipped),
reads it through the compiled frame and validates the contract with pydantic;
:meth:`XmlSection.encode` runs the same plan backwards and validates the
result against the legacy schema. Every issue names the legacy location
(``/GetInsuranceRecordResponse/Period[2]/BeginDt``) and, where there is one,
the contract field (``periods.1.start``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from lxml import etree

from contracts.base import Contract
from contracts.errors import ContractError, FieldIssue
from contracts.validation import validate_contract
from translation.errors import MappingError, SchemaViolation
from translation.mapping.frames import Frame
from translation.mapping.report import Report
from translation.mapping.spec import Section
from translation.mapping.transforms import TransformError
from translation.mapping.xml_frames import compile_frame
from translation.mapping.xml_schema_view import Decl
from translation.mapping.xml_write import EmitContext

C = TypeVar("C", bound=Contract)
_CLARK = re.compile(r"\{[^}]*[:/][^}]*\}")  # namespace URIs, not regex counts like {3}
_EXPECTED = re.compile(r"Expected is (?:one of )?\( (?P<names>[^)]*) \)")


class XmlSection(Generic[C]):
    """A compiled request or response mapping between ``root`` elements and ``model``."""

    def __init__(self, model: type[C], root: Decl, frame: Frame, validator: etree.XMLSchema,
                 namespaces: Mapping[str, str]) -> None:
        self.model = model
        self.root = root
        self.frame = frame
        self._validator = validator
        self._nsmap = dict(namespaces)
        self._base = f"/{root.local}"
        # lxml keeps one error log per schema object: one validation at a time reads it.
        self._lock = threading.Lock()

    @property
    def tag(self) -> str:
        """The Clark name of the legacy root element."""
        return self.root.name

    # ------------------------------------------------------------ decode

    def decode(self, element: etree._Element) -> C:
        """Validate, map and build the contract; raises SchemaViolation, MappingError or
        ContractError, all with legacy paths."""
        if element.tag != self.tag:
            reason = f"expected {self.root.local} ({self.tag}), got {element.tag}"
            raise SchemaViolation(f"{self.model.contract_id()}: {reason}", issues=(
                FieldIssue(path=self._base, reason=reason, code="unexpected-element"),))
        self.validate(element)
        return self.build(element)

    def build(self, element: etree._Element) -> C:
        """Map an element that has already been validated (the hot path's second half)."""
        try:
            data = self.frame.build(element)
        except TransformError:
            issues: list[FieldIssue] = []
            self.frame.build_careful(element, issues, self._base)
            raise MappingError(f"{self.model.contract_id()}: {len(issues)} legacy value(s) "
                               f"cannot be mapped; first at {issues[0].path}: "
                               f"{issues[0].reason}", issues=tuple(issues)) from None
        return self._contract(data)

    def _contract(self, data: dict[str, Any]) -> C:
        try:
            return validate_contract(self.model, data)
        except ContractError as exc:
            raise ContractError(exc.contract, "mapped data violates the contract", issues=tuple(
                FieldIssue(path=self.legacy_path(i.field), reason=i.reason, code=i.code,
                           field=i.field) for i in exc.issues)) from None

    def legacy_path(self, field: str | None) -> str:
        """Where the contract field ``periods.1.start`` comes from in the legacy message."""
        return self.frame.legacy_path(field.split(".") if field else [], self._base)

    # ------------------------------------------------------------ encode

    def encode(self, contract: Contract) -> etree._Element:
        """The legacy element for ``contract``, validated against the legacy schema.

        Raises :class:`MappingError` when a value cannot be expressed (no legacy
        code, a fraction of a cent...) and :class:`SchemaViolation` when the
        result breaks the legacy schema (a national id the legacy pattern refuses).
        """
        if not isinstance(contract, self.model):
            raise TypeError(f"expected {self.model.__name__}, got {type(contract).__name__}")
        issues: list[FieldIssue] = []
        values = self.frame.encode_values(contract, issues, self._base)
        element = etree.Element(self.tag, nsmap=self._nsmap)
        self.frame.emit(element, values, contract, EmitContext(issues, self._base))
        if issues:
            raise MappingError(f"{self.model.contract_id()}: {len(issues)} value(s) cannot be "
                               f"written as {self.root.local}; first at {issues[0].path}: "
                               f"{issues[0].reason}", issues=tuple(issues))
        self.validate(element)
        return element

    # ------------------------------------------------------------ validation

    def validate(self, element: etree._Element) -> None:
        """libxml2 validation against the legacy schema; raises :class:`SchemaViolation`."""
        with self._lock:
            if self._validator.validate(element):
                return
            errors = list(self._validator.error_log)
        issues = tuple(self._issue(element, error) for error in errors)
        raise SchemaViolation(f"{self.root.local}: {len(issues)} legacy schema violation(s); "
                              f"first at {issues[0].path}: {issues[0].reason}", issues=issues)

    def _issue(self, root: etree._Element, error: Any) -> FieldIssue:
        message = _CLARK.sub("", error.message)
        node = _resolve(root, error.path or "")
        path, field = self._locate(root, node if node is not None else root)
        expected = _EXPECTED.search(error.message)
        if expected is not None and node is not None:
            first = expected["names"].split(",")[0].strip()
            missing = first.rpartition("}")[2]
            if "Missing child" in error.message:
                path, field = self._locate(root, node, missing)
            elif node is not root and node.getparent() is not None and node.getparent().find(
                    first) is None:
                # "X is not expected, expected Y" where no Y exists: Y is what is missing.
                path, field = self._locate(root, node.getparent(), missing)
        return FieldIssue(path=path, reason=f"line {error.line}: {message}",
                          code="schema-violation", field=field)

    def _locate(self, root: etree._Element, node: etree._Element, extra: str | None = None
                ) -> tuple[str, str | None]:
        """Legacy path (list items indexed) and contract field of ``node`` below ``root``."""
        chain = []
        while node is not None and node is not root:
            chain.append(node)
            node = node.getparent()
        frame, where, rest, prefix = self.frame, self._base, "", ""
        for element in reversed(chain):
            local = etree.QName(element).localname
            link = next((link for link in frame.lists
                         if link.each_source == f"{rest}/{local}"), None)
            if link is not None:
                index = sum(1 for _ in element.itersiblings(element.tag, preceding=True))
                where = link.item_path(where, index)
                prefix = f"{prefix}{link.field}.{index}."
                frame, rest = link.frame, ""
            else:
                rest = f"{rest}/{local}"
        if extra:
            rest = f"{rest}/{extra}"
        name = frame.field_of.get(rest)
        return where + rest, (prefix + name) if name else None


def _resolve(root: etree._Element, path: str) -> etree._Element | None:
    """Follow a libxml2 node path (``/*/*[4]/*[3]``, first step = the validated element)."""
    steps = [step for step in path.split("/") if step][1:]
    node = root
    for step in steps:
        match = re.fullmatch(r"(?P<name>[^\[]+)(?:\[(?P<index>\d+)\])?", step)
        if match is None or step.startswith("@") or step.startswith("text()"):
            break
        name, index = match["name"], int(match["index"] or 1)
        local = name.rpartition(":")[2]
        candidates = [child for child in node.iterchildren(etree.Element)
                      if name == "*" or etree.QName(child).localname == local]
        if len(candidates) < index:
            return node
        node = candidates[index - 1]
    return node


def compile_xml_section(section: Section, model: type[C], root: Decl,
                        validator: etree.XMLSchema, namespaces: Mapping[str, str],
                        report: Report) -> XmlSection[C]:
    """Compile a ``[request]`` or ``[response]`` section; problems go to ``report``."""
    frame = compile_frame(root, model, section.name, section.rules, section.lists, namespaces,
                          report, section.constants)
    return XmlSection(model, root, frame, validator, namespaces)
