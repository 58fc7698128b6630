"""Access anomalies: recording what the access watch found, and suspending where asked.

The watch (:mod:`hub.adapters.projections.access_watch`) judges; this records
an :class:`~hub.domain.access_anomaly.AccessAnomaly` in the ledger, where the
audit Merkle log covers it like the access it is about, and, when the
service's policy says ``suspend = true`` and the evidence names a credential,
suspends that credential. The suspension goes through the credentials read
model, as a revocation does: refused from the next request in this process,
within the read models' poll in any other.

Only fresh evidence suspends: when the watch first runs over a long history
(a new hub version, a rebuilt read store), anomalies found in the past are
recorded as alarms, but a credential is not suspended for something that
ended more than :data:`SUSPEND_WITHIN` ago; an operator judges those. Nor is
a legacy login (WS-Security, client certificate), whose id the evidence may
name: there is no token to suspend, and the alarm says ``alarm``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from uuid import UUID

import structlog
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, PersistenceError

from hub.adapters.store.ledger import Ledger
from hub.domain.access_anomaly import AccessAnomaly, Evidence
from hub.domain.credential_errors import CredentialError, SecurityError
from hub.errors import StoreUnavailable
from hub.service_layer.security.credentials import CredentialService

log = structlog.get_logger("hub.service_layer.security.anomalies")

SUSPEND = "suspend"
ALARM = "alarm"
SUSPEND_WITHIN = dt.timedelta(hours=1)
"""Evidence older than this when found raises an alarm but suspends nobody."""


class AccessAnomalies:
    """Records access anomalies of one region and acts on them (the watch's sink)."""

    def __init__(
        self, ledger: Ledger, credentials: CredentialService, region: str,
        *, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._ledger = ledger
        self._credentials = credentials
        self._region = region
        self._clock = clock

    def raise_anomaly(self, evidence: Evidence, *, suspend: bool) -> str:
        """Record ``evidence`` once; suspend its credential when asked and fresh.

        Returns the action recorded: ``suspend`` or ``alarm`` (for evidence recorded
        before, the action it was recorded with).
        """
        fresh = self._clock() - dt.datetime.fromisoformat(evidence.window_end) <= SUSPEND_WITHIN
        can = bool(evidence.credential) and self._credentials.knows(evidence.credential)
        action = SUSPEND if suspend and can and fresh else ALARM
        anomaly = AccessAnomaly.from_evidence(evidence, action=action, detected_by=self._region)
        try:
            self._ledger.save(anomaly)
        except IntegrityError:
            # Recorded before: a replay, or a round that failed after recording. Finish what
            # that round may not have (suspend refuses a second time for the same anomaly).
            recorded = self.get(anomaly.id)
            if recorded.action == SUSPEND:
                self._suspend(recorded)
            return recorded.action
        except PersistenceError as exc:  # the watch's round rolls back and tries again
            raise StoreUnavailable(exc) from exc
        log.warning("access anomaly raised", anomaly_id=anomaly.id.hex, kind=evidence.kind,
                    credential=evidence.credential, department=evidence.department,
                    service=evidence.service, count=evidence.count,
                    threshold=evidence.threshold, action=action)
        if action == SUSPEND:
            self._suspend(anomaly)
        return action

    def list(self, *, kind: str | None = None, credential: str | None = None
             ) -> list[AccessAnomaly]:
        """Every anomaly recorded, oldest first (of one kind or credential when given)."""
        found: list[AccessAnomaly] = []
        start = 1
        recorder = self._ledger.recorder
        while True:
            page = recorder.select_notifications(start, 500, topics=[AccessAnomaly.Raised.TOPIC])
            if not page:
                return found
            for notification in page:
                anomaly = self.get(notification.originator_id)
                if (kind is None or anomaly.kind == kind) and (
                        credential is None or anomaly.credential == credential):
                    found.append(anomaly)
            start = page[-1].id + 1

    def get(self, anomaly_id: UUID | str) -> AccessAnomaly:
        """One anomaly by id (a UUID or its hex); UnknownAnomalyError if there is none."""
        try:
            uid = anomaly_id if isinstance(anomaly_id, UUID) else UUID(str(anomaly_id))
            found: object = self._ledger.repository.get(uid)
        except (ValueError, AggregateNotFoundError):
            raise UnknownAnomalyError(str(anomaly_id)) from None
        if not isinstance(found, AccessAnomaly):
            raise UnknownAnomalyError(str(anomaly_id))
        return found

    def _suspend(self, anomaly: AccessAnomaly) -> None:
        reason = f"access anomaly {anomaly.kind} ({anomaly.id.hex}): {anomaly.detail}"
        try:
            self._credentials.suspend(anomaly.credential, reason, anomaly=anomaly.id.hex)
        except PersistenceError as exc:
            raise StoreUnavailable(exc) from exc
        except CredentialError as exc:  # revoked meanwhile, say: the alarm stands
            log.error("credential not suspended", anomaly_id=anomaly.id.hex,
                      credential=anomaly.credential, error=exc.message)


class UnknownAnomalyError(SecurityError):
    """Raised when no access anomaly has the given id."""

    code = "unknown-anomaly"
    status = 404

    def __init__(self, anomaly_id: str) -> None:
        super().__init__(f"no access anomaly {anomaly_id} (interop-hub alarms list shows them)")
        self.anomaly_id = anomaly_id
