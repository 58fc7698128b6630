"""The portal is notified of every change of its cases by a signed webhook, retried with
backoff and bounded, durably: what a stopped hub had not delivered is delivered after it
starts again, each change under the same delivery id; a portal that is down holds up only
its own notifications, and a delivery given up is recorded. The receivers are real HTTP
servers on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.adapters.nats.server import free_port
from hub.adapters.webhooks import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookSender,
    signature,
)
from hub.domain.case_notice import CaseNotice
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.settings import HubSettings
from tests.integration.hub_fixtures import auth_headers, running_region
from tests.integration.test_case_engine import RELOCATION
from tests.integration.test_case_exchanges import CASE_TYPE
from tests.waiting import wait_until_async

SECRET = "portal-shared-secret"


@dataclass
class Receiver:
    """A portal's webhook endpoint: refuses the first ``failures`` deliveries with 503."""

    failures: int = 0
    url: str = ""
    seen: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        status = 503 if len(self.seen) < self.failures else 200
        self.seen.append((dict(request.headers), body, status))
        return Response(status_code=status)

    def delivered(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body, status in self.seen if status == 200]


    def delivery_ids(self) -> list[str]:
        return [headers[DELIVERY_HEADER.lower()] for headers, _, status in self.seen
                if status == 200]


@contextlib.asynccontextmanager
async def receiving(failures: int = 0, port: int = 0,
                    receiver: Receiver | None = None) -> AsyncIterator[Receiver]:
    receiver = receiver or Receiver(failures)
    app = Starlette(routes=[Route("/hook", receiver.hook, methods=["POST"])])
    async with serve_asgi(app, name="portal-hook", port=port) as url:
        receiver.url = f"{url}/hook"
        yield receiver


def _cases_settings(hub_settings: HubSettings, tmp_path: Path,
                    hooks: dict[str, str], **more: Any) -> HubSettings:
    folder = tmp_path / "cases"
    folder.mkdir(exist_ok=True)
    (folder / "benefit-check.toml").write_text(CASE_TYPE)
    return hub_settings.model_copy(update={
        "cases": folder, "case_webhook_backoff_s": 0.05,
        "case_webhooks": {d: {"url": url, "secret": SECRET} for d, url in hooks.items()},
        **more})


async def _file(client: httpx.AsyncClient, hub: Any, portal: str) -> str:
    filed = await client.post("/cases", headers=auth_headers(hub, portal),
                              json={"case_type": "benefit-check@1.0",
                                    "application": RELOCATION})
    assert filed.status_code == 201, filed.text
    return str(filed.json()["case_id"])


def _version(hub: Any, case_id: str) -> int:
    """How many events the case has in the ledger now."""
    return int(hub.ledger.repository.get(UUID(case_id)).version)


def _all_delivered(receiver: Receiver, hub: Any, case_id: str) -> bool:
    """Every change of the case so far delivered once, in order (and nothing else)."""
    versions = [d["version"] for d in receiver.delivered() if d["case_id"] == case_id]
    return versions == list(range(1, _version(hub, case_id) + 1))


def _verified(headers: dict[str, str], body: bytes) -> bool:
    expected = signature(SECRET, headers[TIMESTAMP_HEADER.lower()], body)
    return hmac.compare_digest(headers[SIGNATURE_HEADER.lower()], expected)


async def test_every_change_reaches_the_portal_signed_after_retries(
        hub_settings: HubSettings, tmp_path: Path) -> None:
    async with receiving(failures=2) as receiver:
        settings = _cases_settings(hub_settings, tmp_path, {"north/portal": receiver.url})
        async with running_region(settings) as region:
            hub = region.hub
            async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
                filed = await client.post("/cases", headers=auth_headers(hub, "north/portal"),
                                          json={"case_type": "benefit-check@1.0",
                                                "application": RELOCATION})
                assert filed.status_code == 201, filed.text
                case_id = filed.json()["case_id"]
                await wait_until_async(lambda: len(receiver.delivered()) >= 2, timeout_s=20)
                decided = await client.post(
                    f"/cases/steps/{case_id}.contributions/decision",
                    headers=auth_headers(hub, "north/social-security"),
                    json={"national_id": RELOCATION["national_id"],
                          "outcome": "refused", "reference": "SS-4", "reason": "not insured"})
                assert decided.status_code == 200, decided.text
                await wait_until_async(lambda: any(d["change"] == "case.refused"
                                             for d in receiver.delivered()), timeout_s=20)
    first = receiver.seen[:3]
    # The first change was refused twice, then delivered: the same body, attempts 1..3.
    assert [status for _, _, status in first] == [503, 503, 200]
    assert len({body for _, body, _ in first}) == 1
    assert [h["x-hub-attempt"] for h, _, _ in first] == ["1", "2", "3"]
    assert len({h["x-hub-delivery"] for h, _, _ in first}) == 1  # one delivery, one id
    assert all(_verified(h, body) for h, body, _ in receiver.seen)
    changes = [d["change"] for d in receiver.delivered()]
    assert changes[0] == "case.submitted" and "case.step-requested" in changes
    assert changes[-2:] == ["case.step-decided", "case.refused"]
    versions = [d["version"] for d in receiver.delivered()]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    last = receiver.delivered()[-1]
    assert last["case_id"] == case_id and last["progress"]["status"] == "refused"
    assert last["progress"]["steps"][0]["reason"] == "not insured"
    text = b"".join(body for _, body, _ in receiver.seen).decode()
    assert RELOCATION["national_id"] not in text and RELOCATION["family_name"] not in text


async def test_a_delivery_is_retried_a_bounded_number_of_times() -> None:
    async with receiving(failures=100) as receiver:
        sender = WebhookSender(attempts=3, backoff_s=0.01)
        try:
            delivery = await sender.post(receiver.url, SECRET, b'{"n": 1}', event="test",
                                         delivery_id="d.1", stop=asyncio.Event())
        finally:
            await sender.aclose()
    assert (delivery.delivered, delivery.attempts, delivery.problem) == (
        False, 3, "answered 503")
    assert len(receiver.seen) == 3


async def test_an_unreachable_portal_is_given_up_after_the_attempts() -> None:
    sender = WebhookSender(attempts=2, backoff_s=0.01, timeout_s=2)
    try:
        delivery = await sender.post(f"http://127.0.0.1:{free_port()}/hook", SECRET, b"{}",
                                     event="test", delivery_id="d.1", stop=asyncio.Event())
    finally:
        await sender.aclose()
    assert not delivery.delivered and delivery.attempts == 2
    assert delivery.problem.startswith("ConnectError")


async def test_what_a_stopped_hub_did_not_deliver_is_delivered_after_its_restart(
        hub_settings: HubSettings, tmp_path: Path) -> None:
    """The portal refuses while the hub runs; the hub stops with the changes recorded but
    undelivered; started again, it delivers every change, in order, under the same ids."""
    async with receiving(failures=10_000) as receiver:
        settings = _cases_settings(hub_settings, tmp_path, {"north/portal": receiver.url},
                                   case_webhook_attempts=50)
        async with running_region(settings) as region:
            async with httpx.AsyncClient(base_url=region.hub.http_url, timeout=30) as client:
                case_id = await _file(client, region.hub, "north/portal")
            await wait_until_async(lambda: len(receiver.seen) >= 2, timeout_s=20)
        refused = {h[DELIVERY_HEADER.lower()] for h, _, _ in receiver.seen}
        assert refused == {f"{case_id}.1"}  # the first change, tried again and again
        receiver.failures = 0
        receiver.seen.clear()
        async with running_region(settings, grants=()) as again:
            await wait_until_async(lambda: _all_delivered(receiver, again.hub, case_id),
                                   timeout_s=20)
    versions = len(receiver.delivered())
    assert versions >= 2
    assert receiver.delivery_ids() == [f"{case_id}.{v}" for v in range(1, versions + 1)]
    assert all(_verified(h, body) for h, body, _ in receiver.seen)


async def test_a_portal_down_holds_up_only_itself_and_gets_everything_when_up(
        hub_settings: HubSettings, tmp_path: Path) -> None:
    """One portal is down (nothing listens) while another is notified; when it comes up, it
    gets every change of its case, in order."""
    port = free_port()
    async with receiving() as other:
        settings = _cases_settings(
            hub_settings, tmp_path, {"north/portal": f"http://127.0.0.1:{port}/hook",
                                     "north/tax": other.url}, case_webhook_attempts=50)
        async with running_region(settings) as region:
            hub = region.hub
            async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
                down_case = await _file(client, hub, "north/portal")
                up_case = await _file(client, hub, "north/tax")
            await wait_until_async(lambda: _all_delivered(other, hub, up_case), timeout_s=20)
            assert {d["case_id"] for d in other.delivered()} == {up_case}
            async with receiving(port=port) as portal:
                await wait_until_async(lambda: _all_delivered(portal, hub, down_case),
                                       timeout_s=20)
    assert {d["case_id"] for d in portal.delivered()} == {down_case}


async def test_a_delivery_given_up_is_recorded_and_the_next_change_goes_on(
        hub_settings: HubSettings, tmp_path: Path) -> None:
    """With two attempts each, a portal that refuses everything gets each change tried
    twice, then given up: one CaseNotice.Abandoned per change, naming the problem."""
    async with receiving(failures=10_000) as receiver:
        settings = _cases_settings(hub_settings, tmp_path, {"north/portal": receiver.url},
                                   case_webhook_attempts=2)
        async with running_region(settings) as region:
            hub = region.hub
            async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
                case_id = await _file(client, hub, "north/portal")

            def abandoned() -> list[Any]:
                page = hub.ledger.notifications(1, 1000, (CaseNotice.Abandoned.TOPIC,))
                return [hub.ledger.mapper.to_domain_event(n) for n in page]

            await wait_until_async(
                lambda: len(abandoned()) == _version(hub, case_id), timeout_s=20)
            notices = abandoned()
            versions = _version(hub, case_id)
    assert [n.case_version for n in notices] == list(range(1, versions + 1))
    assert {(n.portal, n.case_id, n.attempts, n.problem) for n in notices} == {
        ("north/portal", case_id, 2, "answered 503")}
    assert len(receiver.seen) == 2 * versions


async def test_stopping_cuts_a_backoff_short_and_leaves_the_delivery_undelivered() -> None:
    """A hub that stops does not wait out a portal's backoff: the delivery is left for the
    next start (``stopped``), after the attempts made."""
    async with receiving(failures=100) as receiver:
        sender = WebhookSender(attempts=5, backoff_s=30)
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.2, stop.set)
        try:
            delivery = await asyncio.wait_for(sender.post(
                receiver.url, SECRET, b"{}", event="test", delivery_id="d.1", stop=stop),
                timeout=5)
        finally:
            await sender.aclose()
    assert (delivery.delivered, delivery.stopped, delivery.attempts) == (False, True, 1)
