"""In-region notifications: an issued record reaches every subscriber in its own format."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
from collections.abc import AsyncIterator, Sequence
from uuid import UUID

import httpx

from hub.domain.exchange import Status
from hub.entrypoints.http.asgi_server import serve_asgi
from hub.entrypoints.serve import Hub, run_hub
from hub.service_layer.exchanges.gateway import Envelope
from hub.service_layer.notifications import Subscription
from hub.service_layer.security.report import data_use_report
from hub.settings import HubSettings
from simulations.departments import MAPPINGS, DepartmentEndpoints, region_services
from simulations.social_security_bureau import create_app as social_security_app
from simulations.tax_bureau import TaxBehaviour
from simulations.tax_bureau import create_app as tax_app
from tests.integration.hub_fixtures import auth_headers
from tests.waiting import wait_until_async

CONTRACT = "social-security.contribution-history@1.0"
INBOX_MAPPING = str(MAPPINGS / "tax.contribution-history-inbox.toml")
TAX_NOTIFY = "north/tax/notify-social-security-contribution-history-v1"
DOWN_NOTIFY = "north/vehicles/notify-social-security-contribution-history-v1"
HISTORY = {
    "person": {"national_id": "19800101-1234", "family_name": "Andersson",
               "given_names": "Karin", "date_of_birth": "1980-01-01"},
    "periods": [{"employer_id": "556000-0001", "employer_name": "Nordbanken",
                 "start": "2001-02-01", "end": "2009-06-30", "contribution_base": "41250.50",
                 "currency": "EUR"}],
    "as_of": "2026-11-01",
}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def _region(
    settings: HubSettings, subscriptions: Sequence[Subscription]
) -> AsyncIterator[tuple[Hub, TaxBehaviour]]:
    """A region whose subscriptions with an empty endpoint point at its tax bureau."""
    tax_behaviour = TaxBehaviour()
    async with contextlib.AsyncExitStack() as stack:
        ss = await stack.enter_async_context(serve_asgi(social_security_app()))
        tax = await stack.enter_async_context(serve_asgi(tax_app(tax_behaviour)))
        endpoints = DepartmentEndpoints(f"{ss}/ws/insurance?wsdl", tax)
        subs = [dataclasses.replace(s, endpoint=s.endpoint or tax) for s in subscriptions]
        hub = await stack.enter_async_context(run_hub(
            settings, region_services(settings.region, endpoints), subscriptions=subs))
        yield hub, tax_behaviour


async def _settled(hub: Hub, exchange_id: str, within_s: float = 20.0) -> Status:
    def terminal() -> Status | None:
        exchange = hub.ledger.get(UUID(exchange_id))
        return exchange.status if exchange.is_terminal else None

    return await wait_until_async(terminal, timeout_s=within_s, in_thread=True,
                                  message=f"exchange {exchange_id} settled")


def _events(hub: Hub, exchange_id: str) -> list[str]:
    return [type(e).__name__ for e in hub.ledger.history(UUID(exchange_id))]


async def _issue(hub: Hub, body: object, contract: str = CONTRACT,
                 client: str = "north/social-security") -> httpx.Response:
    async with httpx.AsyncClient(timeout=20) as http:
        headers = auth_headers(hub, client) if client else {}
        return await http.post(f"{hub.http_url}/records/{contract}", json=body, headers=headers)


async def test_issued_history_reaches_the_tax_inbox_in_its_shape(
    hub_settings: HubSettings,
) -> None:
    """An issued contribution history lands in the tax bureau's inbox in the bureau's shape."""
    tax = Subscription("north/tax", CONTRACT, "json-mapping", "", INBOX_MAPPING)
    async with _region(hub_settings, [tax]) as (hub, tax_inbox):
        response = await _issue(hub, HISTORY)
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["record_id"] and [e["service"] for e in body["exchanges"]] == [TAX_NOTIFY]
        exchange_id = body["exchanges"][0]["exchange_id"]
        assert await _settled(hub, exchange_id) is Status.COMPLETED
        assert _events(hub, exchange_id) == [
            "Received", "Translated", "Routed", "Delivered", "Responded", "Disclosed",
            "Completed"]
        exchange = hub.ledger.get(UUID(exchange_id))
        assert exchange.client == "north/social-security" and exchange.service == TAX_NOTIFY
        # the subscriber received the citizen's record: it is in the data-use report
        ref = hub.ledger.keyring.ref_for("19800101-1234")
        [use] = data_use_report(hub.projections.data_uses, ref)
        assert (use.recipient, use.service, use.purpose, use.basis) == (
            "north/tax", TAX_NOTIFY, "notification", "subscription")
        assert use.fields == ("as_of", "periods", "person")
        assert use.legal_basis == f"{CONTRACT} records for north/tax"
        assert exchange.response == {"reference": "TB-IN-000001"}
        inbox = list(tax_inbox.inbox)
        assert inbox == [{
            "tin": "19800101-1234",
            "taxpayer": {"surname": "Andersson", "forenames": "Karin", "born": "1980-01-01"},
            "asOf": "2026-11-01",
            "employments": [{"employerTin": "556000-0001", "employer": "Nordbanken",
                             "from": "2001-02-01", "until": "2009-06-30",
                             "baseCents": 4125050, "ccy": "EUR"}],
        }]


async def test_down_subscriber_is_dead_lettered_while_others_get_theirs(
    hub_settings: HubSettings,
) -> None:
    """A subscriber that is down gets retries then a dead letter; the tax bureau still gets it."""
    settings = hub_settings.model_copy(update={"max_deliver": 3, "provider_timeout_s": 2.0})
    down = f"http://127.0.0.1:{_closed_port()}"
    subscriptions = [
        Subscription("north/tax", CONTRACT, "json-mapping", "", INBOX_MAPPING),
        Subscription("north/vehicles", CONTRACT, "json-mapping", down, INBOX_MAPPING),
    ]
    async with _region(settings, subscriptions) as (hub, tax_inbox):
        response = await _issue(hub, HISTORY)
        assert response.status_code == 202, response.text
        ids = {e["service"]: e["exchange_id"] for e in response.json()["exchanges"]}
        assert set(ids) == {TAX_NOTIFY, DOWN_NOTIFY}
        assert await _settled(hub, ids[TAX_NOTIFY]) is Status.COMPLETED
        assert await _settled(hub, ids[DOWN_NOTIFY]) is Status.DEAD_LETTERED
        events = _events(hub, ids[DOWN_NOTIFY])
        assert events.count("DeliveryFailed") == 3 and events[-1] == "DeadLettered"
        assert len(tax_inbox.inbox) == 1


async def test_issuing_refuses_bad_records_and_hides_notification_services(
    hub_settings: HubSettings,
) -> None:
    """Bad records, unknown contracts, direct or peer queries of a notification service: refused."""
    tax = Subscription("north/tax", CONTRACT, "json-mapping", "", INBOX_MAPPING)
    async with _region(hub_settings, [tax]) as (hub, tax_inbox):
        invalid = await _issue(hub, {**HISTORY, "as_of": "not a date"})
        assert invalid.status_code == 422 and invalid.json()["code"] == "contract-violation"
        unknown = await _issue(hub, HISTORY, contract="nothing.such@1.0")
        assert unknown.status_code == 404 and unknown.json()["code"] == "record-contract-unknown"
        anonymous = await _issue(hub, HISTORY, client="")
        assert anonymous.status_code == 401 and anonymous.json()["code"] == "missing-credentials"
        async with httpx.AsyncClient(timeout=20) as http:
            direct = await http.post(f"{hub.http_url}/services/{TAX_NOTIFY}", json=HISTORY,
                                     headers=auth_headers(hub, "north/social-security"))
            listed = (await http.get(f"{hub.http_url}/services")).json()
        assert direct.status_code == 404 and direct.json()["code"] == "unknown-service"
        assert TAX_NOTIFY not in {s["id"] for s in listed}
        peer = await hub.gateway.query(
            Envelope("south/tax", TAX_NOTIFY, "c-peer", "federation", b"{}"),
            lambda definition: definition.request.model_validate(HISTORY),
        )
        assert peer.outcome == "rejected" and peer.error.code == "unknown-service"
        assert len(tax_inbox.inbox) == 0
