"""A service's own SOAP vocabulary: body elements in its namespace, mapped onto contracts.

Most hub services are called with the contracts' own XML (``translation.contract_xml``).
Some clients speak a department's native vocabulary instead — X-Road's sample
messages carry ``prod:helloService`` in ``http://test.x-road.global/producer``.
A :class:`NativeSoapFormat` declares, for one service, the request and response
elements and which child carries which contract field, and translates both ways:
the SOAP ingress decodes native requests and encodes native responses with it,
and a provider adapter does the reverse towards the department.

It is deliberately small — flat elements with text children, explicit names —
the shape the declarative mapping files (``translation/mapping``) generalise; a
format built from such a file can take this class's place behind the same methods.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from lxml import etree

from contracts.base import Contract
from contracts.errors import ContractError, FieldIssue
from contracts.validation import validate_contract
from translation.errors import SchemaViolation
from translation.xroad_headers import XRoadServiceId

C = TypeVar("C", bound=Contract)


@dataclass(frozen=True)
class NativeMessage:
    """One native element: its local name, its children (``child -> contract field``) and
    children tolerated but ignored when empty (a legacy client's leftovers)."""

    name: str
    fields: Mapping[str, str] = field(default_factory=dict)
    tolerated_empty: frozenset[str] = frozenset()


@dataclass(frozen=True)
class NativeSoapFormat:
    """A service's native request and response elements, in ``namespace`` (plus ``aliases``).

    ``aliases`` are other namespaces accepted for the same elements (a response
    answers in the namespace the request used); ``xroad_service`` is the X-Road
    service id that addresses the service, when X-Road clients call it.
    """

    namespace: str
    request: NativeMessage
    response: NativeMessage
    aliases: tuple[str, ...] = ()
    qualified_children: bool = True
    xroad_service: XRoadServiceId | None = None  # the X-Road service id it answers to

    @property
    def namespaces(self) -> tuple[str, ...]:
        return (self.namespace, *self.aliases)

    @property
    def request_elements(self) -> tuple[str, ...]:
        """Every Clark name a native request may carry (canonical namespace first)."""
        return tuple(f"{{{ns}}}{self.request.name}" for ns in self.namespaces)

    def decode(self, element: etree._Element, message: NativeMessage, model: type[C]) -> C:
        """Read a native ``message`` element into ``model``.

        Raises :class:`SchemaViolation` for an unexpected element or structure and
        :class:`ContractError` (paths in the native message) for invalid values.
        """
        namespace = etree.QName(element).namespace or ""
        root = f"/{message.name}"
        if etree.QName(element).localname != message.name or namespace not in self.namespaces:
            expected = " or ".join(f"{{{ns}}}{message.name}" for ns in self.namespaces)
            raise _violation(model, root, f"element {element.tag} is not {expected}")
        data: dict[str, Any] = {}
        for child in element.iterchildren(tag=etree.Element):
            data.update(self._child(child, namespace, message, model, root))
        try:
            return validate_contract(model, data)
        except ContractError as exc:
            raise ContractError(
                exc.contract,
                "native message violates the contract",
                issues=tuple(
                    FieldIssue(
                        path=self.path_of(message, i.field),
                        reason=i.reason,
                        code=i.code,
                        field=i.field,
                    )
                    for i in exc.issues
                ),
            ) from None

    def _child(
        self,
        child: etree._Element,
        namespace: str,
        message: NativeMessage,
        model: type[Contract],
        root: str,
    ) -> dict[str, str]:
        name = etree.QName(child).localname
        path = f"{root}/{name}"
        expected_ns = namespace if self.qualified_children else None
        if etree.QName(child).namespace != expected_ns or (
            name not in message.fields and name not in message.tolerated_empty
        ):
            allowed = ", ".join(message.fields) or "no child elements"
            raise _violation(model, path, f"unexpected element {child.tag}; expected {allowed}")
        if len(child) or (name in message.tolerated_empty and (child.text or "").strip()):
            raise _violation(
                model,
                path,
                f"{name} must hold text only" if len(child) else f"{name} must be empty",
            )
        if name in message.tolerated_empty:
            return {}
        return {message.fields[name]: child.text or ""}

    def encode(
        self, contract: Contract, message: NativeMessage, namespace: str | None = None
    ) -> etree._Element:
        """The native ``message`` element for ``contract`` (in ``namespace`` or the canonical)."""
        namespace = namespace or self.namespace
        element = etree.Element(f"{{{namespace}}}{message.name}", nsmap={"prod": namespace})
        for child, field_name in message.fields.items():
            value = getattr(contract, field_name)
            if value is None:
                continue
            tag = f"{{{namespace}}}{child}" if self.qualified_children else child
            etree.SubElement(element, tag).text = _lexical(value)
        return element

    @staticmethod
    def path_of(message: NativeMessage, field_name: str | None) -> str:
        """The native path of a contract field (for error messages)."""
        by_field = {f: child for child, f in message.fields.items()}
        top = (field_name or "").split(".")[0]
        return f"/{message.name}/{by_field[top]}" if top in by_field else f"/{message.name}"


def _violation(model: type[Contract], path: str, reason: str) -> SchemaViolation:
    return SchemaViolation(
        f"{model.contract_id()}: {reason}",
        issues=(FieldIssue(path=path, reason=reason, code="schema-violation"),),
    )


def _lexical(value: Any) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
