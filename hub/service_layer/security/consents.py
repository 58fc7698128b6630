"""Consents, kept as ``Consent`` aggregates in the ledger's event store.

The subject is always the pseudonymous reference; callers resolve a national
id with the ledger's keyring first (:meth:`SubjectKeyring.resolve`). Decisions
(:meth:`ConsentBook.active`) read the consents read model (:mod:`hub.adapters.readmodels`),
which grant, revoke and expire bring up to date before they return.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from eventsourcing.application import AggregateNotFoundError

from contracts.identity import DepartmentId
from hub.adapters.readmodels import ConsentEntry, ReadModels, models_of, refresh
from hub.domain.consent import Consent, ConsentState, consent_id
from hub.domain.originator import originator_uuid
from hub.service_layer.security.refusals import AccessError

if TYPE_CHECKING:
    from hub.adapters.store.ledger import Ledger

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ConsentBook:
    """Grants, revokes, lists and checks consents."""

    def __init__(self, ledger: Ledger, *, clock: Clock = utc_now) -> None:
        self._ledger = ledger
        self._clock = clock

    def grant(
        self,
        subject_ref: str,
        purpose: str,
        recipient: str,
        *,
        until: dt.date,
        fields: Iterable[str] = (),
    ) -> Consent:
        """Record the subject's consent (again); ``until`` must not be in the past."""
        recipient = str(DepartmentId.parse(recipient.strip()))
        purpose = purpose.strip()
        if not purpose:
            raise AccessError("a consent needs a purpose", path="--purpose", field="purpose")
        if until < self._clock().date():
            raise AccessError(f"until {until} is in the past", path="--until", field="until")
        consent = self.get(subject_ref, purpose, recipient) or Consent(
            subject_ref, purpose, recipient
        )
        chosen = sorted({f.strip() for f in fields if f.strip()})
        consent.grant(subject_ref, purpose, recipient, chosen, until.isoformat())
        self._ledger.save(consent)
        refresh(self._ledger)
        return consent

    def revoke(self, subject_ref: str, purpose: str, recipient: str, *, by: str = "subject",
               reason: str = "") -> Consent:
        """Withdraw consent: the next exchange needing it is refused, queued ones too."""
        recipient = str(DepartmentId.parse(recipient.strip()))
        consent = self.get(subject_ref, purpose, recipient)
        if consent is None or consent.state is not ConsentState.ACTIVE:
            raise AccessError(
                f"no active consent of {subject_ref} for {purpose} to {recipient}",
                field="consent",
            )
        consent.revoke(by, reason or "withdrawn by the data subject")
        self._ledger.save(consent)
        refresh(self._ledger)  # the next decision in this process refuses
        return consent

    def get(self, subject_ref: str, purpose: str, recipient: str) -> Consent | None:
        """The consent of the triple as recorded now, or None."""
        try:
            consent: object = self._ledger.repository.get(
                consent_id(subject_ref, purpose, recipient)
            )
        except AggregateNotFoundError:
            return None
        return consent if isinstance(consent, Consent) else None

    def active(self, subject_ref: str, purpose: str, recipient: str) -> ConsentEntry | None:
        """The consent if it holds now (from the read model); records Expired when run out."""
        consent = self._models.consents.get(subject_ref, purpose, recipient) \
            if subject_ref else None
        if consent is None or consent.state is not ConsentState.ACTIVE:
            return None
        if consent.is_past(self._clock()):
            self._expire(subject_ref, purpose, recipient)
            return None
        return consent

    def _expire(self, subject_ref: str, purpose: str, recipient: str) -> None:
        recorded = self.get(subject_ref, purpose, recipient)
        if recorded is not None and recorded.state is ConsentState.ACTIVE:
            recorded.expire(recorded.until)
            self._ledger.save(recorded)
            refresh(self._ledger)

    @functools.cached_property
    def _models(self) -> ReadModels:
        return models_of(self._ledger)

    def of_subject(self, subject_ref: str) -> list[Consent]:
        """Every consent of ``subject_ref``, in the order first granted, as recorded now.

        Found through the read model's index by subject (brought up to date first, so
        another process's grant shows at once): one load per consent of this person, however
        many consents the region holds.
        """
        models = self._models
        models.catch_up()
        found = []
        for uid in models.consents.ids_of(subject_ref):
            consent: object = self._ledger.repository.get(uid)
            if isinstance(consent, Consent) and consent.subject_ref == subject_ref:
                found.append(consent)
        return found

    def all(self, subject_ref: str | None = None, batch: int = 500) -> list[Consent]:
        """Every consent (of one subject, if given), in the order first granted: a scan of
        the region's consents, for listing them all (:meth:`of_subject` answers one person)."""
        found = []
        start = 1
        while page := self._ledger.notifications(start, batch, (Consent.Created.TOPIC,)):
            for notification in page:
                consent: object = self._ledger.repository.get(
                    originator_uuid(notification.originator_id)
                )
                if isinstance(consent, Consent) and subject_ref in (None, consent.subject_ref):
                    found.append(consent)
            start = page[-1].id + 1
        return found
