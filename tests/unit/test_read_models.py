"""The in-memory read models: what they hold, that they hold no personal data, and that a round
reads only what was recorded since the last one."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from hub.adapters.readmodels import ReadModels, models_of
from hub.adapters.store.ledger import Arrival, Ledger, Translation
from hub.bootstrap.privacy import build_ledger
from hub.domain.consent import ConsentState
from hub.domain.credential import CredentialKind
from hub.service_layer.security.access import AccessRights
from hub.service_layer.security.consents import ConsentBook
from hub.service_layer.security.credentials import CredentialService
from hub.settings import HubSettings
from tests.counting_recorder import count_reads

REF = "ds-" + "7" * 32
SERVICE = "north/social-security/contribution-history"


class Clock:
    """A clock the test sets."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def _exchanges(ledger: Ledger, count: int) -> None:
    """Record ``count`` accepted exchanges: events no read model of this package reads."""
    accepted = [
        (Arrival("north/tax", SERVICE, f"c-{i}", "json", "d", 1),
         Translation("social-security.contribution-history-query@1.0", {"n": i}, "d",
                     "north/social-security", "s"))
        for i in range(count)
    ]
    ledger.record_accepted_many(accepted)


def test_credentials_follow_issue_rotate_revoke(ledger: Ledger) -> None:
    """The credential model mirrors the aggregate: verifier after rotation, revocation reason."""
    service = CredentialService(ledger, "north")
    issued = service.issue("north/tax", CredentialKind.DEPARTMENT, dt.timedelta(days=1))
    models = models_of(ledger)
    first = models.credentials.get(issued.credential_id)
    assert first is not None and first.principal == "north/tax" and not first.revoked
    service.rotate(issued.credential_id)
    rotated = models.credentials.get(issued.credential_id)
    assert rotated is not None and rotated.verifier != first.verifier
    service.revoke(issued.credential_id, "lost laptop")
    revoked = models.credentials.get(issued.credential_id)
    assert revoked is not None and revoked.revoked_reason == "lost laptop"
    assert service.active_department_nkeys() == {}


def test_rights_and_consents_follow_grants_and_revocations(ledger: Ledger) -> None:
    """Grant, re-grant with other purposes, revoke: the models answer as the aggregates do."""
    clock = Clock()
    rights, consents = AccessRights(ledger, "north"), ConsentBook(ledger, clock=clock)
    rights.grant("tax", SERVICE, ["benefit"])
    rights.grant("tax", SERVICE, ["benefit", "loan"])
    right = rights.current("north/tax", SERVICE)
    assert right is not None and right.active and right.purposes == ("benefit", "loan")
    rights.revoke("tax", SERVICE)
    revoked = rights.current("north/tax", SERVICE)
    assert revoked is not None and not revoked.active and not revoked.covers("benefit")
    assert rights.current("north/vehicles", SERVICE) is None
    consents.grant(REF, "loan", "north/tax", until=dt.date(2026, 6, 30), fields=["periods"])
    held = consents.active(REF, "loan", "north/tax")
    assert held is not None and held.fields == ("periods",)
    consents.revoke(REF, "loan", "north/tax")
    assert consents.active(REF, "loan", "north/tax") is None
    entry = models_of(ledger).consents.get(REF, "loan", "north/tax")
    assert entry is not None and entry.state is ConsentState.REVOKED


def test_read_models_hold_no_subject_reference(ledger: Ledger) -> None:
    """A consent is found from (subject, purpose, recipient) without the subject being kept."""
    ConsentBook(ledger, clock=Clock()).grant(REF, "loan", "north/tax", until=dt.date(2026, 7, 1))
    models = models_of(ledger)
    entry = models.consents.get(REF, "loan", "north/tax")
    assert entry is not None
    held = [str(value) for value in dataclasses.asdict(entry).values()]
    assert not any(REF in value for value in held)
    assert REF not in repr(vars(models.consents))


def test_a_round_reads_only_what_is_new(ledger: Ledger) -> None:
    """After the first catch-up, a round reads the new events of its topics and nothing else:
    not the history again, not the exchanges recorded meanwhile."""
    service = CredentialService(ledger, "north")
    for name in ("tax", "vehicles", "health"):
        service.issue(f"north/{name}", CredentialKind.DEPARTMENT, dt.timedelta(days=1))
    _exchanges(ledger, 50)
    models = ReadModels(ledger)
    assert models.catch_up() == 3  # history, once
    assert models.tail.position == ledger.recorder.max_notification_id()
    _exchanges(ledger, 50)
    assert models.catch_up() == 0  # 150 exchange events recorded: none read
    assert models.catch_up() == 0
    AccessRights(ledger, "north").grant("tax", SERVICE, ["benefit"])
    assert models.catch_up() == 2  # Created + Granted, not the three credentials again
    assert models.tail.notifications_read == 5


def test_an_idle_round_reads_no_notification(tmp_path: Path) -> None:
    """With nothing new recorded a round selects nothing at all, however long the ledger."""
    ledger = build_ledger(HubSettings(data=tmp_path))
    counting = count_reads(ledger)
    try:
        CredentialService(ledger, "north").issue("north/tax", CredentialKind.DEPARTMENT,
                                                 dt.timedelta(days=1))
        _exchanges(ledger, 20)
        models = ReadModels(ledger)
        models.catch_up()
        selects = counting.selects
        for _ in range(5):
            assert models.catch_up() == 0
        assert counting.selects == selects
    finally:
        ledger.close()


def test_nats_user_rounds_do_not_reread_the_credentials(tmp_path: Path) -> None:
    """Deriving the NATS users again (every round of the user sync) reads no notification:
    the users come from the credentials read model, not from position 1 of the log."""
    ledger = build_ledger(HubSettings(data=tmp_path))
    counting = count_reads(ledger)
    try:
        service = CredentialService(ledger, "north")
        for name in ("tax", "vehicles", "health", "police"):
            service.issue(f"north/{name}", CredentialKind.DEPARTMENT, dt.timedelta(days=1))
        assert len(service.active_department_nkeys()) == 4
        rows = counting.rows
        for _ in range(3):
            assert len(service.active_department_nkeys()) == 4
        assert counting.rows == rows
    finally:
        ledger.close()
