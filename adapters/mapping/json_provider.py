"""Provider adapter for a JSON/HTTP department service, driven by its mapping file.

Per call: the compiled mapping encodes the request contract into the request
document, the route renders it as ``METHOD /path?query`` (and a body for
methods that have one), httpx sends it with ``X-Correlation-Id``; a 200 answer
is parsed — and validated against the mapping's JSON Schema when it has one —
in one pydantic-core pass, then mapped onto the response contract.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from adapters.errors import (
    AdapterError,
    MappingError,
    ProviderFault,
    ProviderResponseInvalid,
    ProviderUnavailable,
    SchemaViolation,
)
from adapters.mapping.compiled import CompiledMapping, load_mapping
from adapters.mapping.errors import ProviderRequestInvalid
from adapters.mapping.json_plan import JsonSection
from adapters.mapping.json_route import JsonRoute
from contracts import Contract
from contracts.errors import ContractError

CORRELATION_HEADER = "X-Correlation-Id"


class JsonMappingProvider:
    """Calls one JSON/HTTP service through a compiled mapping (``json-mapping`` kind)."""

    def __init__(self, mapping: CompiledMapping, base_url: str, *, timeout: float = 10.0) -> None:
        if mapping.route is None:
            raise ValueError(f"{mapping.name}: not a JSON mapping")
        self.mapping = mapping
        self.request_contract = mapping.request_contract
        self.response_contract = mapping.response_contract
        self._route: JsonRoute = mapping.route
        self._request: JsonSection[Contract] = mapping.request  # type: ignore[assignment]
        self._response: JsonSection[Contract] = mapping.response  # type: ignore[assignment]
        self._timeout = timeout
        self._label = f"{mapping.name} (JSON)"
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout,
                                       headers={"Accept": "application/json"})

    @classmethod
    async def connect(
        cls, mapping: CompiledMapping | Path | str, base_url: str, *,
        timeout: float = 10.0,  # noqa: ASYNC109 - configures the client for every call
    ) -> JsonMappingProvider:
        """Load the mapping (off the event loop) and bind it to ``base_url``."""
        if not isinstance(mapping, CompiledMapping):
            mapping = await asyncio.to_thread(load_mapping, mapping)
        return cls(mapping, base_url, timeout=timeout)

    async def call(self, request: Contract, *, correlation_id: str) -> Contract:
        """Encode, send, decode; raises only :class:`ProviderError` subclasses."""
        target, body = self._encode(request)
        headers = {CORRELATION_HEADER: correlation_id}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._http.request(self._route.method, target, content=body,
                                                    headers=headers)
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise ProviderUnavailable(
                f"{self._label}: no answer within {self._timeout}s") from exc
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(
                f"{self._label}: cannot be reached: {type(exc).__name__} {exc}") from exc
        answer = self.decode_response(response.status_code, response.content)
        mismatch = self.mapping.mismatches(request, answer)
        if mismatch:
            raise ProviderResponseInvalid(f"{self._label}: the answer does not match the "
                                          f"question: {mismatch[0].reason}", issues=mismatch)
        return answer

    def _encode(self, request: Contract) -> tuple[str, bytes | None]:
        if not isinstance(request, self.request_contract):
            raise TypeError(f"expected {self.request_contract.__name__}, "
                            f"got {type(request).__name__}")
        try:
            return self._route.render(self._request.encode(request))
        except (MappingError, SchemaViolation) as exc:
            raise ProviderRequestInvalid(f"{self._label}: the request cannot be sent: "
                                         f"{exc.message}", issues=exc.issues) from exc

    def decode_response(self, status: int, content: bytes) -> Contract:
        """An HTTP answer as the response contract, or the :class:`ProviderError` it means."""
        if status != 200:
            raise _status_fault(self._label, status, content)
        try:
            return self._response.decode_bytes(content)
        except (AdapterError, ContractError) as exc:
            raise ProviderResponseInvalid(
                f"{self._label}: the answer does not map onto "
                f"{self.response_contract.contract_id()}: {exc.message}",
                issues=exc.issues) from exc

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> JsonMappingProvider:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _status_fault(label: str, status: int, content: bytes) -> ProviderFault:
    """An HTTP error status as a fault; only server-side trouble is worth retrying."""
    try:
        detail = json.loads(content).get("error")
    except (ValueError, AttributeError):
        detail = None
    return ProviderFault(f"{label} answered HTTP {status}" + (f": {detail}" if detail else ""),
                         retryable=status >= 500 or status == 429)
