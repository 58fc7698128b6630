"""One person's token never shows another person's data (a hypothesis property), and a
token is accepted once even by a second hub process sharing the ledger.

Hypothesis records disclosures and consents about several people into one real ledger,
then a random person's token reads a random view through the citizen desk: every item
must be that person's (checked against the ledger), and all of theirs must be there. The
replay check across processes runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.adapters.id_tokens.errors import TokenReplayedError
from hub.adapters.projections.data_use_book import open_data_uses
from hub.adapters.store.ledger import Ledger
from hub.bootstrap.citizen import build_citizen_desk
from hub.bootstrap.privacy import build_ledger
from hub.domain.citizen_access import CitizenAccess, access_id
from hub.domain.consent import Consent
from hub.entrypoints.http.citizen.schemas import ConsentOut, DataUseOut, KeptOut
from hub.service_layer.citizen.desk import CASES, CONSENTS, KEPT, READINGS, REPORT
from hub.settings import HubSettings
from simulations.identity_provider import IdentityProvider
from tests.integration.citizen_fixtures import record_consent, record_disclosure, trusting

PEOPLE = ("19800101-1234", "19751224-5678", "19920315-2468", "20010704-1357", "19660229-9999")
RECIPIENTS = ("north/tax", "north/vehicles")
PURPOSES = ("benefit-eligibility", "income-verification")

action = st.tuples(st.sampled_from(PEOPLE), st.sampled_from(("disclose", "consent")),
                   st.sampled_from(RECIPIENTS), st.sampled_from(PURPOSES))


def _owner(ledger: Ledger, item: dict[str, object]) -> str:
    """Whose the item is, read from the ledger (not from the item)."""
    if "exchange_id" in item:
        return ledger.get(uuid.UUID(str(item["exchange_id"]))).data_subject
    consent = ledger.repository.get(uuid.UUID(str(item["consent_id"])))
    assert isinstance(consent, Consent)
    return consent.subject_ref


def test_a_token_shows_its_person_only(hub_settings: HubSettings, tmp_path: Path) -> None:
    """Random people, disclosures and consents; a random person's token; any view."""
    idp = IdentityProvider.generate()
    config = trusting(hub_settings, idp, tmp_path / "idp")
    config.data.mkdir(parents=True, exist_ok=True)
    ledger = build_ledger(config)
    book = open_data_uses(ledger, config.store, config.data)
    desk = build_citizen_desk(config, ledger, book)
    uses: dict[str, int] = defaultdict(int)
    consents: dict[str, set[tuple[str, str]]] = defaultdict(set)
    seen_items = [0]

    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(actions=st.lists(action, max_size=4), person=st.sampled_from(PEOPLE),
           what=st.sampled_from(READINGS))
    def check(actions: list[tuple[str, str, str, str]], person: str, what: str) -> None:
        for who, kind, recipient, purpose in actions:
            if kind == "disclose":
                record_disclosure(ledger, who, recipient, purpose)
                uses[who] += 1
            else:
                record_consent(ledger, who, purpose, recipient)
                consents[who].add((purpose, recipient))
        ref = ledger.keyring.ref_for(person)
        reading = desk.read(idp.token(person), what)
        assert reading.subject_ref == ref
        assert {_owner(ledger, item) for item in reading.items} <= {ref}
        expected = {REPORT: uses[person], CONSENTS: len(consents[person]), CASES: 0,
                    KEPT: uses[person] + len(consents[person])}[what]
        assert len(reading.items) == expected
        shape = {REPORT: DataUseOut, CONSENTS: ConsentOut, KEPT: KeptOut}.get(what)
        for item in reading.items:  # what the API documents is what the desk answers
            assert shape is not None and shape.model_validate(item)
        seen_items[0] += len(reading.items)

    try:
        check()
        assert seen_items[0] > 0  # the property was checked on real items, not only on none
    finally:
        book.close()
        ledger.close()


def test_a_token_used_on_one_process_is_refused_on_another(
    hub_settings: HubSettings, tmp_path: Path, store_url: str | None
) -> None:
    """Two ledgers over one store, each with its own desk and replay cache (two hub
    processes' worth), on SQLite and PostgreSQL: the second use of a token collides with
    the first's recorded use and shows nothing."""
    idp = IdentityProvider.generate()
    config = trusting(hub_settings, idp, tmp_path / "idp").model_copy(
        update={"store": store_url})
    config.data.mkdir(parents=True, exist_ok=True)
    one, other = build_ledger(config), build_ledger(config)
    books = [open_data_uses(ledger, config.store, config.data) for ledger in (one, other)]
    try:
        record_disclosure(one, PEOPLE[0], "north/tax", PURPOSES[0])
        first, second = (build_citizen_desk(config, one, books[0]),
                         build_citizen_desk(config, other, books[1]))
        token = idp.token(PEOPLE[0], jti="once")
        assert len(first.read(token, REPORT).items) == 1
        with pytest.raises(TokenReplayedError):
            second.read(token, REPORT)
        access = other.repository.get(access_id(idp.issuer, "once"))
        assert isinstance(access, CitizenAccess) and access.readings == 1
    finally:
        for book in books:
            book.close()
        one.close()
        other.close()


def test_a_session_ends_with_its_token_and_on_sign_out(hub_settings: HubSettings,
                                                      tmp_path: Path) -> None:
    """The pages' session: the right secret only, until the token's exp, not after sign-out."""
    from hub.service_layer.citizen.errors import CitizenSessionEndedError

    idp = IdentityProvider.generate()
    config = trusting(hub_settings, idp, tmp_path / "idp")
    config.data.mkdir(parents=True, exist_ok=True)
    ledger = build_ledger(config)
    book = open_data_uses(ledger, config.store, config.data)
    try:
        desk = build_citizen_desk(config, ledger, book)
        session = desk.sign_in(idp.token(PEOPLE[1], lifetime_s=60))
        assert desk.read_in_session(session.access_id, session.secret, CONSENTS).items == []
        with pytest.raises(CitizenSessionEndedError):
            desk.read_in_session(session.access_id, "wrong", CONSENTS)
        later = build_citizen_desk(
            config, ledger, book, clock=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(seconds=61))
        with pytest.raises(CitizenSessionEndedError, match="ended"):
            later.read_in_session(session.access_id, session.secret, CONSENTS)
        desk.sign_out(session.access_id, session.secret)
        with pytest.raises(CitizenSessionEndedError, match="ended"):
            desk.read_in_session(session.access_id, session.secret, CONSENTS)
        history = [type(e).__name__ for e in ledger.events.get(session.access_id)]
        assert history == ["TokenAccepted", "Read", "SignedOut"]
    finally:
        book.close()
        ledger.close()
