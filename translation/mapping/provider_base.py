"""What every mapping-driven HTTP provider shares: sending, and reading the answer's fate.

The SOAP and JSON providers differ in how they encode and decode; how a call
times out, how an unreachable provider, an error status, an answer that does
not map, or an answer about another question are reported is the same, and
lives here once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Self, TypeVar

from contracts import Contract
from contracts.errors import ContractError
from translation.errors import (
    AdapterError,
    ProviderAuthRefused,
    ProviderFault,
    ProviderResponseInvalid,
    ProviderTlsFailed,
    ProviderUnavailable,
)
from translation.mapping.compiled import CompiledMapping
from translation.provider_http import ClientError, ProviderHttp, TlsError

CORRELATION_HEADER = "X-Correlation-Id"
T = TypeVar("T")


class HttpMappingProvider:
    """Base of the mapping providers: one compiled mapping, one HTTP client, one label."""

    def __init__(self, mapping: CompiledMapping, http: ProviderHttp, *, timeout: float,
                 label: str) -> None:
        self.mapping = mapping
        self.request_contract = mapping.request_contract
        self.response_contract = mapping.response_contract
        self._http = http
        self._timeout = timeout
        self._label = label

    async def _send(self, request: Awaitable[T]) -> T:
        """Await one HTTP exchange; timeouts and transport errors become ProviderUnavailable."""
        try:
            async with asyncio.timeout(self._timeout):
                return await request
        except TimeoutError as exc:
            raise ProviderUnavailable(
                f"{self._label}: no answer within {self._timeout}s") from exc
        except TlsError as exc:
            raise ProviderTlsFailed(f"{self._label}: the TLS handshake failed (is the "
                                    f"provider's certificate issued by the pinned CA, for this "
                                    f"host name?): {exc}") from exc
        except (ClientError, OSError) as exc:
            raise ProviderUnavailable(
                f"{self._label}: cannot be reached: {type(exc).__name__} {exc}") from exc

    def _check_request_type(self, request: Contract) -> None:
        if not isinstance(request, self.request_contract):
            raise TypeError(f"expected {self.request_contract.__name__}, "
                            f"got {type(request).__name__}")

    def _answering(self, request: Contract, answer: Contract) -> Contract:
        """``answer``, unless it is about another person or year than ``request`` asked."""
        mismatch = self.mapping.mismatches(request, answer)
        if mismatch:
            raise ProviderResponseInvalid(f"{self._label}: the answer does not match the "
                                          f"question: {mismatch[0].reason}", issues=mismatch)
        return answer

    def _unmappable(self, exc: AdapterError | ContractError) -> ProviderResponseInvalid:
        """The answer was received but does not map onto the response contract."""
        return ProviderResponseInvalid(
            f"{self._label}: the answer does not map onto "
            f"{self.response_contract.contract_id()}: {exc.message}",
            issues=exc.issues)

    def _status_fault(self, status: int, detail: str | None = None) -> ProviderFault:
        return status_fault(self._label, status, detail)

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def status_fault(label: str, status: int, detail: str | None = None) -> ProviderFault:
    """An HTTP error status as a fault; only server-side trouble is worth retrying."""
    if status in (401, 403):
        return ProviderAuthRefused(f"{label} refused the hub's credentials (HTTP {status})"
                                   + (f": {detail}" if detail else "")
                                   + "; check the service's auth in services.toml and the "
                                   "secret stored with 'interop-hub provider-secret set'")
    return ProviderFault(f"{label} answered HTTP {status}" + (f": {detail}" if detail else ""),
                         retryable=status >= 500 or status == 429)
