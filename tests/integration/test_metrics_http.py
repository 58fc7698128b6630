"""A running hub keeps its read models live and serves them at /metrics (Prometheus text)."""

from __future__ import annotations

import json

import httpx
from prometheus_client.parser import text_string_to_metric_families

from hub.settings import HubSettings
from tests.integration.hub_fixtures import auth_headers, running_region
from tests.waiting import wait_until_async

SS = "north/social-security/contribution-history"
QUERY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}
LABELS = {"region": "north", "department": "social-security", "service": "contribution-history"}


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
           **more: str) -> float | None:  # fmt: skip
    return samples.get((name, tuple(sorted({**LABELS, **more}.items()))))


async def test_metrics_follow_exchanges_while_the_hub_runs(hub_settings: HubSettings) -> None:
    """After one answered and one refused query, /metrics counts both without a replay."""
    async with running_region(hub_settings) as region, httpx.AsyncClient(timeout=30) as http:
        url = region.hub.http_url
        headers = auth_headers(region.hub, "north/tax", **{"Content-Type": "application/json"})
        ok = await http.post(f"{url}/services/{SS}", content=json.dumps(QUERY), headers=headers)
        bad = await http.post(f"{url}/services/{SS}", content=b'{"national_id": ', headers=headers)
        assert (ok.status_code, bad.status_code) == (200, 400)
        # The first query's Completed is recorded after its answer is written, so it may
        # come before or after the second's refusal: wait for both.
        async def counts_both() -> httpx.Response | None:
            response = await http.get(f"{url}/metrics")
            samples = _samples(response.text)
            done = (_value(samples, "interop_hub_exchanges_total", outcome="completed") == 1
                    and _value(samples, "interop_hub_exchanges_received_total") == 2)
            return response if done else None

        response = await wait_until_async(  # the follower polls every 0.25 s
            counts_both, timeout_s=5,
            message="/metrics counting one completed and one refused exchange")
        samples = _samples(response.text)
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert _value(samples, "interop_hub_exchanges_received_total") == 2
        assert _value(samples, "interop_hub_exchanges_total", outcome="completed") == 1
        assert _value(samples, "interop_hub_rejections_total", reason="json-invalid") == 1
        assert _value(samples, "interop_hub_service_time_limit_seconds") == 2.0
        assert _value(samples, "interop_hub_exchange_latency_seconds_count") == 1
        services = {s["service"]: s for s in (await http.get(f"{url}/metrics/services")).json()}
        assert services[SS]["volume"] == 2
        assert services[SS]["rejections"] == {"json-invalid": 1}


def _series(text: str) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
    return set(_samples(text))


async def _settled(http: httpx.AsyncClient, url: str, volume: int) -> str:
    """/metrics once the unknown service's volume reached ``volume`` (bounded wait)."""
    unknown = {"region": "unknown", "department": "unknown", "service": "unknown"}
    key = ("interop_hub_exchanges_received_total", tuple(sorted(unknown.items())))

    async def volume_reached() -> str | None:
        text = (await http.get(f"{url}/metrics")).text
        return text if _samples(text).get(key) == volume else None

    return await wait_until_async(  # the follower polls every 0.25 s
        volume_reached, timeout_s=10, message=f"the unknown service's volume reaching {volume}")


async def test_strangers_cannot_add_series(hub_settings: HubSettings) -> None:
    """Requests naming services nobody configured (NUL bytes included), with or without a
    token, count under one "unknown" service: the series do not grow with distinct paths."""
    async with running_region(hub_settings) as region, httpx.AsyncClient(timeout=30) as http:
        url = region.hub.http_url
        token = auth_headers(region.hub, "north/tax", **{"Content-Type": "application/json"})

        async def bogus(i: int) -> None:
            paths = (f"north/anything-{i}/x", f"north/a%00b{i}/x", f"south/dept-{i}/svc-{i}")
            for path in paths:
                answer = await http.post(f"{url}/services/{path}", content=b"{}",
                                         headers=token if i % 2 else {})
                assert 400 <= answer.status_code < 500, (path, answer.text)

        await bogus(0)
        await bogus(1)  # with and without a token: each refusal code seen once
        before = _series(await _settled(http, url, 6))
        for i in range(2, 42):
            await bogus(i)
        text = await _settled(http, url, 3 * 42)
        after = _series(text)
        assert after == before, sorted(after - before)
        assert "\x00" not in text and "\\x00" not in text
        labels = {dict(labels).get("department") for _, labels in after} - {None}
        assert labels <= {"social-security", "tax", "unknown"}, labels
        listed = {s["service"] for s in (await http.get(f"{url}/metrics/services")).json()}
        assert "unknown" in listed and not any("anything" in s for s in listed)
