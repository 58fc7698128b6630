"""The citizen desk: a person, identified by their ID token, reads and acts on their own data.

Two ways in, one set of rules:

- **API** (:meth:`CitizenDesk.read`, :meth:`CitizenDesk.revoke`): each request carries a fresh
  ID token; the token's single use and what it read are saved together *before* anything is
  returned, so a token replayed on another hub process is refused at save time and shows
  nothing.
- **Pages** (:meth:`CitizenDesk.sign_in` and the ``*_in_session`` methods): the token is
  used once to sign in; the browser then holds a random secret whose SHA-256 the
  ``CitizenAccess`` aggregate keeps, valid until the token's ``exp``. Any hub process can
  check it, as the session lives in the ledger.

The person is only ever their subject reference, derived from the token's national id
claim under the region secret; every query is asked with that reference. Refusals are
saved as ``CitizenRefusal`` aggregates by :meth:`CitizenDesk.refuse`, within the refusal
budget (:mod:`hub.service_layer.citizen.refusal_budget`); beyond it they are counted, and
each address's count per window is saved as one ``CitizenRefusalSummary`` once the window
has ended (with the next refusal or reading after it, or when the desk is closed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from hub.adapters.id_tokens.errors import TokenReplayedError
from hub.adapters.id_tokens.verifier import Claimed, IdTokenVerifier, VerifiedToken
from hub.domain.citizen_access import CitizenAccess, CitizenRefusal, CitizenRefusalSummary
from hub.domain.consent import Consent, ConsentState
from hub.service_layer.citizen import views
from hub.service_layer.citizen.errors import (
    CitizenConsentNotActiveError,
    CitizenConsentNotFoundError,
    CitizenSessionEndedError,
)
from hub.service_layer.citizen.refusal_budget import RefusalBudget, SuppressedRefusals
from hub.service_layer.security.consents import ConsentBook

if TYPE_CHECKING:
    from hub.adapters.projections.data_use_book import DataUseBook
    from hub.adapters.readmodels.cases import CaseBoard
    from hub.adapters.store.ledger import Ledger

Clock = Callable[[], dt.datetime]
REPORT, CONSENTS, CASES, KEPT = "data-use-report", "consents", "cases", "retention"
READINGS = (REPORT, CONSENTS, CASES, KEPT)
_SAVE_RETRIES = 5  # two pages of one session saved at once: reload and append again


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Reading:
    """What the person was shown: their reference and the items of one reading."""

    subject_ref: str
    what: str
    items: list[dict[str, Any]]


@dataclass(frozen=True)
class RefusalRecord:
    """How a refusal was recorded: on its own (``refusal_id``), or, beyond the budget,
    counted into its address's summary (``refusal_id`` None; retry after ``retry_after_s``)."""

    refusal_id: UUID | None
    retry_after_s: int = 0


@dataclass(frozen=True)
class SignIn:
    """A pages' session: the access id and the secret only the browser holds."""

    access_id: UUID
    secret: str
    expires_at: dt.datetime


class CitizenDesk:
    """Reads and consent revocations for the person an ID token names, each recorded."""

    def __init__(self, ledger: Ledger, uses: DataUseBook, verifier: IdTokenVerifier, *,
                 budget: RefusalBudget, clock: Clock = utc_now,
                 cases: CaseBoard | None = None) -> None:
        self._ledger = ledger
        self._cases = cases  # the cases read model, where the hub runs cases
        self._uses = uses
        self._verifier = verifier
        self._budget = budget
        self._clock = clock

    # -- API: one token, one request --------------------------------------------------------

    def read(self, token: str, what: str, nonce: str | None = None) -> Reading:
        """Verify ``token`` (its ``nonce`` against ``nonce`` when the portal sends one),
        record its use and the reading, then return the items."""
        self.record_suppressed()
        access = self._accept(self._verifier.verify(token, nonce), via="api", session_digest="")
        items = self._items(what, access.subject_ref)
        access.read(what, len(items))
        self._save_first(access)
        return Reading(access.subject_ref, what, items)

    def revoke(self, token: str, consent_id: str, nonce: str | None = None) -> dict[str, Any]:
        """Verify ``token`` and withdraw the person's consent ``consent_id`` on their behalf."""
        access = self._accept(self._verifier.verify(token, nonce), via="api", session_digest="")
        self._save_first(access)
        return self._revoke(access, consent_id)

    # -- pages: one token signs in, a secret carries the session -----------------------------

    def sign_in(self, token: str) -> SignIn:
        """Verify ``token`` and open a session lasting until the token expires."""
        secret = secrets.token_urlsafe(32)
        access = self._accept(self._verifier.verify(token), via="pages",
                              session_digest=_digest(secret))
        self._save_first(access)
        return SignIn(access.id, secret, dt.datetime.fromisoformat(access.expires_at))

    def session(self, access_id: UUID, secret: str) -> CitizenAccess:
        """The session's access, if the secret is right and it has neither expired nor
        been signed out; else :class:`CitizenSessionEndedError`."""
        try:
            access: object = self._ledger.repository.get(access_id)
        except AggregateNotFoundError:
            access = None
        if (not isinstance(access, CitizenAccess) or not access.session_digest
                or not hmac.compare_digest(access.session_digest, _digest(secret))):
            raise CitizenSessionEndedError("no session: sign in with your identity provider")
        if access.signed_out or self._clock() >= dt.datetime.fromisoformat(access.expires_at):
            raise CitizenSessionEndedError("your session has ended: sign in again")
        return access

    def read_in_session(self, access_id: UUID, secret: str, what: str) -> Reading:
        """One reading within a session, recorded before the items are returned."""
        access = self.session(access_id, secret)
        items = self._items(what, access.subject_ref)
        self._append(access_id, secret, lambda a: a.read(what, len(items)))
        return Reading(access.subject_ref, what, items)

    def revoke_in_session(self, access_id: UUID, secret: str, consent_id: str
                          ) -> dict[str, Any]:
        """Withdraw the person's consent ``consent_id`` within a session."""
        return self._revoke(self.session(access_id, secret), consent_id)

    def sign_out(self, access_id: UUID, secret: str) -> None:
        """End the session now (the token stays spent)."""
        self._append(access_id, secret, lambda a: a.sign_out())

    # -- refusals -----------------------------------------------------------------------------

    def claimed(self, token: str) -> Claimed:
        """What ``token`` claims, unverified: for recording a refusal."""
        return self._verifier.claimed(token)

    def refuse(self, code: str, reason: str, path: str, claimed: Claimed,
               subject_ref: str = "", *, client: str) -> RefusalRecord:
        """Record a request refused to ``client`` (its address): within the refusal budget
        as ``CitizenRequestRefused``, beyond it counted into the address's summary."""
        self.record_suppressed()
        wait = self._budget.admit(client, code)
        if wait is not None:
            return RefusalRecord(None, max(1, math.ceil(wait)))
        refusal = CitizenRefusal(code, reason[:2000], path[:500], claimed.issuer,
                                 claimed.portal, subject_ref)
        self._ledger.save(refusal)
        return RefusalRecord(refusal.id)

    def record_suppressed(self, *, all_windows: bool = False) -> int:
        """Save one ``CitizenRefusalsSuppressed`` per address of each ended window (of every
        window, ended or not, with ``all_windows``: at shutdown); returns how many."""
        summaries = self._budget.drain() if all_windows else self._budget.ended()
        if summaries:
            self._ledger.save(*(_summary(s) for s in summaries))
        return len(summaries)

    # -- plumbing -----------------------------------------------------------------------------

    def _accept(self, token: VerifiedToken, *, via: str, session_digest: str) -> CitizenAccess:
        subject_ref = self._ledger.keyring.ref_for(token.national_id)
        expires = dt.datetime.fromtimestamp(token.expires_at, dt.UTC).isoformat()
        return CitizenAccess(subject_ref, token.issuer, token.portal, token.token_id,
                             expires, via, session_digest)

    def _save_first(self, access: CitizenAccess) -> None:
        """Save a token's first use; a use already saved (by any process) is a replay."""
        try:
            self._ledger.save(access)
        except IntegrityError:
            raise TokenReplayedError(
                f"this token (jti {access.token_id!r}) was already used; ask the identity "
                "provider for a new one", claim="jti") from None

    def _append(self, access_id: UUID, secret: str,
                change: Callable[[CitizenAccess], None]) -> None:
        for attempt_left in range(_SAVE_RETRIES, 0, -1):
            access = self.session(access_id, secret)
            change(access)
            try:
                self._ledger.save(access)
                return
            except IntegrityError:
                if attempt_left == 1:
                    raise

    def _items(self, what: str, subject_ref: str) -> list[dict[str, Any]]:
        now = self._clock()
        if what == REPORT:
            return views.report_items(self._uses, subject_ref)
        if what == CONSENTS:
            return views.consent_items(self._ledger, subject_ref, now)
        if what == CASES:
            return views.case_items(self._cases, subject_ref)
        if what == KEPT:
            return views.kept_items(self._ledger, self._uses, subject_ref, now)
        raise ValueError(f"unknown reading {what!r}; one of {READINGS}")

    def _revoke(self, access: CitizenAccess, consent_id: str) -> dict[str, Any]:
        consent = self._own_consent(access.subject_ref, consent_id)
        if consent.state is not ConsentState.ACTIVE or consent.is_past(self._clock()):
            state = ConsentState.EXPIRED if consent.is_past(self._clock()) else consent.state
            raise CitizenConsentNotActiveError(
                f"consent {consent_id} is {state.value} already", field="consent_id",
                subject_ref=access.subject_ref)
        by = f"citizen {access.subject_ref} via {access.portal or access.issuer}"
        revoked = ConsentBook(self._ledger, clock=self._clock).revoke(
            access.subject_ref, consent.purpose, consent.recipient, by=by[:300],
            reason="withdrawn by the data subject through a portal")
        self._append_revocation(access, str(revoked.id))
        return views.consent_item(revoked, self._clock())

    def _append_revocation(self, access: CitizenAccess, consent_id: str) -> None:
        for attempt_left in range(_SAVE_RETRIES, 0, -1):
            current: CitizenAccess = self._ledger.repository.get(access.id)
            current.revoked_consent(consent_id)
            try:
                self._ledger.save(current)
                return
            except IntegrityError:
                if attempt_left == 1:
                    raise

    def _own_consent(self, subject_ref: str, consent_id: str) -> Consent:
        """The consent if it is this person's; otherwise not found, whoever's it is."""
        missing = CitizenConsentNotFoundError(
            f"you have no consent with id {consent_id[:64]!r}", field="consent_id",
            subject_ref=subject_ref)
        try:
            consent: object = self._ledger.repository.get(UUID(consent_id))
        except (ValueError, AggregateNotFoundError):
            raise missing from None
        if not isinstance(consent, Consent) or consent.subject_ref != subject_ref:
            raise missing
        return consent


def _summary(counted: SuppressedRefusals) -> CitizenRefusalSummary:
    def iso(seconds: float) -> str:
        return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()

    return CitizenRefusalSummary(counted.client[:200], iso(counted.window_start),
                                 iso(counted.window_end), counted.count, dict(counted.codes))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
