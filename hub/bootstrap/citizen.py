"""The citizen desk, built from the region's settings: trusted issuers, audience, replay,
the refusal budget."""

from __future__ import annotations

from hub.adapters.id_tokens.issuers import load_trusted_issuers
from hub.adapters.id_tokens.replay import ReplayCache
from hub.adapters.id_tokens.verifier import IdTokenVerifier
from hub.adapters.projections.data_use_book import DataUseBook
from hub.adapters.readmodels.cases import CaseBoard
from hub.adapters.store.ledger import Ledger
from hub.service_layer.citizen.desk import CitizenDesk, Clock, utc_now
from hub.service_layer.citizen.refusal_budget import RefusalBudget
from hub.settings import HubSettings


def citizen_audience(settings: HubSettings) -> str:
    """The ``aud`` a citizen's ID token must name to be accepted by this region."""
    return settings.citizen_audience or f"urn:interop-hub:{settings.region}:citizen"


def build_citizen_desk(settings: HubSettings, ledger: Ledger, uses: DataUseBook, *,
                       clock: Clock = utc_now, cases: CaseBoard | None = None) -> CitizenDesk:
    """The desk over ``ledger``, reading data-use reports from ``uses``; a trusted issuer's
    unreadable JWKS stops the start-up.

    ``clock`` tells sessions' and consents' time (the token checks use the system's).
    """
    verifier = IdTokenVerifier(
        load_trusted_issuers(settings.citizen_issuers),
        audience=citizen_audience(settings),
        id_claim=settings.citizen_id_claim,
        leeway_s=settings.citizen_leeway_s,
        max_lifetime_s=settings.citizen_max_token_lifetime_s,
        replay=ReplayCache(settings.citizen_replay_capacity),
    )
    budget = RefusalBudget(per_client=settings.citizen_refusals_per_client,
                           total=settings.citizen_refusals_total,
                           window_s=settings.citizen_refusal_window_s)
    return CitizenDesk(ledger, uses, verifier, budget=budget, clock=clock,
                       cases=cases)
