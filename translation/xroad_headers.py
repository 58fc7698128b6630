"""X-Road message protocol 4.0 SOAP headers: read them, check them, echo them.

The identifiers they carry live in :mod:`translation.xroad_ids` (re-exported here).

A 4.0 request carries ``xrd:client`` and ``xrd:service`` (identifiers made of
``iden:`` codes), ``xrd:id`` (the message id), ``xrd:protocolVersion`` (``4.0``)
and optionally ``xrd:userId`` and ``xrd:issue``; the response repeats them.
:class:`XRoadClientTable` is the hub's explicit, deny-by-default answer to
"which department of ours is this X-Road client?" (``HUB_XROAD_CLIENTS``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from contracts.errors import FieldIssue, HubError
from translation.errors import AdapterError
from translation.xroad_ids import XRoadClientId, XRoadServiceId

XROAD_NS = "http://x-road.eu/xsd/xroad.xsd"
IDENTIFIERS_NS = "http://x-road.eu/xsd/identifiers"
PROTOCOL_VERSION = "4.0"
_NSMAP = {"xrd": XROAD_NS, "iden": IDENTIFIERS_NS}
_OBJECT_TYPE = f"{{{IDENTIFIERS_NS}}}objectType"
_HEADER = "/Envelope/Header"
# The header elements this module reads and writes, in the order X-Road writes them.
_ORDER = ("client", "service", "id", "userId", "issue", "protocolVersion")


__all__ = [
    "IDENTIFIERS_NS", "PROTOCOL_VERSION", "XROAD_NS", "UnknownXRoadClient", "XRoadClientId",
    "XRoadClientTable", "XRoadHeaderError", "XRoadHeaders", "XRoadServiceId", "echo_headers",
]


class XRoadHeaderError(AdapterError):
    """Raised when X-Road headers are present but incomplete, malformed or of another version."""

    code = "xroad-header-invalid"


class UnknownXRoadClient(HubError):
    """Raised when an X-Road client is not mapped onto a department of this hub."""

    code = "unknown-xroad-client"
    status = 400


@dataclass(frozen=True)
class XRoadHeaders:
    """The X-Road 4.0 headers of one message."""

    client: XRoadClientId
    service: XRoadServiceId
    id: str
    protocol_version: str = PROTOCOL_VERSION
    user_id: str | None = None
    issue: str | None = None

    @classmethod
    def from_soap(cls, headers: Sequence[etree._Element]) -> XRoadHeaders | None:
        """Read the X-Road headers among ``headers``; None when the message carries none.

        Raises :class:`XRoadHeaderError` naming each missing or malformed header.
        """
        mine = [h for h in headers if _in_xroad(h)]
        if not mine:
            return None
        found = {etree.QName(h).localname: h for h in mine}
        # Two copies of one header would let two readers see two identities: refuse them.
        issues = _duplicate_issues([etree.QName(h).localname for h in mine])
        issues += _scalar_issues(found)
        version = _text(found.get("protocolVersion"))
        client = _client(found["client"], issues) if "client" in found else None
        service = _service(found["service"], issues) if "service" in found else None
        if issues or client is None or service is None:
            raise XRoadHeaderError(
                f"X-Road headers are not usable: {issues[0].path}: {issues[0].reason}",
                issues=tuple(issues),
            )
        return cls(
            client,
            service,
            _text(found["id"]),
            version,
            _text(found.get("userId")) or None,
            _text(found.get("issue")) or None,
        )

    def to_elements(self) -> list[etree._Element]:
        """The header elements, in X-Road's order (a response echoes the request's)."""
        values = {
            "id": self.id,
            "userId": self.user_id,
            "issue": self.issue,
            "protocolVersion": self.protocol_version,
        }
        elements = []
        for name in _ORDER:
            if name == "client":
                elements.append(
                    _identifier("client", self.client.object_type, _client_codes(self.client))
                )
            elif name == "service":
                elements.append(_identifier("service", "SERVICE", _service_codes(self.service)))
            elif values[name] is not None:
                element = etree.Element(f"{{{XROAD_NS}}}{name}", nsmap=_NSMAP)
                element.text = values[name]
                elements.append(element)
        return elements


def echo_headers(request_headers: Sequence[etree._Element]) -> list[etree._Element]:
    """Copies of the request's X-Road header blocks, as the response must carry them.

    Copying the elements (rather than re-rendering parsed values) keeps exactly
    what the client sent, extensions of the identifiers included.
    """
    return [
        copy.deepcopy(h)
        for h in request_headers
        if _in_xroad(h) and etree.QName(h).localname in _ORDER
    ]


class XRoadClientTable:
    """X-Road clients this hub knows, each mapped onto one of its departments (deny by default)."""

    def __init__(self, table: Mapping[str, str]) -> None:
        self._table: dict[XRoadClientId, str] = {}
        for xroad_id, department in table.items():
            self._table[XRoadClientId.parse(xroad_id)] = department

    def department(self, client: XRoadClientId) -> str:
        """The ``region/department`` of ``client``; :class:`UnknownXRoadClient` if unmapped."""
        try:
            return self._table[client]
        except KeyError:
            reason = (
                f"X-Road client {client} is not mapped onto a department of this hub; "
                "an operator adds it to HUB_XROAD_CLIENTS, e.g. "
                f'{{"{client}": "region/department"}}'
            )
            raise UnknownXRoadClient(
                reason,
                issues=(
                    FieldIssue(
                        path=f"{_HEADER}/xrd:client",
                        reason=reason,
                        code="unknown-xroad-client",
                        field="client",
                    ),
                ),
            ) from None

    def __len__(self) -> int:
        return len(self._table)


def _in_xroad(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and etree.QName(element).namespace == XROAD_NS


def _text(element: etree._Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def _duplicate_issues(names: Sequence[str]) -> list[FieldIssue]:
    """One issue per X-Road header the message carries more than once."""
    return [
        _issue(f"{_HEADER}/xrd:{name}", f"the X-Road header xrd:{name} is sent "
               f"{names.count(name)} times; send it once", "xroad-header-duplicated", name)
        for name in _ORDER if names.count(name) > 1
    ]


def _scalar_issues(found: Mapping[str, etree._Element]) -> list[FieldIssue]:
    """Missing required headers, an unsupported protocol version, an empty id."""
    issues = [
        _issue(
            f"{_HEADER}/xrd:{name}",
            "required X-Road header is missing",
            "xroad-header-missing",
            name,
        )
        for name in ("client", "service", "id", "protocolVersion")
        if name not in found
    ]
    version = _text(found.get("protocolVersion"))
    if "protocolVersion" in found and version != PROTOCOL_VERSION:
        reason = (
            f"protocol version {version!r} is not supported; "
            f"this hub speaks X-Road message protocol {PROTOCOL_VERSION}"
        )
        issues.append(
            _issue(
                f"{_HEADER}/xrd:protocolVersion",
                reason,
                "xroad-protocol-version",
                "protocolVersion",
            )
        )
    if "id" in found and not _text(found["id"]):
        issues.append(
            _issue(f"{_HEADER}/xrd:id", "message id is empty", "xroad-header-empty", "id")
        )
    return issues


def _issue(path: str, reason: str, code: str, field: str) -> FieldIssue:
    return FieldIssue(path=path, reason=reason, code=code, field=field)


def _codes(
    element: etree._Element,
    path: str,
    required: Sequence[str],
    optional: Sequence[str],
    issues: list[FieldIssue],
) -> dict[str, str | None]:
    """The identifier codes under ``element``; each required one missing is an issue."""
    codes = [c for c in element
             if isinstance(c.tag, str) and etree.QName(c).namespace == IDENTIFIERS_NS]
    found = {etree.QName(c).localname: _text(c) for c in codes}
    names = [etree.QName(c).localname for c in codes]
    for name in sorted({n for n in names if names.count(n) > 1}):
        issues.append(_issue(
            f"{path}/iden:{name}", f"iden:{name} is sent {names.count(name)} times; send it once",
            "xroad-header-duplicated", f"{etree.QName(element).localname}.{name}"))
    for name in required:
        if not found.get(name):
            issues.append(
                _issue(
                    f"{path}/iden:{name}",
                    "required identifier code is missing",
                    "xroad-header-missing",
                    f"{etree.QName(element).localname}.{name}",
                )
            )
    return {name: found.get(name) or None for name in (*required, *optional)}


def _client(element: etree._Element, issues: list[FieldIssue]) -> XRoadClientId | None:
    path = f"{_HEADER}/xrd:client"
    object_type = element.get(_OBJECT_TYPE)
    if object_type not in ("MEMBER", "SUBSYSTEM"):
        issues.append(
            _issue(
                f"{path}/@iden:objectType",
                f"objectType {object_type!r} is not MEMBER or SUBSYSTEM",
                "xroad-header-invalid",
                "client",
            )
        )
        return None
    required = ["xRoadInstance", "memberClass", "memberCode"]
    if object_type == "SUBSYSTEM":
        required.append("subsystemCode")
    codes = _codes(element, path, required, ("subsystemCode",), issues)
    if object_type == "MEMBER" and codes["subsystemCode"] is not None:
        # A MEMBER has no subsystem: with one, which of the two is asking is ambiguous.
        issues.append(_issue(
            f"{path}/iden:subsystemCode",
            "a MEMBER client carries no subsystemCode: send objectType SUBSYSTEM, or drop it",
            "xroad-header-invalid", "client.subsystemCode"))
        return None
    if any(codes[name] is None for name in required):
        return None
    return XRoadClientId(
        codes["xRoadInstance"] or "",
        codes["memberClass"] or "",
        codes["memberCode"] or "",
        codes["subsystemCode"],
    )


def _service(element: etree._Element, issues: list[FieldIssue]) -> XRoadServiceId | None:
    path = f"{_HEADER}/xrd:service"
    if element.get(_OBJECT_TYPE) != "SERVICE":
        issues.append(
            _issue(
                f"{path}/@iden:objectType",
                f"objectType {element.get(_OBJECT_TYPE)!r} is not SERVICE",
                "xroad-header-invalid",
                "service",
            )
        )
        return None
    required = ("xRoadInstance", "memberClass", "memberCode", "serviceCode")
    codes = _codes(element, path, required, ("subsystemCode", "serviceVersion"), issues)
    if any(codes[name] is None for name in required):
        return None
    return XRoadServiceId(
        codes["xRoadInstance"] or "",
        codes["memberClass"] or "",
        codes["memberCode"] or "",
        codes["subsystemCode"],
        codes["serviceCode"] or "",
        codes["serviceVersion"],
    )


def _client_codes(client: XRoadClientId) -> list[tuple[str, str | None]]:
    return [
        ("xRoadInstance", client.instance),
        ("memberClass", client.member_class),
        ("memberCode", client.member_code),
        ("subsystemCode", client.subsystem_code),
    ]


def _service_codes(service: XRoadServiceId) -> list[tuple[str, str | None]]:
    return [
        *_client_codes(service.provider),
        ("serviceCode", service.service_code),
        ("serviceVersion", service.service_version),
    ]


def _identifier(name: str, object_type: str, codes: list[tuple[str, str | None]]) -> etree._Element:
    element = etree.Element(f"{{{XROAD_NS}}}{name}", {_OBJECT_TYPE: object_type}, nsmap=_NSMAP)
    for code, value in codes:
        if value is not None:
            etree.SubElement(element, f"{{{IDENTIFIERS_NS}}}{code}").text = value
    return element
