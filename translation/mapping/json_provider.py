"""Provider adapter for a JSON/HTTP department service, driven by its mapping file.

Per call: the compiled mapping encodes the request contract into the request
document, the route renders it as ``METHOD /path?query`` (and a body for
methods that have one), the pooled provider client sends it with
``X-Correlation-Id``; a 200 answer is parsed — and validated against the
mapping's JSON Schema when it has one — in one pydantic-core pass, then mapped
onto the response contract.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from contracts import Contract
from contracts.errors import ContractError
from translation.errors import (
    AdapterError,
    MappingError,
    SchemaViolation,
)
from translation.mapping.compiled import CompiledMapping, load_mapping
from translation.mapping.errors import ProviderRequestInvalid
from translation.mapping.json_plan import JsonSection
from translation.mapping.json_route import JsonRoute
from translation.mapping.provider_base import CORRELATION_HEADER, HttpMappingProvider
from translation.provider_auth import NO_AUTH, ProviderAuth
from translation.provider_http import ProviderHttp


class JsonMappingProvider(HttpMappingProvider):
    """Calls one JSON/HTTP service through a compiled mapping (``json-mapping`` kind)."""

    def __init__(self, mapping: CompiledMapping, base_url: str, *, timeout: float = 10.0,
                 auth: ProviderAuth = NO_AUTH) -> None:
        if mapping.route is None:
            raise ValueError(f"{mapping.name}: not a JSON mapping")
        super().__init__(
            mapping,
            # auth: TLS trust and client certificate, Basic (translation.provider_auth)
            ProviderHttp(base_url=base_url, headers={"Accept": "application/json", **auth.headers},
                         ssl_context=auth.ssl),
            timeout=timeout, label=f"{mapping.name} (JSON)",
        )
        self._route: JsonRoute = mapping.route
        self._request: JsonSection[Contract] = mapping.request  # type: ignore[assignment]
        self._response: JsonSection[Contract] = mapping.response  # type: ignore[assignment]

    @classmethod
    async def connect(
        cls, mapping: CompiledMapping | Path | str, base_url: str, *,
        timeout: float = 10.0,  # noqa: ASYNC109 - configures the client for every call
        auth: ProviderAuth = NO_AUTH,
    ) -> JsonMappingProvider:
        """Load the mapping (off the event loop) and bind it to ``base_url``."""
        if not isinstance(mapping, CompiledMapping):
            mapping = await asyncio.to_thread(load_mapping, mapping)
        return cls(mapping, base_url, timeout=timeout, auth=auth)

    async def call(self, request: Contract, *, correlation_id: str) -> Contract:
        """Encode, send, decode; raises only :class:`ProviderError` subclasses."""
        target, body = self._encode(request)
        headers = {CORRELATION_HEADER: correlation_id}
        if body is not None:
            headers["Content-Type"] = "application/json"
        response = await self._send(self._http.request(
            self._route.method, target, content=body, headers=headers))
        return self._answering(request, self.decode_response(response.status_code,
                                                             response.content))

    def _encode(self, request: Contract) -> tuple[str, bytes | None]:
        self._check_request_type(request)
        try:
            return self._route.render(self._request.encode(request))
        except (MappingError, SchemaViolation) as exc:
            raise ProviderRequestInvalid(f"{self._label}: the request cannot be sent: "
                                         f"{exc.message}", issues=exc.issues) from exc

    def decode_response(self, status: int, content: bytes) -> Contract:
        """An HTTP answer as the response contract, or the :class:`ProviderError` it means."""
        if status != 200:
            raise self._status_fault(status, _error_detail(content))
        try:
            return self._response.decode_bytes(content)
        except (AdapterError, ContractError) as exc:
            raise self._unmappable(exc) from exc


def _error_detail(content: bytes) -> str | None:
    """The ``error`` member of a JSON error body, when there is one."""
    try:
        detail = json.loads(content).get("error")
    except (ValueError, AttributeError):
        return None
    return str(detail) if detail else None
