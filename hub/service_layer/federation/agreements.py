"""Agreements in the federation application: the in-memory book, and the commands.

:class:`AgreementBook` keeps every agreement in memory for the recognition
path, which consults them for each attestation. It follows the store, not this
process (through :class:`~hub.service_layer.federation.follower.LogFollower`), so another
worker's suspension is seen at the next refresh.

:class:`AgreementCommands` is the part of :class:`~hub.service_layer.federation.FederationApp`
that proposes, accepts, suspends, resumes and terminates agreements, each step
signed by this region and verified when it comes from the peer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Notification

from federation.errors import (
    AgreementNotFoundError,
    AgreementStateError,
    ConflictError,
    StatementError,
)
from federation.jws import Statement
from federation.keys import KeyRing
from federation.reasons import Reason
from federation.terms import AgreementTerms, read_notice, read_terms, sign_notice, sign_terms
from federation.trust import TrustList
from federation.verification import Refusal
from hub.domain.agreement import Agreement
from hub.domain.originator import originator_uuid
from hub.service_layer.federation.follower import LogFollower

AGREEMENT_TOPICS = tuple(
    cls.TOPIC
    for cls in (Agreement.Proposed, Agreement.AcceptanceSigned, Agreement.Accepted,
                Agreement.Suspended, Agreement.Resumed, Agreement.Terminated)
)
# When several agreements could apply, the refusal that says the most wins.
_RANK = {Reason.AGREEMENT_SUSPENDED: 0, Reason.AGREEMENT_NOT_ACCEPTED: 1,
         Reason.OUT_OF_AGREEMENT: 2}


class AgreementBook:
    """Every agreement of one application, kept current by a :class:`LogFollower`."""

    def __init__(self, app: Application[UUID], follower: LogFollower) -> None:
        self._app = app
        self._agreements: dict[UUID, Agreement] = {}
        follower.on(AGREEMENT_TOPICS, self._changed)

    def _changed(self, notification: Notification) -> None:
        agreement: object = self._app.repository.get(originator_uuid(notification.originator_id))
        if isinstance(agreement, Agreement):
            self._agreements[agreement.id] = agreement

    def all(self) -> list[Agreement]:
        """Every agreement, by valid-from then id."""
        return sorted(self._agreements.values(), key=lambda a: (a.terms.valid_from, str(a.id)))

    def decide(
        self, own: str, issuer: str, contract: str, department: str, at: dt.datetime
    ) -> Agreement | Refusal:
        """The agreement under which ``issuer``'s record is recognised at ``at``, or why none."""
        refusals: list[tuple[Reason, str]] = []
        for agreement in self._agreements.values():
            if set(agreement.terms.regions) != {own, issuer}:
                continue
            refusal = agreement.refusal(contract, department, at)
            if refusal is None:
                return agreement
            if agreement.terms.covers(contract, department):
                refusals.append(refusal)
        if not refusals:
            return Refusal(Reason.OUT_OF_AGREEMENT,
                           f"no agreement between {own} and {issuer} covers {contract} "
                           f"issued by {department}")
        reason, detail = min(refusals, key=lambda r: _RANK[r[0]])
        return Refusal(reason, detail)


class AgreementCommands:
    """Agreement steps of the federation application (mixed into it; see the module doc)."""

    region: str
    keys: KeyRing
    trust: TrustList
    clock: Callable[[], dt.datetime]
    book: AgreementBook
    follower: LogFollower
    repository: Any
    save: Any

    def propose_agreement(
        self,
        *,
        accepter: str,
        contracts: Iterable[str],
        departments: Iterable[str],
        valid_from: dt.datetime,
        valid_until: dt.datetime,
        agreement_id: str | None = None,
    ) -> tuple[UUID, str]:
        """Propose terms to ``accepter``; returns the agreement id and our signed terms."""
        terms = AgreementTerms.new(proposer=self.region, accepter=accepter, contracts=contracts,
                                   departments=departments, valid_from=valid_from,
                                   valid_until=valid_until, agreement_id=agreement_id)
        signature = sign_terms(terms, self.keys, now=self.clock())
        agreement = Agreement(agreement_id=terms.agreement_id, terms=terms.claims(),
                              digest=terms.digest)
        agreement.sign(self.region, self.keys.active.kid, signature)
        self._save_agreement(agreement)
        return agreement.id, signature

    def receive_proposal(self, signed_terms: str, *, from_region: str) -> UUID:
        """Record a peer's proposal (its signed terms), verified; idempotent."""
        statement, terms = read_terms(signed_terms)
        self._verify_from(statement, from_region)
        if terms.proposer != from_region or terms.accepter != self.region:
            raise AgreementStateError(terms.agreement_id, "receive the proposal",
                                      f"it is from {terms.proposer} to {terms.accepter}")
        existing = self._find_agreement(UUID(terms.agreement_id))
        if existing is not None:
            self._check_same_terms(existing, terms, "receive the proposal")
            return existing.id
        agreement = Agreement(agreement_id=terms.agreement_id, terms=terms.claims(),
                              digest=terms.digest)
        agreement.sign(from_region, statement.kid, signed_terms)
        self._save_agreement(agreement)
        return agreement.id

    def accept_agreement(self, agreement_id: UUID) -> str:
        """Sign the terms as this region; returns the signature to send to the proposer."""
        agreement = self.get_agreement(agreement_id)
        signature = sign_terms(agreement.terms, self.keys, now=self.clock())
        agreement.sign(self.region, self.keys.active.kid, signature)
        self._save_agreement(agreement)
        return signature

    def record_acceptance(self, signed_terms: str, *, from_region: str) -> Agreement:
        """Record the peer's signature over the same terms; idempotent."""
        statement, terms = read_terms(signed_terms)
        self._verify_from(statement, from_region)
        agreement = self.get_agreement(UUID(terms.agreement_id))
        self._check_same_terms(agreement, terms, "record the acceptance")
        if from_region not in agreement.signatures:
            agreement.sign(from_region, statement.kid, signed_terms)
            self._save_agreement(agreement)
        return agreement

    def suspend_agreement(self, agreement_id: UUID, reason: str) -> str:
        """Suspend on this region's behalf; returns the signed notice for the peer."""
        return self._act(agreement_id, "suspend", reason)

    def resume_agreement(self, agreement_id: UUID, reason: str) -> str:
        """Lift this region's suspension; returns the signed notice for the peer."""
        return self._act(agreement_id, "resume", reason)

    def terminate_agreement(self, agreement_id: UUID, reason: str) -> str:
        """End the agreement; returns the signed notice for the peer."""
        return self._act(agreement_id, "terminate", reason)

    def receive_agreement_notice(self, notice_jws: str, *, from_region: str) -> Agreement:
        """Apply a peer's signed suspend / resume / terminate notice."""
        statement, notice = read_notice(notice_jws)
        self._verify_from(statement, from_region)
        if notice.region != from_region:
            raise StatementError(Reason.MALFORMED, f"notice of {notice.region} sent by "
                                                   f"{from_region}")
        agreement = self.get_agreement(UUID(notice.agreement_id))
        getattr(agreement, notice.action)(from_region, notice.reason, notice_jws)
        self._save_agreement(agreement)
        return agreement

    def agreements(self) -> list[Agreement]:
        """Every agreement this region holds."""
        self.follower.refresh()
        return self.book.all()

    def get_agreement(self, agreement_id: UUID) -> Agreement:
        agreement = self._find_agreement(agreement_id)
        if agreement is None:
            raise AgreementNotFoundError(agreement_id)
        return agreement

    def _act(self, agreement_id: UUID, action: str, reason: str) -> str:
        agreement = self.get_agreement(agreement_id)
        _, notice = sign_notice(self.keys, agreement_id=str(agreement_id), action=action,
                                reason=reason, at=self.clock())
        getattr(agreement, action)(self.region, reason, notice)
        self._save_agreement(agreement)
        return notice

    def _verify_from(self, statement: Statement, region: str) -> None:
        """The statement must be signed by a key of ``region`` trusted and verifying now."""
        key = self.trust.key(region, statement.kid)
        if not statement.verify(key):
            raise StatementError(Reason.BAD_SIGNATURE, f"not signed by {region}'s key {key.kid}")
        if not key.validity.verifies_at(self.clock()):
            raise StatementError(Reason.EXPIRED, f"{region}'s key {key.kid} no longer verifies")

    def _check_same_terms(self, agreement: Agreement, terms: AgreementTerms, action: str) -> None:
        if agreement.digest != terms.digest:
            raise AgreementStateError(agreement.id, action,
                                      "the signed terms differ from the terms held here")

    def _find_agreement(self, agreement_id: UUID) -> Agreement | None:
        try:
            agreement = self.repository.get(agreement_id)
        except AggregateNotFoundError:
            return None
        return agreement if isinstance(agreement, Agreement) else None

    def _save_agreement(self, agreement: Agreement) -> None:
        try:
            self.save(agreement)
        except IntegrityError:
            raise ConflictError(f"agreement {agreement.id}") from None
        self.follower.refresh()
