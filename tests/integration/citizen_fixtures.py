"""What the citizen API tests share: a trusted identity provider, and data about people
recorded straight into a ledger (a disclosure as the hub records one, a consent)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx

from hub.adapters.store.ledger import Arrival, Ledger, Translation
from hub.domain.citizen_access import CitizenRefusal
from hub.domain.consent import Consent
from hub.entrypoints.serve import Hub
from hub.service_layer.security.consents import ConsentBook
from hub.service_layer.security.decision import Decision
from hub.service_layer.security.recording import record_authorised, record_disclosed_response
from hub.settings import HubSettings
from simulations.identity_provider import IdentityProvider
from tests.integration.hub_fixtures import auth_headers

SS = "north/social-security/contribution-history"
REQUEST = "social-security.contribution-history-query@1.0"
RESPONSE = "social-security.contribution-history@1.0"


def trusting(settings: HubSettings, idp: IdentityProvider, folder: Path) -> HubSettings:
    """``settings`` with ``idp`` as the region's one trusted identity provider."""
    folder.mkdir(parents=True, exist_ok=True)
    jwks = idp.write_jwks(folder / "idp-jwks.json")
    return settings.model_copy(update={"citizen_issuers": {idp.issuer: jwks}})


def record_disclosure(ledger: Ledger, national_id: str, recipient: str, purpose: str) -> str:
    """One answered query about ``national_id`` disclosed to ``recipient``; its exchange id."""
    ref = ledger.keyring.ref_for(national_id)
    arrival = Arrival(client=recipient, service=SS, correlation_id=str(uuid.uuid4()),
                      ingress="test", payload_digest="0" * 64, payload_size=1)
    translation = Translation(REQUEST, {"national_id": national_id}, "0" * 64,
                              "north/social-security", "hub.test", data_subject=ref)
    decision = Decision(purpose, "legal-basis", "a law", fields=("periods",))
    exchange_id = record_authorised(ledger, arrival, translation, decision)
    record_disclosed_response(ledger, exchange_id, decision, attempt=1, contract=RESPONSE,
                              document={"national_id": national_id, "periods": []},
                              digest="1" * 64, provider_ms=1.0)
    return str(exchange_id)


def record_consent(ledger: Ledger, national_id: str, purpose: str, recipient: str,
                   until: str = "2099-12-31") -> Consent:
    import datetime as dt

    return ConsentBook(ledger).grant(ledger.keyring.ref_for(national_id), purpose, recipient,
                                     until=dt.date.fromisoformat(until))


def refusals(ledger: Ledger) -> list[CitizenRefusal.Refused]:
    """Every recorded CitizenRequestRefused, oldest first."""
    found = []
    for notification in ledger.notifications(1, 10_000, (CitizenRefusal.Refused.TOPIC,)):
        event = ledger.mapper.to_domain_event(notification)
        assert isinstance(event, CitizenRefusal.Refused)
        found.append(event)
    return found


async def query_history(http: httpx.AsyncClient, hub: Hub, person: str) -> None:
    """The tax office asks a running hub for ``person``'s contribution history: one
    disclosure to north/tax, recorded as the hub records every answer."""
    answer = await http.post(
        f"{hub.http_url}/services/{SS}",
        headers=auth_headers(hub, "north/tax", **{"Content-Type": "application/json"}),
        content=json.dumps({"national_id": person, "period_start": "2000-01-01",
                            "period_end": "2026-12-31"}))
    assert answer.status_code == 200, answer.text
