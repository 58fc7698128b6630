"""Provider adapter for the Tax Bureau's JSON/HTTP clearance API (httpx).

The bureau's shape (``tin``, ``state`` codes, ``debt.amountCents``, an ``issued``
timestamp) is translated by two pure functions, :func:`query_to_request` and
:func:`response_to_clearance`; the adapter class moves the messages and turns
httpx and JSON errors into ours.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

import httpx

from adapters.errors import (
    MappingError,
    ProviderFault,
    ProviderResponseInvalid,
    ProviderUnavailable,
)
from contracts import Contract
from contracts.errors import ContractError, FieldIssue
from contracts.tax import ClearanceStatus, TaxClearance, TaxClearanceQuery
from contracts.validation import validate_contract

CORRELATION_HEADER = "X-Correlation-Id"

STATE_CODES: Mapping[str, ClearanceStatus] = MappingProxyType({
    "OK": ClearanceStatus.CLEARED,
    "DEBT": ClearanceStatus.OUTSTANDING,
    "REVIEW": ClearanceStatus.UNDER_REVIEW,
})

# Contract field → where it comes from in the bureau's JSON (a JSON Pointer).
_SOURCE = {
    "national_id": "/tin",
    "tax_year": "/year",
    "status": "/state",
    "outstanding_amount": "/debt/amountCents",
    "currency": "/debt/ccy",
    "issued_on": "/issued",
}


# ---------------------------------------------------------------- pure mapping


def query_to_request(query: TaxClearanceQuery) -> tuple[str, dict[str, str]]:
    """The bureau's path and query parameters for a clearance query."""
    return (
        f"/v2/taxpayers/{quote(query.national_id, safe='')}/clearance",
        {"year": str(query.tax_year)},
    )


def response_to_clearance(body: Any) -> TaxClearance:
    """Map the bureau's decoded JSON answer onto ``tax.clearance``.

    Raises :class:`MappingError` (issues as JSON Pointers into the answer, e.g.
    ``/state`` for an unknown code) when the answer cannot be read, and
    :class:`ContractError` (same pointers) when the mapped data violates the contract.
    """
    if not isinstance(body, Mapping):
        raise MappingError("answer is not a JSON object", issues=(
            FieldIssue(path="$", reason=f"expected an object, got {type(body).__name__}",
                       code="type"),))
    issues: list[FieldIssue] = []
    debt = body.get("debt")
    if isinstance(debt, Mapping):
        amount, currency = _cents(debt.get("amountCents"), issues), debt.get("ccy")
    else:
        issues.append(FieldIssue(path="/debt", reason="debt object is missing", code="missing",
                                 field="outstanding_amount"))
        amount = currency = None
    data = {
        "national_id": body.get("tin"),
        "tax_year": body.get("year"),
        "status": _status(body.get("state"), issues),
        "outstanding_amount": amount,
        "currency": currency,
        "issued_on": _issued_on(body.get("issued"), issues),
    }
    if issues:
        raise MappingError(f"{len(issues)} unreadable field(s) in the answer",
                           issues=tuple(issues))
    try:
        return validate_contract(TaxClearance, data)
    except ContractError as exc:
        raise ContractError(exc.contract, "answer violates the contract", issues=tuple(
            FieldIssue(path=_SOURCE.get(i.field or "", "$"), reason=i.reason, code=i.code,
                       field=i.field)
            for i in exc.issues
        )) from None


def _status(code: Any, issues: list[FieldIssue]) -> ClearanceStatus | None:
    status = STATE_CODES.get(code) if isinstance(code, str) else None
    if status is None:
        expected = ", ".join(STATE_CODES)
        issues.append(FieldIssue(path="/state", reason=f"unknown state code {code!r}; "
                                 f"expected one of {expected}", code="unknown-code",
                                 field="status"))
    return status


def _cents(value: Any, issues: list[FieldIssue]) -> Decimal | None:
    # bool is an int subclass; true/false here is a structural error, not 1 or 0 cents.
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value).scaleb(-2)  # exact, always two decimal places
    issues.append(FieldIssue(path="/debt/amountCents",
                             reason=f"{value!r} is not a whole number of cents",
                             code="missing" if value is None else "type",
                             field="outstanding_amount"))
    return None


def _issued_on(value: Any, issues: list[FieldIssue]) -> dt.date | None:
    try:
        issued = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        issues.append(FieldIssue(path="/issued", reason=f"{value!r} is not an ISO 8601 timestamp",
                                 code="missing" if value is None else "malformed",
                                 field="issued_on"))
        return None
    # The bureau issues in UTC; an offset, if any, is normalised so the day is the UTC day.
    return issued.astimezone(dt.UTC).date() if issued.tzinfo else issued.date()


# ---------------------------------------------------------------- the adapter


class TaxJsonAdapter:
    """Calls the tax bureau's clearance API and answers ``tax.clearance``."""

    request_contract = TaxClearanceQuery
    response_contract = TaxClearance

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self._timeout = timeout
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout,
                                       headers={"Accept": "application/json"})

    async def call(self, request: Contract, *, correlation_id: str) -> TaxClearance:
        """Ask the bureau for the query's clearance; raises only :class:`ProviderError`."""
        if not isinstance(request, TaxClearanceQuery):
            raise TypeError(f"expected TaxClearanceQuery, got {type(request).__name__}")
        path, params = query_to_request(request)
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._http.get(
                    path, params=params, headers={CORRELATION_HEADER: correlation_id})
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise ProviderUnavailable(
                f"tax bureau did not answer within {self._timeout}s") from exc
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(
                f"tax bureau cannot be reached: {type(exc).__name__} {exc}") from exc
        if response.status_code != 200:
            raise _status_error(response)
        return _decode(response.content, request)

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> TaxJsonAdapter:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _status_error(response: httpx.Response) -> ProviderFault:
    """An HTTP error status as a fault; only server-side trouble is worth retrying."""
    try:
        detail = json.loads(response.content).get("error")
    except (ValueError, AttributeError):
        detail = None
    status = response.status_code
    return ProviderFault(
        f"tax bureau answered HTTP {status}" + (f": {detail}" if detail else ""),
        retryable=status >= 500 or status == 429,
    )


def _decode(content: bytes, query: TaxClearanceQuery) -> TaxClearance:
    try:
        body = json.loads(content)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        raise ProviderResponseInvalid(
            f"tax bureau answer is not JSON: {exc}",
            issues=(FieldIssue(path="$", reason="not valid JSON", code="malformed"),),
        ) from exc
    try:
        clearance = response_to_clearance(body)
    except (MappingError, ContractError) as exc:
        raise ProviderResponseInvalid(
            f"tax bureau answer does not map onto {TaxClearance.contract_id()}: {exc.message}",
            issues=exc.issues,
        ) from exc
    if (clearance.national_id, clearance.tax_year) != (query.national_id, query.tax_year):
        raise ProviderResponseInvalid(
            "tax bureau answered about another taxpayer or year",
            issues=(FieldIssue(path="/tin", reason="tin/year do not match the query",
                               code="mismatch", field="national_id"),),
        )
    return clearance
