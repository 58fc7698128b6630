"""``[soap.xroad]`` of a mapping file: the X-Road 4.0 identities its requests carry.

An X-Road provider's binding declares the message protocol 4.0 headers
(``xrd:client``, ``xrd:service``, ``xrd:id``, ``xrd:protocolVersion``) on every
operation. A mapping maps bodies; these headers are not data of the contract
but identities of the two parties, so a mapping declares them once::

    [soap.xroad]
    client = "DEV/GOV/1000/interop-hub"      # the hub, as X-Road client
    provider = "DEV/COM/1234/TestService"    # the member or subsystem serving the operation
    service_code = "getRandom"
    service_version = "v1"                   # optional

and :class:`translation.mapping.soap_provider.SoapMappingProvider` writes them on
every request, with ``xrd:id`` = the exchange's correlation id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from translation.xroad_headers import XRoadClientId, XRoadHeaders, XRoadServiceId

_KEYS = {"client", "provider", "service_code", "service_version"}
_WHERE = "soap.xroad"


@dataclass(frozen=True)
class XRoadSpec:
    """The X-Road 4.0 identities a SOAP mapping sends in its request headers."""

    client: XRoadClientId
    service: XRoadServiceId

    def headers(self, message_id: str) -> XRoadHeaders:
        """The headers of one request (``xrd:id`` = ``message_id``)."""
        return XRoadHeaders(self.client, self.service, message_id)


class _Reader(Protocol):
    """What :func:`read_xroad` needs of the mapping file reader (``spec._Reader``)."""

    def problem(self, key: str, reason: str, code: str = ...) -> None: ...

    def table(self, parent: dict[str, Any], name: str, *, required: bool = ...,
              where: str | None = ...) -> dict[str, Any]: ...

    def text(self, table: dict[str, Any], where: str, name: str, *,
             required: bool = ...) -> Any: ...

    def unknown(self, table: dict[str, Any], where: str, allowed: set[str]) -> None: ...


def read_xroad(reader: _Reader, soap: Mapping[str, Any]) -> XRoadSpec | None:
    """The ``[soap.xroad]`` table, shape-checked; problems go to ``reader``."""
    table = reader.table(dict(soap), "xroad", where=_WHERE)
    reader.unknown(table, _WHERE, _KEYS)
    parties = []
    for name in ("client", "provider"):
        text = reader.text(table, _WHERE, name)
        try:
            parties.append(XRoadClientId.parse(text))
        except ValueError as exc:
            if text:  # an empty or placeholder value is reported by reader.text already
                reader.problem(f"{_WHERE}.{name}", str(exc))
    code = reader.text(table, _WHERE, "service_code")
    version = reader.text(table, _WHERE, "service_version", required=False)
    if len(parties) != 2 or not code:
        return None
    client, provider = parties
    service = XRoadServiceId(provider.instance, provider.member_class, provider.member_code,
                             provider.subsystem_code, code, version)
    return XRoadSpec(client, service)
