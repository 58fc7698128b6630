"""A credential suspended after an access anomaly refuses its token until an operator resumes
it; exchanges stored before they named a credential read with none."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from eventsourcing.persistence import StoredEvent

from hub.adapters.store.ledger import Arrival, Ledger
from hub.domain.credential import CredentialKind
from hub.domain.credential_errors import CredentialError, SuspendedCredentialError
from hub.domain.exchange import Exchange
from hub.service_layer.security.credentials import CredentialService

DAY = dt.timedelta(days=1)


def test_a_suspended_token_is_refused_until_resumed(ledger: Ledger) -> None:
    """The refusal names the reason and the command that lifts it; the resume is recorded
    with who and why, and the token works again at once (same process)."""
    service = CredentialService(ledger, "north")
    issued = service.issue("north/tax", CredentialKind.DEPARTMENT, DAY)
    header = f"Bearer {issued.token}"
    assert service.suspend(issued.credential_id, "refusal-burst (abc)", anomaly="abc") is True
    with pytest.raises(SuspendedCredentialError) as refused:
        service.authenticate(header)
    assert "refusal-burst (abc)" in refused.value.message
    assert "credentials resume" in refused.value.message
    assert [c.status for c in service.list()] == ["suspended"]
    assert service.active_department_nkeys() == {}  # its NATS user goes too
    service.resume(issued.credential_id, by="ada", reason="batch job fixed")
    assert service.authenticate(header).name == "north/tax"
    assert [c.status for c in service.list()] == ["active"]


def test_suspending_twice_or_a_revoked_credential_changes_nothing(ledger: Ledger) -> None:
    """A replayed anomaly or a later one does not stack suspensions; a revoked credential
    stays revoked (revocation is final, suspension is not)."""
    service = CredentialService(ledger, "north")
    first = service.issue("north/tax", CredentialKind.DEPARTMENT, DAY)
    assert service.suspend(first.credential_id, "one", anomaly="a1") is True
    assert service.suspend(first.credential_id, "two", anomaly="a2") is False
    revoked = service.issue("north/tax", CredentialKind.DEPARTMENT, DAY)
    service.revoke(revoked.credential_id, "left the office")
    assert service.suspend(revoked.credential_id, "x", anomaly="a3") is False
    assert service.revoke(first.credential_id, "for good").status == "revoked"


def test_resuming_needs_a_suspension_and_a_reason(ledger: Ledger) -> None:
    service = CredentialService(ledger, "north")
    issued = service.issue("north/tax", CredentialKind.DEPARTMENT, DAY)
    with pytest.raises(CredentialError, match="is not suspended"):
        service.resume(issued.credential_id, by="ada", reason="why not")
    service.suspend(issued.credential_id, "r", anomaly="a")
    with pytest.raises(CredentialError, match="needs a reason"):
        service.resume(issued.credential_id, by="ada", reason=" ")


def test_a_received_event_of_version_1_names_no_credential(ledger: Ledger) -> None:
    """Exchanges recorded before Received named the credential read with "" (watched per
    department)."""
    exchange = ledger.receive(Arrival("north/tax", "north/x/y", "c", "json", "sha256:0", 1, "",
                                      credential="ab" * 16))
    stored = ledger.mapper.to_stored_event(exchange.collect_events()[0])
    state = json.loads(stored.state)
    assert state["credential"] == "ab" * 16
    del state["credential"]
    state["class_version"] = 1
    old = StoredEvent(stored.originator_id, stored.originator_version, stored.topic,
                      json.dumps(state).encode())
    received = ledger.mapper.to_domain_event(old)
    assert isinstance(received, Exchange.Received) and received.credential == ""
