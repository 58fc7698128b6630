"""The portal is notified of every change of its cases by a signed webhook, retried with
backoff and bounded; the receiver is a real HTTP server on loopback."""

from __future__ import annotations

import contextlib
import hmac
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.adapters.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSender, signature
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


@contextlib.asynccontextmanager
async def receiving(failures: int = 0) -> AsyncIterator[Receiver]:
    receiver = Receiver(failures)
    app = Starlette(routes=[Route("/hook", receiver.hook, methods=["POST"])])
    async with serve_asgi(app, name="portal-hook") as url:
        receiver.url = f"{url}/hook"
        yield receiver


def _verified(headers: dict[str, str], body: bytes) -> bool:
    expected = signature(SECRET, headers[TIMESTAMP_HEADER.lower()], body)
    return hmac.compare_digest(headers[SIGNATURE_HEADER.lower()], expected)


async def test_every_change_reaches_the_portal_signed_after_retries(
        hub_settings: HubSettings, tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "benefit-check.toml").write_text(CASE_TYPE)
    async with receiving(failures=2) as receiver:
        settings = hub_settings.model_copy(update={"cases": folder, "case_webhooks": {
            "north/portal": {"url": receiver.url, "secret": SECRET}}})
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
            delivery = await sender.post(receiver.url, SECRET, b'{"n": 1}')
        finally:
            await sender.aclose()
    assert (delivery.delivered, delivery.attempts, delivery.problem) == (
        False, 3, "answered 503")
    assert len(receiver.seen) == 3


async def test_an_unreachable_portal_is_given_up_after_the_attempts() -> None:
    with socket.socket() as closed:  # a loopback port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    sender = WebhookSender(attempts=2, backoff_s=0.01, timeout_s=2)
    try:
        delivery = await sender.post(f"http://127.0.0.1:{port}/hook", SECRET, b"{}")
    finally:
        await sender.aclose()
    assert not delivery.delivered and delivery.attempts == 2
    assert delivery.problem.startswith("ConnectError")
