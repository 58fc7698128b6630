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
from contracts.errors import ContractError, FieldIssue, HubError
from translation import soap12_client as soap12
from translation.attachments import DocumentAttachments
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
from translation.mapping.soap_attachments import (
    Reference,
    include_parts,
    name_documents,
    read_references,
    unmatched,
    wire_request,
)
from translation.mapping.soap_encoding import EncodedWire
from translation.mapping.wsdl_service import SoapOperation
from translation.mapping.xml_plan import XmlSection
from translation.mime_related import (
    AttachmentError,
    OutgoingPart,
    RelatedReader,
    is_related,
    new_content_id,
    package,
)
from translation.provider_auth import NO_AUTH, ProviderAuth, is_security_fault
from translation.provider_http import ClientError, ProviderHttp, StreamedAnswer
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
        self._attachments = mapping.spec.soap.attachments if mapping.spec.soap else None
        if self._attachments is not None and self._soap12:
            raise ValueError(f"{mapping.name}: attachments are sent with SOAP 1.1 only")

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

    @property
    def carries_documents(self) -> bool:
        """Whether the mapping sends or receives documents as attachment parts."""
        return self._attachments is not None

    async def call(self, request: Contract, *, correlation_id: str,
                   attachments: DocumentAttachments | None = None) -> Contract:
        """Encode, post, decode; raises only :class:`ProviderError` subclasses.

        A mapping with ``[soap.attachments]`` needs ``attachments``: where the documents
        its request names are read and those its answer carries are stored.
        """
        if self._attachments is not None:
            if attachments is None:
                raise ProviderRequestInvalid(f"{self._label}: the mapping carries documents "
                                             "as attachments; the call names no documents")
            return await self._send(self._call_attached(request, correlation_id, attachments))
        body = self._encode(request)
        soap_headers = self._soap_headers(correlation_id)
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

    def _soap_headers(self, correlation_id: str) -> list[etree._Element]:
        soap_headers = (self._xroad.headers(correlation_id).to_elements()
                        if self._xroad is not None else [])
        if self._token is not None:
            soap_headers = [*soap_headers, self._token.header()]
        return soap_headers

    async def _call_attached(self, request: Contract, correlation_id: str,
                             documents: DocumentAttachments) -> Contract:
        """One call whose request and answer may carry documents as attachment parts."""
        assert self._attachments is not None
        self._check_request_type(request)
        rules = self.mapping.spec.request.attachments
        refs = [Reference(rule, new_content_id(i)) for i, rule in enumerate(rules)]
        packaging = self._attachments.packaging
        body = self._encode(wire_request(request, rules, [r.content_id for r in refs],
                                         packaging))
        if packaging == "mtom":
            include_parts(body, refs, self._prefixes)  # type: ignore[arg-type]
        parts = []
        for ref in refs:
            opened = await documents.open(getattr(request, ref.rule.field), ref.rule.field)
            parts.append(OutgoingPart(ref.content_id, opened.media_type, opened.chunks))
        sent = package(build_envelope(body, self._soap_headers(correlation_id)), parts,
                       packaging)
        headers = {"Content-Type": sent.content_type, CORRELATION_HEADER: correlation_id,
                   "SOAPAction": f'"{self._operation.soap_action}"'}
        async with self._http.post_stream(self._endpoint, body=sent.body,
                                          headers=headers) as answer:
            try:
                contract = await self._attached_answer(answer, correlation_id, documents)
            except AttachmentError as exc:
                raise ProviderResponseInvalid(f"{self._label}: the answer's attachments are "
                                              f"refused: {exc.message}",
                                              issues=exc.issues) from exc
        return self._answering(request, contract)

    async def _attached_answer(self, answer: StreamedAnswer, correlation_id: str,
                               documents: DocumentAttachments) -> Contract:
        """Read the answer: its envelope, then each part, stored as it streams."""
        assert self._attachments is not None
        rules = self.mapping.spec.response.attachments
        if not is_related(answer.content_type):
            content = bytearray()
            async for chunk in answer.chunks:
                content += chunk
                if len(content) > self._limits.max_bytes:
                    raise PayloadTooLarge(len(content), self._limits.max_bytes)
            body = self._message(answer.status_code, bytes(content), correlation_id)
            if rules:
                raise AttachmentError(f"the answer is a plain SOAP message: the attachment "
                                      f"part for {rules[0].path} is missing",
                                      "attachment-missing", rules[0].path)
            return self._build(body)
        reader = RelatedReader(answer.content_type, answer.chunks,
                               root_limit=self._limits.max_bytes,
                               part_limit=self._attachments.max_bytes)
        body = self._message(answer.status_code, await reader.root(), correlation_id)
        refs = read_references(body, rules, self._prefixes)
        self._checked(body)
        stored: dict[str, str] = {}
        by_cid = {ref.content_id: ref for ref in refs}
        async for part in reader.parts():
            ref = by_cid.get(part.content_id)
            if ref is None:
                continue  # a part no field names is not the hub's to keep
            try:
                stored[part.content_id] = await documents.store(
                    ref.rule.field, part.media_type, part.chunks)
            except AttachmentError:
                raise
            except HubError as exc:
                raise ProviderResponseInvalid(
                    f"{self._label}: the document answered in {ref.rule.field} is refused: "
                    f"{exc.message}", issues=exc.issues) from exc
        missing = unmatched(refs, stored)
        if missing:
            raise ProviderResponseInvalid(f"{self._label}: {missing[0].reason}",
                                          issues=tuple(missing))
        name_documents(body, {ref.rule.field: stored[ref.content_id] for ref in refs},
                       self._prefixes, rules)
        return self._build(body)

    def _checked(self, body: etree._Element) -> None:
        try:
            self._response.validate(body)
        except (AdapterError, ContractError) as exc:
            raise self._unmappable(exc) from exc

    def _build(self, body: etree._Element) -> Contract:
        try:
            return self._response.build(body)
        except (AdapterError, ContractError) as exc:
            raise self._unmappable(exc) from exc

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
        body = self._message(status, content, correlation_id)
        try:
            return self._response.decode(body)
        except (AdapterError, ContractError) as exc:
            raise self._unmappable(exc) from exc

    def _message(self, status: int, content: bytes, correlation_id: str | None
                 ) -> etree._Element:
        """The answer's body element, once it is known not to be a fault or an error."""
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
        return body


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

