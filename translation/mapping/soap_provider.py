"""Provider adapter for a SOAP 1.1 or 1.2 department service, driven by its mapping file.

Per call: the compiled mapping encodes the request contract into the legacy
body element (validated against the legacy XSD), :func:`build_envelope` wraps
it, the pooled provider client (aiohttp) POSTs it with ``SOAPAction`` and
``X-Correlation-Id``; the answer is parsed by the hardened parser
(:func:`parse_envelope`), a Fault becomes a :class:`ProviderFault`, anything
else is validated by libxml2 and mapped. No
zeep or xmlschema code runs per message. A mapping with ``[soap.xroad]`` sends
the X-Road 4.0 headers (``xrd:id`` = the correlation id) and requires the answer
to echo that id. A port bound with the soap12 binding is called in SOAP 1.2
(:mod:`translation.soap12_client`); a provider that demands a WS-Security UsernameToken
gets a fresh one in the header of every call (:mod:`translation.provider_auth`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from contracts import Contract
from contracts.errors import ContractError, FieldIssue
from translation import soap12_client as soap12
from translation.errors import (
    AdapterError,
    MalformedInput,
    MappingError,
    PayloadTooLarge,
    ProviderAuthRefused,
    ProviderFault,
    ProviderResponseInvalid,
    ProviderUnavailable,
    SchemaViolation,
)
from translation.mapping.compiled import CompiledMapping, load_mapping
from translation.mapping.errors import ProviderRequestInvalid
from translation.mapping.provider_base import (
    CORRELATION_HEADER,
    HttpMappingProvider,
    status_fault,
)
from translation.mapping.soap_encoding import EncodedWire
from translation.mapping.wsdl_service import SoapOperation
from translation.mapping.xml_plan import XmlSection
from translation.provider_auth import NO_AUTH, ProviderAuth, is_security_fault
from translation.provider_http import ClientError, ProviderHttp
from translation.soap12 import build_envelope12
from translation.soap_envelope import build_envelope, parse_envelope, parse_fault
from translation.xml_safety import XmlLimits, parse_xml
from translation.xroad_headers import XRoadHeaderError, XRoadHeaders

SOAP_CONTENT_TYPE = "text/xml; charset=utf-8"
_WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
_SOAP_BINDING_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
_SOAP12_BINDING_NS = "http://schemas.xmlsoap.org/wsdl/soap12/"


class SoapMappingProvider(HttpMappingProvider):
    """Calls one SOAP operation through a compiled mapping (``soap-mapping`` adapter kind).

    Build it with :meth:`connect`; close it with :meth:`aclose` (or ``async with``).
    """

    def __init__(self, mapping: CompiledMapping, endpoint: str, http: ProviderHttp,
                 timeout: float, limits: XmlLimits, auth: ProviderAuth = NO_AUTH) -> None:
        if mapping.soap is None:
            raise ValueError(f"{mapping.name}: not a SOAP mapping")
        super().__init__(mapping, http, timeout=timeout, label=f"{mapping.name} (SOAP)")
        self._operation: SoapOperation = mapping.soap
        self._request: XmlSection[Contract] = mapping.request  # type: ignore[assignment]
        self._response: XmlSection[Contract] = mapping.response  # type: ignore[assignment]
        self._endpoint = endpoint
        self._limits = limits
        self._xroad = mapping.spec.soap.xroad if mapping.spec.soap else None
        self._prefixes = dict(mapping.spec.soap.namespaces) if mapping.spec.soap else {}
        self._soap12 = self._operation.port.soap_version == "1.2"
        self._token = auth.username_token
        # rpc/encoded: SOAP encoding is added and removed at the wire, around the mapping.
        self._wire = ((EncodedWire(self._request.root, self._operation.arrays),
                       EncodedWire(self._response.root, self._operation.arrays))
                      if self._operation.encoded else None)

    @classmethod
    async def connect(
        # The timeout configures the adapter's HTTP client for every later call too.
        cls, mapping: CompiledMapping | Path | str, endpoint: str, *,
        timeout: float = 10.0, limits: XmlLimits | None = None,  # noqa: ASYNC109
        auth: ProviderAuth = NO_AUTH,
    ) -> SoapMappingProvider:
        """Bind a mapping to a service address.

        ``endpoint`` is the SOAP address, or a WSDL URL (``...?wsdl``) from which
        only the ``soap:address`` of the mapping's port is read; the schema used
        is always the mapping's pinned local WSDL. ``auth``: how the hub proves
        who it is to this provider (TLS trust, client certificate, Basic, UsernameToken).
        """
        if not isinstance(mapping, CompiledMapping):
            mapping = await asyncio.to_thread(load_mapping, mapping)
        limits = limits or XmlLimits()
        http = ProviderHttp(headers=auth.headers, ssl_context=auth.ssl)
        try:
            address = endpoint
            if urlsplit(endpoint).query.lower() == "wsdl":
                address = await _address_from_wsdl(http, endpoint, mapping, timeout)
        except BaseException:
            await http.aclose()
            raise
        return cls(mapping, address, http, timeout, limits, auth)

    @property
    def endpoint(self) -> str:
        """The SOAP address this adapter posts to."""
        return self._endpoint

    async def call(self, request: Contract, *, correlation_id: str) -> Contract:
        """Encode, post, decode; raises only :class:`ProviderError` subclasses."""
        body = self._encode(request)
        soap_headers = (self._xroad.headers(correlation_id).to_elements()
                        if self._xroad is not None else [])
        if self._token is not None:
            soap_headers = [*soap_headers, self._token.header()]
        if self._soap12:
            envelope = build_envelope12(body, soap_headers)
            headers = {"Content-Type": soap12.content_type(self._operation.soap_action),
                       CORRELATION_HEADER: correlation_id}
        else:
            envelope = build_envelope(body, soap_headers)
            headers = {
                "Content-Type": SOAP_CONTENT_TYPE,
                # SOAP 1.1 requires the header, quoted, even when the action is empty.
                "SOAPAction": f'"{self._operation.soap_action}"',
                CORRELATION_HEADER: correlation_id,
            }
        response = await self._send(self._http.post(
            self._endpoint, content=envelope, headers=headers))
        answer = self.decode_response(response.status_code, response.content,
                                      correlation_id=correlation_id)
        return self._answering(request, answer)

    def _encode(self, request: Contract) -> object:
        self._check_request_type(request)
        try:
            body = self._request.encode(request)
        except (MappingError, SchemaViolation) as exc:
            raise ProviderRequestInvalid(
                f"{self._label}: the request cannot be sent as {self._request.root.local}: "
                f"{exc.message}", issues=exc.issues) from exc
        return body if self._wire is None else self._wire[0].to_wire(body, self._prefixes)

    def decode_response(self, status: int, content: bytes, *,
                        correlation_id: str | None = None) -> Contract:
        """An HTTP answer as the response contract, or the :class:`ProviderError` it means.

        With ``[soap.xroad]`` and a ``correlation_id``, the answer's X-Road headers
        must echo it as ``xrd:id``.
        """
        try:
            message = (soap12.parse_envelope(content, self._limits, encoded=self._operation.encoded)
                       if self._soap12 else
                       parse_envelope(content, self._limits, encoded=self._operation.encoded))
        except (MalformedInput, PayloadTooLarge) as exc:
            if status >= 300:
                raise self._status_fault(status) from exc
            raise ProviderResponseInvalid(f"{self._label}: the answer (HTTP {status}) is not a "
                                          f"SOAP message: {exc.message}",
                                          # not a message at all: worth another attempt
                                          issues=exc.issues, retryable=True) from exc
        if message.is_fault and self._soap12:
            raise soap12.fault_error(message.body, self._label)
        if message.is_fault:
            fault = parse_fault(message.body)
            if is_security_fault(message.body, fault.faultcode):
                raise ProviderAuthRefused(f"{self._label} refused the hub's WS-Security "
                                          f"credentials: {fault.faultcode}: {fault.faultstring}")
            # Only soap:Server may be transient; Client, VersionMismatch and
            # MustUnderstand say the request is wrong, and resending cannot help.
            raise ProviderFault(f"{self._label} fault soap:{fault.faultcode}: "
                                f"{fault.faultstring}", retryable=fault.faultcode == "Server",
                                issues=fault.issues)
        if status >= 300:
            raise self._status_fault(status)
        if self._xroad is not None and correlation_id is not None:
            _check_echo(self._label, message.headers, correlation_id)
        body = message.body
        if self._wire is not None:
            body = self._wire[1].from_wire(body, message.independents, self._label)
        try:
            return self._response.decode(body)
        except (AdapterError, ContractError) as exc:
            raise self._unmappable(exc) from exc


def _check_echo(label: str, headers: Sequence[etree._Element], correlation_id: str) -> None:
    """An X-Road answer must repeat the request's ``xrd:id``."""
    try:
        echoed = XRoadHeaders.from_soap(headers)
    except XRoadHeaderError as exc:
        raise ProviderResponseInvalid(f"{label}: {exc.message}", issues=exc.issues) from None
    if echoed is None or echoed.id != correlation_id:
        reason = (f"the answer does not echo the request's xrd:id {correlation_id!r}"
                  f" (got {echoed.id!r})" if echoed else
                  "the answer carries no X-Road headers; it must echo the request's")
        raise ProviderResponseInvalid(f"{label}: {reason}", issues=(
            FieldIssue(path="/Envelope/Header/xrd:id", reason=reason, code="xroad-id-mismatch"),))


async def _address_from_wsdl(http: ProviderHttp, url: str, mapping: CompiledMapping,
                             wait_s: float) -> str:
    """The ``soap:address`` of the mapping's port in the WSDL served at ``url``."""
    operation = mapping.soap
    if operation is None:
        raise ValueError(f"{mapping.name}: not a SOAP mapping")
    try:
        async with asyncio.timeout(wait_s):
            response = await http.get(url)
    except TimeoutError as exc:
        raise ProviderUnavailable(f"{mapping.name}: no WSDL from {url} within {wait_s}s") from exc
    except (ClientError, OSError) as exc:
        raise ProviderUnavailable(f"{mapping.name}: cannot fetch the WSDL {url}: "
                                  f"{type(exc).__name__} {exc}") from exc
    if response.status_code != 200:
        raise status_fault(f"{mapping.name} WSDL", response.status_code)
    try:
        root = parse_xml(response.content)
    except (MalformedInput, PayloadTooLarge) as exc:
        raise ProviderResponseInvalid(f"{mapping.name}: the WSDL at {url} is refused: "
                                      f"{exc.message}", issues=exc.issues) from exc
    found = root.xpath(
        "w:service[@name=$service]/w:port[@name=$port]/*[self::s:address or self::s12:address]"
        "/@location",
        namespaces={"w": _WSDL_NS, "s": _SOAP_BINDING_NS, "s12": _SOAP12_BINDING_NS},
        service=operation.port.service, port=operation.port.name)
    if not found:
        reason = (f"the WSDL at {url} has no soap:address for service "
                  f"{operation.port.service}, port {operation.port.name}")
        raise ProviderResponseInvalid(f"{mapping.name}: {reason}", issues=(
            FieldIssue(path="/definitions/service", reason=reason, code="missing"),))
    return str(found[0])

