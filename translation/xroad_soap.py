"""Provider adapter for one service of an X-Road v4 provider (SOAP 1.1, document/literal).

The request contract is encoded into the service's native element
(:class:`translation.native_soap.NativeSoapFormat`), sent with X-Road 4.0 headers
(the hub as client, ``xrd:id`` = the exchange's correlation id) over httpx; the
answer is parsed by the hardened parser, its headers checked (same ``xrd:id``),
and its native body decoded into the response contract. lxml and httpx only:
no zeep on the per-message path. Every third-party error is translated here.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
from lxml import etree

from contracts import Contract
from contracts.errors import ContractError, FieldIssue
from translation.errors import (
    MalformedInput,
    PayloadTooLarge,
    ProviderFault,
    ProviderResponseInvalid,
    ProviderUnavailable,
    SchemaViolation,
)
from translation.native_soap import NativeSoapFormat
from translation.soap_envelope import build_envelope, parse_envelope, parse_fault
from translation.xml_safety import XmlLimits
from translation.xroad_headers import XRoadClientId, XRoadHeaderError, XRoadHeaders, XRoadServiceId

CORRELATION_HEADER = "X-Correlation-Id"


class XRoadSoapAdapter:
    """Calls one X-Road service natively and speaks contracts to the hub."""

    def __init__(
        self,
        endpoint: str,
        native: NativeSoapFormat,
        *,
        request_contract: type[Contract],
        response_contract: type[Contract],
        client: XRoadClientId,
        timeout: float,
    ) -> None:
        if native.xroad_service is None:
            raise ValueError("an X-Road provider adapter needs the format's xroad_service")
        self.request_contract = request_contract
        self.response_contract = response_contract
        self._endpoint = endpoint
        self._native = native
        self._service: XRoadServiceId = native.xroad_service
        self._client = client
        self._http = httpx.AsyncClient(timeout=timeout)
        self._limits = XmlLimits()

    async def call(self, request: Contract, *, correlation_id: str) -> Contract:
        """Send ``request``; raises only :class:`ProviderError` subclasses."""
        if not isinstance(request, self.request_contract):
            raise TypeError(f"expected {self.request_contract.__name__}")
        headers = XRoadHeaders(self._client, self._service, correlation_id).to_elements()
        body = build_envelope(self._native.encode(request, self._native.request), headers)
        try:
            response = await self._http.post(
                self._endpoint,
                content=body,
                headers={
                    "Content-Type": "text/xml; charset=utf-8",
                    "SOAPAction": '""',
                    CORRELATION_HEADER: correlation_id,
                },
            )
        except httpx.TimeoutException:
            raise ProviderUnavailable(f"{self._service}: timed out") from None
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"{self._service}: {type(exc).__name__} {exc}") from None
        return self._answer(response, correlation_id)

    def _answer(self, response: httpx.Response, correlation_id: str) -> Contract:
        try:
            message = parse_envelope(response.content, self._limits)
        except (MalformedInput, PayloadTooLarge) as exc:
            if response.status_code >= 400:
                raise self._status(response.status_code) from None
            raise ProviderResponseInvalid(
                f"{self._service}: the answer is not a SOAP message: {exc.message}",
                issues=exc.issues,
            ) from None
        if message.is_fault:
            fault = parse_fault(message.body)
            raise ProviderFault(
                f"{self._service} fault {fault.faultcode}: {fault.faultstring}",
                retryable=fault.faultcode.startswith("Server"),
            )
        if response.status_code >= 400:
            raise self._status(response.status_code)
        self._check_headers(message.headers, correlation_id)
        try:
            return self._native.decode(message.body, self._native.response, self.response_contract)
        except (ContractError, SchemaViolation) as exc:
            raise ProviderResponseInvalid(
                f"{self._service}: the answer does not map onto "
                f"{self.response_contract.contract_id()}: {exc.message}",
                issues=exc.issues,
            ) from None

    def _check_headers(self, headers: Sequence[etree._Element], correlation_id: str) -> None:
        try:
            echoed = XRoadHeaders.from_soap(headers)
        except XRoadHeaderError as exc:
            raise ProviderResponseInvalid(
                f"{self._service}: {exc.message}", issues=exc.issues
            ) from None
        if echoed is None or echoed.id != correlation_id:
            reason = "the answer does not echo the request's xrd:id"
            raise ProviderResponseInvalid(
                f"{self._service}: {reason}",
                issues=(
                    FieldIssue(
                        path="/Envelope/Header/xrd:id", reason=reason, code="xroad-id-mismatch"
                    ),
                ),
            )

    def _status(self, status: int) -> ProviderFault:
        return ProviderFault(
            f"{self._service} answered HTTP {status}", retryable=status >= 500 or status == 429
        )

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()
