"""The federation application: one region's records, recognitions and agreements as events.

Issuing side: :meth:`FederationApp.issue_record` (Issued + Attested),
:meth:`~FederationApp.revoke` (Revoked), :meth:`~FederationApp.record_receipt`
(ReceiptRecorded). Receiving side: :meth:`~FederationApp.recognise` /
:meth:`~FederationApp.recognise_many` (Recognised, RecognitionRefused, Replayed)
and :meth:`~FederationApp.recognise_revocation` (RecognitionWithdrawn,
RevocationNoted). Agreements: see
:class:`~hub.service_layer.federation.agreements.AgreementCommands`.

Every method is one transaction and returns what travels to the peer (a signed
attestation, revocation, receipt, terms or notice); moving it is the caller's
job (NATS leaf-node links). Methods are synchronous, like eventsourcing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, NamedTuple
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import EventStore, IntegrityError, Transcoder

from contracts import ContractRegistry
from contracts.validation import validate_contract
from federation import claims as shape
from federation.attestation import Attestation, read_attestation, sign_attestation
from federation.canonical import digest_json, instant
from federation.document_digests import DocumentDigest
from federation.errors import (
    ConflictError,
    ReceiptError,
    RecordError,
    RecordNotFoundError,
    RecordStateError,
    StatementError,
    TrustListError,
)
from federation.fingerprints import RegistryFingerprint, registry_fingerprint
from federation.jws import statement_digest
from federation.keys import KeyRing
from federation.reasons import Reason
from federation.receipt import Receipt, read_receipt
from federation.revocation import sign_revocation
from federation.trust import TrustList, newest
from federation.verification import DEFAULT_SKEW, ContractCheck
from hub.adapters.store.federation_store import APPLICATION_NAME, snapshot_recorder
from hub.adapters.store.transcoder import PlainJSONTranscoder
from hub.domain.recognition import Recognition, UnverifiedPresentation, recognition_id
from hub.domain.record import Record
from hub.service_layer.federation.agreements import AgreementBook, AgreementCommands
from hub.service_layer.federation.follower import KnownIds, LogFollower
from hub.service_layer.federation.receiving import Presentation, Recogniser
from hub.service_layer.federation.workspace import Workspace


class IssuedRecord(NamedTuple):
    """A record just issued: its id and its signed attestation (to send to peers)."""

    record_id: UUID
    attestation: str


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class FederationApp(AgreementCommands, Application[UUID]):
    """One region's side of federation, recorded as events (its own table; see ``store``)."""

    name = APPLICATION_NAME
    # Every replay of an attestation is an event on its record's recognition, so a much
    # replayed record grows a long history: snapshots keep loading it bounded.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Recognition: 50}
    # Loaded aggregates are cached (and fast-forwarded from the store on each use).
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "10000"}

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        keys: KeyRing,
        trust: TrustList,
        registry: ContractRegistry,
        clock: Callable[[], dt.datetime] = utc_now,
        skew: dt.timedelta = DEFAULT_SKEW,
    ) -> None:
        super().__init__(env)
        if trust.region != keys.region:
            raise TrustListError(f"the trust list of {trust.region!r} was given to "
                                 f"region {keys.region!r}")
        self.region = keys.region
        self.keys = keys
        self.trust = trust
        self.registry = registry
        self.clock = clock
        self.fingerprint: RegistryFingerprint = registry_fingerprint(registry)
        self.follower = LogFollower(self)
        self.book = AgreementBook(self, self.follower)
        known = KnownIds()
        opened = (Recognition.Opened.TOPIC, UnverifiedPresentation.RecognitionRefused.TOPIC)
        self.follower.on(opened, known.add)
        self._recogniser = Recogniser(keys=keys, trust=lambda: self.trust, agreements=self.book,
                                      contracts=ContractCheck(registry, self.fingerprint),
                                      skew=skew)
        self._known = known

    def construct_transcoder(self) -> Transcoder:
        # Recognition events are flat; writing them is a tenth of a recognition's work.
        transcoder = PlainJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def construct_snapshot_store(self) -> EventStore[UUID]:
        return self.factory.event_store(mapper=self.mapper,
                                        recorder=snapshot_recorder(self.factory))

    def use_trust_list(self, signed: str) -> TrustList:
        """Verify a newer signed trust list of this region and use it from now on."""
        candidate = TrustList.verify(signed, self.keys.public_keys(), region=self.region)
        self.trust = newest(self.trust, candidate)
        return self.trust

    # -- issuing side ---------------------------------------------------------------------------

    def issue_record(
        self,
        department: str,
        contract: str,
        content: Mapping[str, Any],
        *,
        subject: str,
        valid_until: dt.datetime | None = None,
        record_id: UUID | None = None,
        documents: tuple[DocumentDigest, ...] = (),
    ) -> IssuedRecord:
        """Issue and attest a record: ``content`` must satisfy ``contract`` (never stored).

        ``subject`` is the pseudonymous reference of the person concerned (e.g.
        ``SubjectKeyring.ref_for``); ``documents`` are the digests of documents that go
        with it (signed in the attestation, fetched by peers through their link). Raises
        ContractError / UnknownContractError for bad content, RecordError for a bad
        department or subject reference.
        """
        if not shape.department(department) or not shape.subject(subject):
            raise RecordError(f"department {department!r} or subject reference {subject!r} "
                              "is not well formed")
        document = validate_contract(self.registry.get(contract), content)
        content_digest = digest_json(document.model_dump(mode="json"))
        now = self.clock()
        rid = str(record_id or uuid4())
        attestation, compact = sign_attestation(
            self.keys, department=department, record_id=rid, contract=contract,
            subject=subject, content_digest=content_digest, issued_at=now,
            valid_until=valid_until, documents=documents)
        record = Record(record_id=rid, region=self.region, department=department,
                        contract=contract, subject=subject, content_digest=content_digest,
                        issued_at=instant(attestation.issued_at))
        record.attest(compact, statement_digest(compact), attestation.kid,
                      instant(attestation.valid_until))
        self._save(record)
        return IssuedRecord(record.id, compact)

    def revoke(self, record_id: UUID, reason: str) -> str:
        """Revoke an issued record; returns the signed revocation to send to receivers."""
        record = self.get_record(record_id)
        if record.is_revoked:
            raise RecordStateError(record_id, "revoke", "the record is already revoked")
        if not shape.text(reason):
            raise RecordError(f"a revocation needs a reason of 1 to {shape.MAX_TEXT} characters")
        _, compact = sign_revocation(
            self.keys, department=record.department, record_id=record.record_id,
            attestation=record.attestation_digest or "", reason=reason, revoked_at=self.clock())
        record.revoke(reason, compact, statement_digest(compact))
        self._save(record)
        return compact

    def record_receipt(self, receipt_jws: str, *, from_region: str) -> Receipt:
        """Verify a receiver's receipt and record it on the record; idempotent.

        Raises StatementError (malformed, bad signature), UnknownPeerError /
        UnknownKeyError, or ReceiptError when it is not about a statement sent here.
        """
        statement, receipt = read_receipt(receipt_jws)
        key = self.trust.key(from_region, statement.kid)
        if not statement.verify(key):
            raise StatementError(Reason.BAD_SIGNATURE, f"receipt not signed by {from_region}")
        if not key.validity.signs_at(receipt.at):
            raise StatementError(Reason.KEY_NOT_VALID_AT_ISSUE_TIME,
                                 f"key {key.kid} did not sign at {instant(receipt.at)}")
        if receipt.receiver != from_region or receipt.issuer != self.region:
            raise ReceiptError(f"receipt by {receipt.receiver} about {receipt.issuer}'s record "
                               f"arrived from {from_region} at {self.region}")
        if receipt.record_id is None:
            raise ReceiptError("the receipt names no record (the statement was unreadable)")
        record = self.get_record(UUID(receipt.record_id))
        receipt_digest = statement.digest
        if record.has_receipt(receipt_digest):
            return Receipt(**{**receipt.__dict__, "replay": True})
        try:
            record.record_receipt(from_region, receipt.statement, receipt.outcome.value,
                                  None if receipt.reason is None else receipt.reason.value,
                                  receipt_jws, receipt_digest)
        except RecordStateError as exc:
            raise ReceiptError(exc.message) from None
        self._save(record)
        return receipt

    def get_record(self, record_id: UUID) -> Record:
        """An issued record; RecordNotFoundError if there is none."""
        record = self._find(record_id)
        if not isinstance(record, Record):
            raise RecordNotFoundError(record_id)
        return record

    # -- receiving side -------------------------------------------------------------------------

    def recognise(self, attestation: str, *, from_region: str) -> Receipt:
        """Verify an attestation from ``from_region``, record the outcome, return the receipt.

        Never raises about the attestation: a refusal is a receipt with a reason.
        The same attestation again returns its original receipt (``replay=True``).
        """
        return self.recognise_many([(attestation, from_region)])[0]

    def recognise_many(self, attestations: Iterable[tuple[str, str]]) -> list[Receipt]:
        """:meth:`recognise` for ``(attestation, from_region)`` pairs, in one transaction."""
        self.follower.refresh()
        ws = Workspace(self.repository, self._known)
        receipts = [
            self._recogniser.attestation(ws, Presentation.of(compact, "attestation", region,
                                                             self.clock()))
            for compact, region in attestations
        ]
        self._commit(ws)
        return receipts

    def recognise_revocation(self, revocation: str, *, from_region: str) -> Receipt:
        """Honour a peer's signed revocation: withdraw the recognition; return the receipt."""
        self.follower.refresh()
        ws = Workspace(self.repository, self._known)
        receipt = self._recogniser.revocation(
            ws, Presentation.of(revocation, "revocation", from_region, self.clock()))
        self._commit(ws)
        return receipt

    def recover_decision(self, compact: str, receipt_jws: str, *, from_region: str) -> Receipt:
        """Record again a decision this region took and lost (restored from a backup older
        than it), from the receipt it signed then, which ``from_region`` kept.

        The statement is decided again as of the receipt's time; Ed25519 signatures are
        deterministic, so the same decision signs the very same receipt. Only then is it
        recorded: a decision that comes out otherwise (a key rotated since, an agreement
        changed) raises ReceiptError and records nothing, for people to look at.
        """
        statement, held = read_receipt(receipt_jws)
        if held.receiver != self.region or held.issuer != from_region:
            raise ReceiptError(f"receipt by {held.receiver} about {held.issuer}'s record is not "
                               f"{self.region}'s about {from_region}'s")
        own = next((k for k in self.keys.public_keys() if k.kid == statement.kid), None)
        if own is None or not statement.verify(own):
            raise StatementError(Reason.BAD_SIGNATURE,
                                 f"receipt not signed by one of {self.region}'s keys")
        self.follower.refresh()
        ws = Workspace(self.repository, self._known)
        presented = Presentation.of(compact, held.about, from_region, held.at)
        decide = (self._recogniser.attestation if held.about == "attestation"
                  else self._recogniser.revocation)
        receipt = decide(ws, presented)
        if receipt.jws != receipt_jws:
            raise ReceiptError(
                f"record {held.record_id}: decided again, the {held.about} does not give the "
                f"receipt {from_region} holds ({receipt.outcome.value} vs {held.outcome.value})"
                "; nothing recorded")
        self._commit(ws)
        return receipt

    def recognition_of(self, issuer: str, record_id: str) -> Recognition | None:
        """What this region decided about ``issuer``'s record, if it ever saw it authentic."""
        found = self._find(recognition_id(issuer, record_id))
        return found if isinstance(found, Recognition) else None

    def decision_of(self, issuer: str, record_id: str) -> Recognition.Event | None:
        """The latest decision about ``issuer``'s record (Recognised, RecognitionRefused,
        RecognitionWithdrawn or RevocationNoted); None if it never arrived authentic."""
        recognition = self.recognition_of(issuer, record_id)
        if recognition is None:
            return None
        decisions = (Recognition.Recognised, Recognition.RecognitionRefused,
                     Recognition.RecognitionWithdrawn, Recognition.RevocationNoted)
        return next((e for e in reversed(list(self.events.get(recognition.id)))
                     if isinstance(e, decisions)), None)

    def recognised_attestation(self, issuer: str, record_id: str) -> Attestation | None:
        """The attestation under which ``issuer``'s record is recognised here now (None when
        it is not: never seen, refused, or withdrawn since)."""
        recognition = self.recognition_of(issuer, record_id)
        if recognition is None or not recognition.is_recognised:
            return None
        for stored in reversed(list(self.events.get(recognition.id))):
            if isinstance(stored, Recognition.Recognised):
                return read_attestation(stored.attestation).attestation
        return None

    def recognition_counts(self) -> dict[str, int]:
        """How many attestations were recognised, refused, replayed, withdrawn (by events)."""
        topics = {
            "recognised": (Recognition.Recognised.TOPIC,),
            "refused": (Recognition.RecognitionRefused.TOPIC,
                        UnverifiedPresentation.RecognitionRefused.TOPIC,
                        UnverifiedPresentation.RefusedAgain.TOPIC),
            "replayed": (Recognition.Replayed.TOPIC,),
            "withdrawn": (Recognition.RecognitionWithdrawn.TOPIC,),
        }
        return {name: self._count(names) for name, names in topics.items()}

    # -- plumbing -------------------------------------------------------------------------------

    def _count(self, topics: tuple[str, ...]) -> int:
        count, start = 0, 1
        while page := self.recorder.select_notifications(start, 1000, topics=topics):
            count += len(page)
            start = page[-1].id + 1
        return count

    def _find(self, aggregate_id: UUID) -> Aggregate | None:
        try:
            found: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found

    def _commit(self, ws: Workspace) -> None:
        """Record a workspace's events in one transaction; a lost race becomes ConflictError.

        What ``save`` does, for a batch: ``save`` checks every object it is given against
        eventsourcing's runtime protocols, which costs ~20 us an object on Python 3.11 (more
        than building the events), so the events go to the event store directly, and the
        snapshot rule (``snapshotting_intervals``) is applied to them here as ``save``
        applies it.
        """
        pending = ws.pending()
        if not pending:
            return
        try:
            recordings = self.events.put([e for _, e in pending])
        except IntegrityError:
            ids = sorted({str(e.originator_id) for _, e in pending})
            raise ConflictError(", ".join(ids)) from None
        self.follower.recorded([r.notification for r in recordings])
        for kind, e in pending:
            interval = self.snapshotting_intervals.get(kind)
            if interval is not None and e.originator_version % interval == 0:
                self.take_snapshot(e.originator_id, version=e.originator_version)

    def _save(self, *aggregates: Aggregate) -> None:
        """Save in one transaction; a lost race becomes ConflictError (nothing recorded)."""
        try:
            self.save(*aggregates)
        except IntegrityError:
            raise ConflictError(", ".join(str(a.id) for a in aggregates)) from None
