"""Recording what the access watch found: once per evidence, suspending only where the service
asks, the evidence is fresh and names a credential; a replay never overrules an operator.
On each event store back end (SQLite, PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from hub.adapters.store.ledger import Ledger
from hub.domain.access_anomaly import REFUSAL_BURST, SUBJECT_MANY_DEPARTMENTS, Evidence
from hub.domain.credential import CredentialKind
from hub.service_layer.security.anomalies import AccessAnomalies, UnknownAnomalyError
from hub.service_layer.security.credentials import CredentialService

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def _evidence(credential: str, *, ended: dt.datetime = NOW, kind: str = REFUSAL_BURST,
              subject: str = "") -> Evidence:
    start = ended - dt.timedelta(minutes=2)
    return Evidence(kind, credential, "north/tax", "north/x/y", subject, start.isoformat(),
                    ended.isoformat(), 21, 20, ("e1", "e2"), "21 refused requests within 300 s")


@pytest.fixture
def parts(store_ledger: Ledger) -> tuple[AccessAnomalies, CredentialService, str]:
    ledger = store_ledger
    credentials = CredentialService(ledger, "north", clock=lambda: NOW)
    issued = credentials.issue("north/tax", CredentialKind.DEPARTMENT, dt.timedelta(days=1))
    anomalies = AccessAnomalies(ledger, credentials, "north", clock=lambda: NOW)
    return anomalies, credentials, issued.credential_id.hex


def _status(credentials: CredentialService) -> str:
    [info] = credentials.list()
    return info.status


def test_fresh_evidence_suspends_once_and_a_replay_respects_the_resume(
    parts: tuple[AccessAnomalies, CredentialService, str],
) -> None:
    anomalies, credentials, credential = parts
    evidence = _evidence(credential)
    assert anomalies.raise_anomaly(evidence, suspend=True) == "suspend"
    assert _status(credentials) == "suspended"
    credentials.resume(credential, by="ada", reason="checked")
    assert anomalies.raise_anomaly(evidence, suspend=True) == "suspend"  # the same evidence
    assert _status(credentials) == "active"
    [anomaly] = anomalies.list()
    assert anomaly.id == evidence.id and anomaly.sample == ["e1", "e2"]
    assert anomalies.get(anomaly.id.hex).detected_by == "north"


def test_old_evidence_or_no_credential_only_raises_the_alarm(
    parts: tuple[AccessAnomalies, CredentialService, str],
) -> None:
    """Found over a long history (ended two hours ago), or about a person rather than a
    credential: recorded as an alarm; nobody suspended."""
    anomalies, credentials, credential = parts
    old = _evidence(credential, ended=NOW - dt.timedelta(hours=2))
    crowd = _evidence("", kind=SUBJECT_MANY_DEPARTMENTS, subject="ds-1")
    assert anomalies.raise_anomaly(old, suspend=True) == "alarm"
    assert anomalies.raise_anomaly(crowd, suspend=True) == "alarm"
    assert _status(credentials) == "active"
    assert [a.kind for a in anomalies.list()] == [REFUSAL_BURST, SUBJECT_MANY_DEPARTMENTS]
    assert [a.kind for a in anomalies.list(credential=credential)] == [REFUSAL_BURST]


def test_a_legacy_login_is_named_but_not_suspended(
    parts: tuple[AccessAnomalies, CredentialService, str],
) -> None:
    """An id that is no token credential (a UsernameToken's login): the alarm stands."""
    anomalies, credentials, _ = parts
    assert anomalies.raise_anomaly(_evidence(uuid.uuid4().hex), suspend=True) == "alarm"
    assert len(anomalies.list()) == 1 and _status(credentials) == "active"


def test_an_unknown_anomaly_is_named(parts: tuple[AccessAnomalies, CredentialService, str]
                                     ) -> None:
    anomalies, _, _ = parts
    with pytest.raises(UnknownAnomalyError, match="no access anomaly nope"):
        anomalies.get("nope")
