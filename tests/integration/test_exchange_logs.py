"""Structured logs: every line of an exchange carries its correlation id and context."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import structlog
from structlog.testing import LogCapture

from hub.settings import HubSettings
from tests.integration.hub_fixtures import PURPOSE, running_region


@pytest.fixture
def captured() -> Iterator[LogCapture]:
    """Capture structured log entries, with context variables merged as in production."""
    capture = LogCapture()
    old = structlog.get_config()
    structlog.configure(processors=[structlog.contextvars.merge_contextvars, capture])
    try:
        yield capture
    finally:
        structlog.configure(**old)


async def test_exchange_log_lines_carry_correlation_region_department_contract(
    hub_settings: HubSettings, captured: LogCapture
) -> None:
    """Ingress and delivery log lines of one exchange are bound to the same context."""
    async with running_region(hub_settings) as region:
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.post(
                f"{region.hub.http_url}/services/north/tax/tax-clearance",
                content=json.dumps({"national_id": "19800101-1234", "tax_year": 2025}),
                headers={"X-Hub-Purpose": PURPOSE,
                         "X-Hub-Client": "north/social-security", "X-Correlation-Id": "log-1"},
            )
        assert response.status_code == 200
    lines = [e for e in captured.entries if e.get("correlation_id") == "log-1"]
    events = {e["event"] for e in lines}
    assert {"exchange accepted", "exchange responded"} <= events
    for entry in lines:
        assert entry["region"] == "north"
        assert entry["department"] == "tax"
        assert entry["contract"].startswith("tax.clearance")
