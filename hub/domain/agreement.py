"""The ``Agreement`` aggregate: two regions' mutual recognition, from proposal to end.

Proposed (the proposer's signature over the terms) → one ``AcceptanceSigned``
per region (each a JWS over the JCS terms, kept as evidence) → ``Accepted`` once
both regions have signed → ``Suspended`` / ``Resumed`` → ``Terminated``. The
same agreement id lives in both regions' stores. Signatures are verified by the
application before they reach the aggregate; the aggregate keeps the rules:
who may sign, in which state, and what is in scope when.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from federation.errors import AgreementStateError
from federation.reasons import Reason
from federation.terms import AgreementTerms


class AgreementStatus(StrEnum):
    """Where an agreement stands; only an accepted one lets records be recognised."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


class Agreement(Aggregate):
    """An agreement between two regions on which records each recognises from the other."""

    TOPIC = "interop-hub:agreement"

    class Event(Aggregate.Event):
        """Base of every agreement event."""

        TOPIC = "interop-hub:agreement.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event."""

        TOPIC = "interop-hub:agreement.created"

    class Proposed(Created):
        """Terms were proposed (``terms`` in their claims form; ``digest`` of their JCS)."""

        TOPIC = "interop-hub:agreement.proposed"
        class_version = 1
        agreement_id: str
        terms: dict[str, Any]
        digest: str

    @staticmethod
    def create_id(agreement_id: str) -> UUID:
        # The proposer's id, so both regions' stores hold the agreement under one id.
        return UUID(agreement_id)

    @event(Proposed)
    def __init__(self, agreement_id: str, terms: dict[str, Any], digest: str) -> None:
        self.terms = AgreementTerms.from_claims(terms)
        self.digest = digest
        self.status = AgreementStatus.PROPOSED
        self.signatures: dict[str, str] = {}
        self.suspended_by: set[str] = set()

    class AcceptanceSigned(Event):
        """One region signed the terms: ``signature`` is its JWS over their JCS form."""

        TOPIC = "interop-hub:agreement.acceptance-signed"
        class_version = 1
        region: str
        kid: str
        signature: str

    @event(AcceptanceSigned)
    def _sign(self, region: str, kid: str, signature: str) -> None:
        self.signatures[region] = signature

    class Accepted(Event):
        """Both regions have signed: the agreement is in force."""

        TOPIC = "interop-hub:agreement.accepted"
        class_version = 1

    @event(Accepted)
    def _accept(self) -> None:
        self.status = AgreementStatus.ACCEPTED

    def sign(self, region: str, kid: str, signature: str) -> None:
        """Record ``region``'s signed acceptance; the second signature puts it in force."""
        self._check_party(region, "sign")
        if self.status is not AgreementStatus.PROPOSED:
            raise AgreementStateError(self.id, "sign", f"agreement is {self.status.value}")
        if region in self.signatures:
            raise AgreementStateError(self.id, "sign", f"{region} has already signed")
        self._sign(region, kid, signature)
        if set(self.signatures) == set(self.terms.regions):
            self._accept()

    class Suspended(Event):
        """``region`` suspended the agreement (``notice`` is its signed notice).

        Each party may suspend; the agreement is back in force once every party
        that suspended it has resumed.
        """

        TOPIC = "interop-hub:agreement.suspended"
        class_version = 1
        region: str
        reason: str
        notice: str

    @event(Suspended)
    def suspend(self, region: str, reason: str, notice: str) -> None:
        self._check_party(region, "suspend")
        if self.status not in (AgreementStatus.ACCEPTED, AgreementStatus.SUSPENDED):
            raise AgreementStateError(self.id, "suspend", f"agreement is {self.status.value}")
        if region in self.suspended_by:
            raise AgreementStateError(self.id, "suspend", f"{region} has already suspended it")
        self.status = AgreementStatus.SUSPENDED
        self.suspended_by.add(region)

    class Resumed(Event):
        """``region`` lifted its suspension."""

        TOPIC = "interop-hub:agreement.resumed"
        class_version = 1
        region: str
        reason: str
        notice: str

    @event(Resumed)
    def resume(self, region: str, reason: str, notice: str) -> None:
        self._check_party(region, "resume")
        if self.status is not AgreementStatus.SUSPENDED or region not in self.suspended_by:
            raise AgreementStateError(self.id, "resume", f"{region} has not suspended it")
        self.suspended_by.discard(region)
        if not self.suspended_by:
            self.status = AgreementStatus.ACCEPTED

    class Terminated(Event):
        """``region`` ended the agreement; nothing is recognised under it any more."""

        TOPIC = "interop-hub:agreement.terminated"
        class_version = 1
        region: str
        reason: str
        notice: str

    @event(Terminated)
    def terminate(self, region: str, reason: str, notice: str) -> None:
        self._check_party(region, "terminate")
        if self.status is AgreementStatus.TERMINATED:
            raise AgreementStateError(self.id, "terminate", "agreement is already terminated")
        self.status = AgreementStatus.TERMINATED

    def in_scope(self, contract_id: str, issuer_department: str, at: dt.datetime) -> bool:
        """Whether a ``contract_id`` record of ``issuer_department`` is recognised at ``at``."""
        return self.refusal(contract_id, issuer_department, at) is None

    def refusal(
        self, contract_id: str, issuer_department: str, at: dt.datetime
    ) -> tuple[Reason, str] | None:
        """None when in scope and in force at ``at``; else the reason and a detail."""
        if not self.terms.covers(contract_id, issuer_department):
            return Reason.OUT_OF_AGREEMENT, (
                f"agreement {self.id} covers {', '.join(self.terms.contracts)} "
                f"from {', '.join(self.terms.departments)}")
        if not self.terms.valid_at(at):
            return Reason.OUT_OF_AGREEMENT, (
                f"agreement {self.id} is valid from {self.terms.valid_from:%Y-%m-%dT%H:%M:%SZ} "
                f"until {self.terms.valid_until:%Y-%m-%dT%H:%M:%SZ}")
        if self.status is AgreementStatus.PROPOSED:
            waiting = sorted(set(self.terms.regions) - set(self.signatures))
            return Reason.AGREEMENT_NOT_ACCEPTED, (
                f"agreement {self.id} awaits the acceptance of {', '.join(waiting)}")
        if self.status is AgreementStatus.SUSPENDED:
            return Reason.AGREEMENT_SUSPENDED, (
                f"agreement {self.id} is suspended by {', '.join(sorted(self.suspended_by))}")
        if self.status is AgreementStatus.TERMINATED:
            return Reason.OUT_OF_AGREEMENT, f"agreement {self.id} was terminated"
        return None

    def _check_party(self, region: str, action: str) -> None:
        if region not in self.terms.regions:
            raise AgreementStateError(self.id, action, f"{region} is not a party")
