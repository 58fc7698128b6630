"""The federation part of a region's history, folded from its stored federation events.

Reads the federation application's notification log (its own table) in order
and folds each event into records issued, decisions taken and agreement scopes.
It needs no key: attestations, receipts and agreements are public statements,
and the federation events carry no personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from federation.canonical import parse_instant
from federation.errors import StatementError
from federation.jws import statement_digest
from federation.receipt import read_receipt
from hub.adapters.store.federation_store import APPLICATION_NAME
from hub.domain.agreement import Agreement
from hub.domain.recognition import Recognition, UnverifiedPresentation
from hub.domain.record import Record
from hub.service_layer.federation.reconciliation.history import (
    Decision,
    HeldReceipt,
    IssuedRecord,
    Scope,
)

_PAGE = 1000


class FederationReader(Application[UUID]):
    """The federation application's stored events, read without its keys or trust list."""

    name = APPLICATION_NAME


@dataclass
class FederationFacts:
    """Records, decisions and scopes folded from federation events (see :meth:`add`)."""

    records: dict[UUID, IssuedRecord] = field(default_factory=dict)
    decisions: list[Decision] = field(default_factory=list)
    scopes: dict[UUID, Scope] = field(default_factory=dict)
    _opened: dict[UUID, tuple[str, str]] = field(default_factory=dict)
    _presented: dict[UUID, str] = field(default_factory=dict)

    def add(self, event: Any) -> None:
        """Fold one federation event in (events of other kinds are ignored)."""
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    # -- issuing side ------------------------------------------------------------------------

    def _issued(self, e: Record.Issued) -> None:
        self.records[e.originator_id] = IssuedRecord(
            e.record_id, e.department, e.contract, e.content_digest,
            _instant(e.issued_at, e.timestamp), attestation="", attestation_digest="")

    def _attested(self, e: Record.Attested) -> None:
        self._change(e, attestation=e.attestation, attestation_digest=e.digest)

    def _revoked(self, e: Record.Revoked) -> None:
        self._change(e, revocation=e.revocation, revocation_digest=e.digest,
                     revoked_at=e.timestamp)

    def _receipt(self, e: Record.ReceiptRecorded) -> None:
        held = HeldReceipt(e.receiver, e.statement, e.outcome, e.reason, e.receipt_digest,
                           e.receipt, e.timestamp)
        record = self.records.get(e.originator_id)
        if record is not None:
            self._change(e, receipts=(*record.receipts, held))

    def _change(self, e: Any, **changes: Any) -> None:
        record = self.records.get(e.originator_id)
        if record is not None:
            self.records[e.originator_id] = replace(record, **changes)

    # -- receiving side ----------------------------------------------------------------------

    def _opened_event(self, e: Recognition.Opened) -> None:
        self._opened[e.originator_id] = (e.issuer, e.record_id)

    def decide(self, kind: str, e: Any) -> None:
        """A decision about a peer's record (a replay carries no receipt of its own)."""
        issuer, record_id = self._opened.get(e.originator_id, ("", None))
        receipt = getattr(e, "receipt", None)
        self.decisions.append(Decision(
            issuer, record_id, e.statement, kind, e.reason if kind == "refused" else None,
            getattr(e, "content_digest", None), _instant(e.at, e.timestamp), receipt,
            None if receipt is None else statement_digest(receipt)))

    def _unverified(self, e: Any) -> None:
        statement = getattr(e, "statement", None) or self._presented.get(e.originator_id, "")
        self._presented[e.originator_id] = statement
        issuer, record_id = _claimed(e.receipt, e.from_region)
        self.decisions.append(Decision(
            issuer, record_id, statement, "refused", e.reason, None,
            _instant(e.at, e.timestamp), e.receipt, statement_digest(e.receipt), verified=False))

    # -- agreements --------------------------------------------------------------------------

    def _proposed(self, e: Agreement.Proposed) -> None:
        terms = e.terms
        self.scopes[e.originator_id] = Scope(
            terms["agreement_id"], terms["proposer"], terms["accepter"],
            tuple(terms["contracts"]), tuple(terms["departments"]),
            _instant(terms["valid_from"], e.timestamp), _instant(terms["valid_until"],
                                                                 e.timestamp))

    def _scope(self, e: Any, **changes: Any) -> None:
        scope = self.scopes.get(e.originator_id)
        if scope is not None:
            self.scopes[e.originator_id] = replace(scope, **changes)


def _decision(kind: str) -> Callable[[FederationFacts, Any], None]:
    return lambda facts, e: facts.decide(kind, e)


def _instant(text: object, fallback: dt.datetime) -> dt.datetime:
    return parse_instant(text) or fallback


def _claimed(receipt: str, from_region: str) -> tuple[str, str | None]:
    """Issuer and record the refused statement claimed, as its receipt repeats them."""
    try:
        _, claims = read_receipt(receipt)
    except StatementError:
        return from_region, None
    return claims.issuer or from_region, claims.record_id


_HANDLERS: Mapping[type, Callable[[FederationFacts, Any], None]] = {
    Record.Issued: FederationFacts._issued,
    Record.Attested: FederationFacts._attested,
    Record.Revoked: FederationFacts._revoked,
    Record.ReceiptRecorded: FederationFacts._receipt,
    Recognition.Opened: FederationFacts._opened_event,
    Recognition.Recognised: _decision("recognised"),
    Recognition.RecognitionRefused: _decision("refused"),
    Recognition.Replayed: _decision("replayed"),
    Recognition.RecognitionWithdrawn: _decision("withdrawn"),
    Recognition.RevocationNoted: _decision("noted"),
    UnverifiedPresentation.RecognitionRefused: FederationFacts._unverified,
    UnverifiedPresentation.RefusedAgain: FederationFacts._unverified,
    Agreement.Proposed: FederationFacts._proposed,
    Agreement.Accepted: lambda facts, e: facts._scope(e, accepted_at=e.timestamp),
    Agreement.Terminated: lambda facts, e: facts._scope(e, terminated_at=e.timestamp),
}


def stored_events(app: Application[UUID]) -> Iterator[Any]:
    """Every stored event of ``app``, in notification order, a page at a time."""
    start = 1
    while page := app.recorder.select_notifications(start, _PAGE):
        for notification in page:
            yield app.mapper.to_domain_event(notification)
        start = page[-1].id + 1


def fold_federation(app: Application[UUID]) -> FederationFacts:
    """The records, decisions and scopes in ``app``'s federation events."""
    facts = FederationFacts()
    for event in stored_events(app):
        facts.add(event)
    return facts
