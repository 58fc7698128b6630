"""The emulated tax bureau served over real HTTP, called through the JSON adapter."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from adapters.errors import ProviderFault, ProviderResponseInvalid, ProviderUnavailable
from adapters.tax_json import TaxJsonAdapter
from contracts.tax import ClearanceStatus, TaxClearanceQuery
from hub.entrypoints.asgi_server import serve_asgi
from simulations.tax_bureau import TaxBehaviour, create_app


def query(national_id: str = "19751224-5678", year: int = 2024) -> TaxClearanceQuery:
    return TaxClearanceQuery(national_id=national_id, tax_year=year)


@pytest.fixture
def behaviour() -> TaxBehaviour:
    return TaxBehaviour()


@pytest.fixture
async def bureau_url(behaviour: TaxBehaviour) -> AsyncIterator[str]:
    async with serve_asgi(create_app(behaviour), name="tax-bureau") as url:
        yield url


@pytest.fixture
async def adapter(bureau_url: str) -> AsyncIterator[TaxJsonAdapter]:
    async with TaxJsonAdapter(bureau_url, timeout=2.0) as connected:
        yield connected


async def test_answer_is_mapped_into_the_contract(
    adapter: TaxJsonAdapter, behaviour: TaxBehaviour
) -> None:
    """A taxpayer with debt comes back as an outstanding TaxClearance issued today."""
    clearance = await adapter.call(query(), correlation_id="corr-tax-1")
    assert clearance.status is ClearanceStatus.OUTSTANDING
    assert clearance.outstanding_amount == Decimal("980.50")
    assert clearance.currency == "EUR"
    assert abs(clearance.issued_on - dt.datetime.now(dt.UTC).date()) <= dt.timedelta(days=1)
    assert list(behaviour.correlation_ids) == ["corr-tax-1"]


@pytest.mark.parametrize(
    ("national_id", "year", "status"),
    [
        ("19800101-1234", 2024, ClearanceStatus.CLEARED),
        ("19920315-2468", 2025, ClearanceStatus.UNDER_REVIEW),
        ("19990909-4321", 2023, ClearanceStatus.CLEARED),
    ],
)
async def test_states_come_back_per_taxpayer_and_year(
    adapter: TaxJsonAdapter, national_id: str, year: int, status: ClearanceStatus
) -> None:
    """The seeded state of each taxpayer and year maps onto its clearance status."""
    assert (await adapter.call(query(national_id, year), correlation_id="c")).status is status


async def test_unknown_taxpayer_is_a_non_retryable_fault(adapter: TaxJsonAdapter) -> None:
    """HTTP 404 'unknown taxpayer' becomes ProviderFault(retryable=False)."""
    with pytest.raises(ProviderFault) as caught:
        await adapter.call(query("19000101-0000"), correlation_id="c")
    assert caught.value.retryable is False
    assert "unknown taxpayer" in caught.value.message


async def test_year_the_bureau_refuses_is_a_non_retryable_fault(adapter: TaxJsonAdapter) -> None:
    """A contract-valid year the bureau does not serve is HTTP 400: ProviderFault, not retried."""
    with pytest.raises(ProviderFault) as caught:
        await adapter.call(query(year=1950), correlation_id="c")
    assert caught.value.retryable is False
    assert "400" in caught.value.message


async def test_server_error_is_retryable_and_passes(
    adapter: TaxJsonAdapter, behaviour: TaxBehaviour
) -> None:
    """An injected 503 is ProviderFault(retryable=True); the next call succeeds."""
    behaviour.server_errors_next = 1
    with pytest.raises(ProviderFault) as caught:
        await adapter.call(query(), correlation_id="c")
    assert caught.value.retryable is True
    assert (await adapter.call(query(), correlation_id="c")).tax_year == 2024


async def test_garbage_answer_is_invalid(adapter: TaxJsonAdapter, behaviour: TaxBehaviour) -> None:
    """Non-JSON with HTTP 200 (even labelled application/json) becomes ProviderResponseInvalid."""
    behaviour.garbage_next = 1
    with pytest.raises(ProviderResponseInvalid):
        await adapter.call(query(), correlation_id="c")


async def test_slow_bureau_is_unavailable(bureau_url: str, behaviour: TaxBehaviour) -> None:
    """An answer slower than the adapter's timeout becomes ProviderUnavailable."""
    behaviour.delay_s = 0.5
    async with TaxJsonAdapter(bureau_url, timeout=0.15) as impatient:
        with pytest.raises(ProviderUnavailable):
            await impatient.call(query(), correlation_id="c")


async def test_stopped_bureau_is_unavailable() -> None:
    """A bureau that is no longer listening refuses connections: ProviderUnavailable."""
    async with serve_asgi(create_app()) as url:
        pass
    async with TaxJsonAdapter(url, timeout=1.0) as adapter:
        with pytest.raises(ProviderUnavailable):
            await adapter.call(query(), correlation_id="c")
