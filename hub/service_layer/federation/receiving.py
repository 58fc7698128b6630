"""The receiving side's decisions: recognise or refuse an attestation, honour a revocation.

:class:`Recogniser` runs the checks of :mod:`regions.verification` in order,
signs the receipt and records the outcome in a :class:`Workspace` (on the
aggregates it holds, or as the first events of a record new here) — which the
application then records in one transaction, so a batch of recognitions costs
one commit. It never raises about its input: every refusal is a receipt with a
reason code and an event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace

from contracts import ContractId
from federation.attestation import Attestation, PresentedAttestation, read_attestation
from federation.canonical import instant
from federation.errors import StatementError, UnknownKeyError, UnknownPeerError
from federation.jws import MAX_STATEMENT_CHARS, Statement, statement_digest
from federation.keys import KeyRing, PublicKey
from federation.reasons import Outcome, Reason
from federation.receipt import Receipt, read_receipt, sign_receipt
from federation.revocation import Revocation, read_revocation
from federation.trust import TrustList
from federation.verification import (
    ContractCheck,
    Refusal,
    check_presenter,
    check_signature,
    check_times,
    trusted_key,
)
from hub.domain.agreement import Agreement
from hub.domain.recognition import (
    Recognition,
    UnverifiedPresentation,
    presentation_id,
    recognition_id,
)
from hub.service_layer.federation.agreements import AgreementBook
from hub.service_layer.federation.workspace import Workspace


@dataclass(frozen=True)
class Presentation:
    """One statement as received: its text, digest, kind and who sent it, when (``now``;
    ``at`` is the same instant as events record it)."""

    compact: object
    digest: str
    about: str
    from_region: str
    now: dt.datetime
    at: str

    @classmethod
    def of(cls, compact: object, about: str, from_region: str, now: dt.datetime) -> Presentation:
        text = compact if isinstance(compact, str) else repr(compact)
        return cls(compact, statement_digest(text), about, from_region, now, instant(now))

    def evidence(self) -> str:
        """The input as it may be stored: capped, and re-encodable as UTF-8."""
        text = self.compact if isinstance(self.compact, str) else repr(self.compact)
        if len(text) > MAX_STATEMENT_CHARS:
            text = text[:256] + f"…[{len(text)} characters]"
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


class Recogniser:
    """Decides about attestations and revocations from peers, with this region's context."""

    def __init__(
        self,
        *,
        keys: KeyRing,
        trust: Callable[[], TrustList],
        agreements: AgreementBook,
        contracts: ContractCheck,
        skew: dt.timedelta,
    ) -> None:
        self.keys = keys
        self.trust = trust
        self.agreements = agreements
        self.contracts = contracts
        self.skew = skew

    @property
    def region(self) -> str:
        return self.keys.region

    def attestation(self, ws: Workspace, p: Presentation) -> Receipt:
        """Recognise or refuse one attestation; the outcome is recorded in ``ws``."""
        try:
            presented = read_attestation(p.compact)
        except StatementError as exc:
            return self._unverified(ws, p, Refusal(Reason(exc.reason), exc.detail))
        claims = presented.attestation
        claimed = (claims.issuer, claims.record_id)
        refusal = check_presenter(claims, p.from_region)
        if refusal is not None:
            return self._unverified(ws, p, refusal, *claimed)
        recognition = ws.find(recognition_id(*claimed), Recognition)
        if (recognition is not None and recognition.is_recognised
                and recognition.recognised == p.digest):
            return self._replay(ws, recognition, p)
        key = trusted_key(self.trust(), claims)
        if isinstance(key, Refusal):
            return self._unverified(ws, p, key, *claimed)
        refusal = check_signature(presented, key)
        if refusal is not None:
            return self._unverified(ws, p, refusal, *claimed)
        return self._decide(ws, recognition, presented, key, p)

    def revocation(self, ws: Workspace, p: Presentation) -> Receipt:
        """Honour an authentic revocation: withdraw the recognition, or note it for later."""
        try:
            presented = read_revocation(p.compact)
        except StatementError as exc:
            return self._unverified(ws, p, Refusal(Reason(exc.reason), exc.detail))
        revocation = presented.revocation
        claimed = (revocation.issuer, revocation.record_id)
        refusal = self._check_revocation(presented.statement, revocation, p)
        if refusal is not None:
            return self._unverified(ws, p, refusal, *claimed)
        recognition = ws.find(recognition_id(*claimed), Recognition)
        if recognition is not None and recognition.revocation == p.digest:
            return self._replay(ws, recognition, p)
        if recognition is None:
            recognition = Recognition(issuer=revocation.issuer, record_id=revocation.record_id)
        withdrawn = recognition.is_recognised
        outcome = Outcome.WITHDRAWN if withdrawn else Outcome.NOTED
        receipt = self._sign(p, outcome, None, revocation.reason, *claimed)
        record = recognition.withdraw if withdrawn else recognition.note_revocation
        record(p.digest, p.evidence(), revocation.reason, p.at, receipt.jws)
        ws.keep(recognition)
        return receipt

    def _decide(
        self, ws: Workspace, recognition: Recognition | None, presented: PresentedAttestation,
        key: PublicKey, p: Presentation,
    ) -> Receipt:
        """Record the decision about an authentic attestation on its record's recognition
        (opened by this decision when the record is new here)."""
        claims = presented.attestation
        claimed = (claims.issuer, claims.record_id)
        verdict = self._evaluate(recognition, claims, key, p.now)
        if isinstance(verdict, Refusal):
            receipt = self._sign(p, Outcome.REFUSED, verdict.reason, verdict.detail, *claimed)
            decision: type[Recognition.Event] = Recognition.RecognitionRefused
            fields = {"statement": p.digest, "attestation": p.evidence(),
                      "reason": verdict.reason.value, "detail": verdict.detail, "at": p.at,
                      "receipt": receipt.jws}
        else:
            agreement, read_as = verdict
            receipt = self._sign(p, Outcome.RECOGNISED, None, None, *claimed)
            decision = Recognition.Recognised
            fields = {"statement": p.digest, "attestation": presented.statement.compact,
                      "department": claims.department, "contract": claims.contract,
                      "read_as": str(read_as), "subject": claims.subject,
                      "content_digest": claims.content_digest,
                      # The claims' own spelling: the only one parse_instant accepts.
                      "issued_at": presented.statement.claims["issued_at"],
                      "valid_until": presented.statement.claims["valid_until"],
                      "kid": claims.kid,
                      "agreement_id": str(agreement.id), "at": p.at, "receipt": receipt.jws}
        if recognition is None:
            ws.open(Recognition, Recognition.opened_with(*claimed, decision, **fields))
        elif decision is Recognition.Recognised:
            recognition.recognise(**fields)
            ws.keep(recognition)
        else:
            recognition.refuse(**fields)
            ws.keep(recognition)
        return receipt

    def _evaluate(
        self, recognition: Recognition | None, claims: Attestation, key: PublicKey,
        now: dt.datetime,
    ) -> Refusal | tuple[Agreement, ContractId]:
        """Times, record history, agreement, contract version — the first refusal, or the
        agreement it is recognised under and the contract version it is read as."""
        refusal = check_times(claims, key, now, self.skew) or (
            None if recognition is None else _check_record(recognition))
        if refusal is not None:
            return refusal
        agreement = self.agreements.decide(self.region, claims.issuer, claims.contract,
                                           claims.issuing_department, now)
        if isinstance(agreement, Refusal):
            return agreement
        reading = self.contracts(claims, self.trust().peer(claims.issuer).registry)
        if isinstance(reading, Refusal):
            return reading
        if reading.read_as is None:  # ContractCheck already refuses these; for the type checker
            return Refusal(Reason.UNKNOWN_CONTRACT_VERSION, reading.detail)
        return agreement, reading.read_as

    def _check_revocation(
        self, statement: Statement, revocation: Revocation, p: Presentation
    ) -> Refusal | None:
        if revocation.issuer != p.from_region:
            return Refusal(Reason.MALFORMED, f"revocation by {revocation.issuer!r} "
                                             f"presented by {p.from_region!r}")
        try:
            key = self.trust().key(revocation.issuer, revocation.kid)
        except (UnknownPeerError, UnknownKeyError) as exc:
            return Refusal(Reason.UNKNOWN_KEY, exc.message)
        if not statement.verify(key):
            return Refusal(Reason.BAD_SIGNATURE, f"signature does not verify under key {key.kid}")
        if not key.validity.signs_at(revocation.revoked_at):
            return Refusal(Reason.KEY_NOT_VALID_AT_ISSUE_TIME,
                           f"key {key.kid} did not sign at {instant(revocation.revoked_at)}")
        if revocation.revoked_at > p.now + self.skew:
            return Refusal(Reason.NOT_YET_VALID, "revoked in the future")
        if not key.validity.verifies_at(p.now):
            return Refusal(Reason.EXPIRED, f"key {key.kid}'s published validity has ended")
        return None

    def _replay(self, ws: Workspace, recognition: Recognition, p: Presentation) -> Receipt:
        recognition.replay(p.digest, p.at)
        ws.keep(recognition)
        _, receipt = read_receipt(recognition.receipts[p.digest])
        return replace(receipt, replay=True)

    def _unverified(
        self, ws: Workspace, p: Presentation, refusal: Refusal,
        issuer: str | None = None, record_id: str | None = None,
    ) -> Receipt:
        receipt = self._sign(p, Outcome.REFUSED, refusal.reason, refusal.detail, issuer,
                             record_id)
        presentation = ws.find(presentation_id(p.digest), UnverifiedPresentation)
        if presentation is None:
            presentation = UnverifiedPresentation(
                statement=p.digest, about=p.about, from_region=p.from_region,
                evidence=p.evidence(), reason=refusal.reason.value, detail=receipt.detail or "",
                at=p.at, receipt=receipt.jws)
        else:
            presentation.refuse_again(p.from_region, refusal.reason.value, receipt.detail or "",
                                      p.at, receipt.jws)
        ws.keep(presentation)
        return receipt

    def _sign(
        self, p: Presentation, outcome: Outcome, reason: Reason | None, detail: str | None,
        issuer: str | None, record_id: str | None,
    ) -> Receipt:
        return sign_receipt(self.keys, statement=p.digest, about=p.about, issuer=issuer,
                            record_id=record_id, outcome=outcome, reason=reason, detail=detail,
                            at=p.now)


def _check_record(recognition: Recognition) -> Refusal | None:
    """What this region already knows of the record: revoked, or recognised under another."""
    if recognition.is_revoked:
        return Refusal(Reason.REVOKED, f"record {recognition.record_id} was revoked by "
                                       f"{recognition.issuer}")
    if recognition.recognised is not None:
        return Refusal(Reason.REPLAYED, f"record {recognition.record_id} is already recognised "
                                        f"under attestation {recognition.recognised}")
    return None
