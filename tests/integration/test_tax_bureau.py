"""The emulated tax bureau served over real HTTP, called through its declarative mapping."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contracts.tax import ClearanceStatus, TaxClearanceQuery
from hub.entrypoints.http.asgi_server import serve_asgi
from simulations.departments import TAX_MAPPING
from simulations.tax_bureau import TaxBehaviour, create_app
from translation.errors import ProviderFault, ProviderResponseInvalid, ProviderUnavailable
from translation.mapping import load_mapping
from translation.mapping.compiled import CompiledMapping
from translation.mapping.json_provider import JsonMappingProvider


def query(national_id: str = "19751224-5678", year: int = 2024) -> TaxClearanceQuery:
    return TaxClearanceQuery(national_id=national_id, tax_year=year)


@pytest.fixture(scope="module")
def mapping() -> CompiledMapping:
    return load_mapping(TAX_MAPPING)


@pytest.fixture
def behaviour() -> TaxBehaviour:
    return TaxBehaviour()


@pytest.fixture
async def bureau_url(behaviour: TaxBehaviour) -> AsyncIterator[str]:
    async with serve_asgi(create_app(behaviour), name="tax-bureau") as url:
        yield url


@pytest.fixture
async def adapter(bureau_url: str, mapping: CompiledMapping
                  ) -> AsyncIterator[JsonMappingProvider]:
    async with JsonMappingProvider(mapping, bureau_url, timeout=2.0) as connected:
        yield connected


def canned(body: Any, status: int = 200) -> Starlette:
    """A stand-in bureau answering every clearance request with ``body``."""
    async def answer(_request: Request) -> Response:
        return Response(json.dumps(body).encode(), status, media_type="application/json")

    return Starlette(routes=[Route("/v2/taxpayers/{tin}/clearance", answer)])


ANSWER = {"tin": "19751224-5678", "year": 2024, "state": "DEBT",
          "debt": {"amountCents": 98050, "ccy": "EUR"}, "issued": "2026-11-28T10:00:00Z"}


async def test_answer_is_mapped_into_the_contract(
    adapter: JsonMappingProvider, behaviour: TaxBehaviour
) -> None:
    """A taxpayer with debt comes back as an outstanding TaxClearance issued today."""
    clearance = await adapter.call(query(), correlation_id="corr-tax-1")
    assert clearance.status is ClearanceStatus.OUTSTANDING
    assert clearance.outstanding_amount == Decimal("980.50")
    assert clearance.currency == "EUR"
    assert abs(clearance.issued_on - dt.datetime.now(dt.UTC).date()) <= dt.timedelta(days=1)
    assert list(behaviour.correlation_ids) == ["corr-tax-1"]


async def test_connect_loads_the_mapping_file(bureau_url: str) -> None:
    """connect() compiles the mapping file off the event loop and calls through it."""
    async with await JsonMappingProvider.connect(TAX_MAPPING, bureau_url) as adapter:
        assert (await adapter.call(query(), correlation_id="c")).tax_year == 2024


@pytest.mark.parametrize(
    ("national_id", "year", "status"),
    [
        ("19800101-1234", 2024, ClearanceStatus.CLEARED),
        ("19920315-2468", 2025, ClearanceStatus.UNDER_REVIEW),
        ("19990909-4321", 2023, ClearanceStatus.CLEARED),
    ],
)
async def test_states_come_back_per_taxpayer_and_year(
    adapter: JsonMappingProvider, national_id: str, year: int, status: ClearanceStatus
) -> None:
    """The seeded state of each taxpayer and year maps onto its clearance status."""
    assert (await adapter.call(query(national_id, year), correlation_id="c")).status is status


async def test_unknown_taxpayer_is_a_non_retryable_fault(adapter: JsonMappingProvider) -> None:
    """HTTP 404 'unknown taxpayer' becomes ProviderFault(retryable=False)."""
    with pytest.raises(ProviderFault) as caught:
        await adapter.call(query("19000101-0000"), correlation_id="c")
    assert caught.value.retryable is False
    assert "unknown taxpayer" in caught.value.message


async def test_year_the_bureau_refuses_is_a_non_retryable_fault(
    adapter: JsonMappingProvider,
) -> None:
    """A contract-valid year the bureau does not serve is HTTP 400: ProviderFault, not retried."""
    with pytest.raises(ProviderFault) as caught:
        await adapter.call(query(year=1950), correlation_id="c")
    assert caught.value.retryable is False
    assert "400" in caught.value.message


async def test_server_error_is_retryable_and_passes(
    adapter: JsonMappingProvider, behaviour: TaxBehaviour
) -> None:
    """An injected 503 is ProviderFault(retryable=True); the next call succeeds."""
    behaviour.server_errors_next = 1
    with pytest.raises(ProviderFault) as caught:
        await adapter.call(query(), correlation_id="c")
    assert caught.value.retryable is True
    assert (await adapter.call(query(), correlation_id="c")).tax_year == 2024


async def test_garbage_answer_is_invalid(adapter: JsonMappingProvider,
                                         behaviour: TaxBehaviour) -> None:
    """Non-JSON with HTTP 200 (even labelled application/json) becomes ProviderResponseInvalid."""
    behaviour.garbage_next = 1
    with pytest.raises(ProviderResponseInvalid) as caught:
        await adapter.call(query(), correlation_id="c")
    assert [(issue.path, issue.code) for issue in caught.value.issues] == [
        ("$", "not-well-formed")]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"state": "FROZEN"}, "/state"),
        ({"debt": {"amountCents": "980.50", "ccy": "EUR"}}, "/debt/amountCents"),
        ({"debt": {"amountCents": 100, "ccy": "euro"}}, "/debt/ccy"),
        ({"issued": "28.11.2026"}, "/issued"),
    ],
    ids=["unknown-code", "schema", "contract", "timestamp"],
)
async def test_unusable_answer_names_the_bureau_member(
    mapping: CompiledMapping, change: dict[str, Any], path: str
) -> None:
    """An answer that fails schema, transform or contract is refused at its JSON Pointer."""
    async with serve_asgi(canned({**ANSWER, **change})) as url, \
            JsonMappingProvider(mapping, url) as adapter:
        with pytest.raises(ProviderResponseInvalid) as caught:
            await adapter.call(query(), correlation_id="c")
    assert [issue.path for issue in caught.value.issues] == [path]


async def test_answer_about_another_year_is_invalid(mapping: CompiledMapping) -> None:
    """[response.match]: an answer for another tax year than asked is refused."""
    async with serve_asgi(canned({**ANSWER, "year": 2023})) as url, \
            JsonMappingProvider(mapping, url) as adapter:
        with pytest.raises(ProviderResponseInvalid) as caught:
            await adapter.call(query(), correlation_id="c")
    assert [(i.path, i.code) for i in caught.value.issues] == [("/year", "mismatch")]


async def test_too_many_requests_is_retryable(mapping: CompiledMapping) -> None:
    """HTTP 429 is a retryable ProviderFault."""
    async with serve_asgi(canned({"error": "slow down"}, 429)) as url, \
            JsonMappingProvider(mapping, url) as adapter:
        with pytest.raises(ProviderFault) as caught:
            await adapter.call(query(), correlation_id="c")
    assert caught.value.retryable is True
    assert "slow down" in caught.value.message


async def test_slow_bureau_is_unavailable(bureau_url: str, behaviour: TaxBehaviour,
                                          mapping: CompiledMapping) -> None:
    """An answer slower than the adapter's timeout becomes ProviderUnavailable."""
    behaviour.delay_s = 0.5
    async with JsonMappingProvider(mapping, bureau_url, timeout=0.15) as impatient:
        with pytest.raises(ProviderUnavailable):
            await impatient.call(query(), correlation_id="c")


async def test_stopped_bureau_is_unavailable(mapping: CompiledMapping) -> None:
    """A bureau that is no longer listening refuses connections: ProviderUnavailable."""
    async with serve_asgi(create_app()) as url:
        pass
    async with JsonMappingProvider(mapping, url, timeout=1.0) as adapter:
        with pytest.raises(ProviderUnavailable):
            await adapter.call(query(), correlation_id="c")
