"""Attestations and revocations one region issued vs what the other region decided.

For each record the issuer owes the receiver (an accepted agreement covers it,
or the receiver already knows it), each statement — the attestation, unless the
record was revoked before the receiver ever saw it, and the revocation — must
have been decided by the receiver, and the receiver's receipt recorded by the
issuer, with the same digest and outcome. Replays are not decisions: they
return the original receipt, which is what makes re-sending safe.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from hub.service_layer.federation.reconciliation.history import (
    Decision,
    HeldReceipt,
    History,
    IssuedRecord,
)
from hub.service_layer.federation.reconciliation.report import Category, Finding

# Kinds of decision a receiver takes at most once per record; a second one is a duplicate.
# (A refusal may be repeated: each re-presentation of a refused statement is decided again.)
_ONCE = ("recognised", "withdrawn", "noted")


@dataclass(frozen=True)
class Sent:
    """One statement the issuer owes the receiver: which, of which record, since when."""

    kind: str
    record: IssuedRecord
    digest: str
    compact: str
    at: dt.datetime


@dataclass(frozen=True)
class _Sides:
    issuer: History
    receiver: History
    grace: dt.timedelta

    def finding(self, category: Category, kind: str, key: str, *, held_by_issuer: bool,
                detail: str, statement: str | None = None) -> Finding:
        holder, other = ((self.issuer.region, self.receiver.region) if held_by_issuer
                         else (self.receiver.region, self.issuer.region))
        return Finding(category, kind, key, holder, other, detail, statement)

    def about(self, category: Category, kind: str, sent: Sent, *, held_by_issuer: bool,
              detail: str) -> Finding:
        """A finding about one statement the issuer sent."""
        return self.finding(category, kind, sent.record.record_id, detail=detail,
                            held_by_issuer=held_by_issuer, statement=sent.digest)


def owed(issuer: History, receiver: History, known: set[str]) -> Iterator[Sent]:
    """The statements ``issuer`` owes ``receiver``; ``known``: statements the receiver decided."""
    scopes = issuer.scopes
    for record in issuer.records:
        receipts = [r for r in record.receipts if r.receiver == receiver.region]
        seen = (record.attestation_digest in known
                or any(r.statement == record.attestation_digest for r in receipts))
        relevant = seen or bool(receipts) or any(
            s.expects(issuer.region, receiver.region, record) for s in scopes)
        if not relevant:
            continue
        # A record revoked before the receiver saw it is owed its revocation only:
        # presenting its attestation now would recognise what no longer stands.
        if record.revocation is None or seen:
            yield Sent("attestation", record, record.attestation_digest, record.attestation,
                       record.issued_at)
        if record.revocation is not None and record.revocation_digest is not None:
            yield Sent("revocation", record, record.revocation_digest, record.revocation,
                       record.revoked_at or record.issued_at)


def statement_findings(
    issuer: History, receiver: History, grace: dt.timedelta
) -> list[Finding]:
    """What is missing, duplicated, divergent or pending from ``issuer`` to ``receiver``."""
    sides = _Sides(issuer, receiver, grace)
    mine = [d for d in receiver.decisions if d.issuer == issuer.region and d.kind != "replayed"]
    by_statement: dict[str, list[Decision]] = defaultdict(list)
    by_record: dict[str, list[Decision]] = defaultdict(list)
    for decision in mine:
        by_statement[decision.statement].append(decision)
        if decision.verified and decision.record_id is not None:
            by_record[decision.record_id].append(decision)
    findings: list[Finding] = []
    for sent in owed(issuer, receiver, set(by_statement)):
        receipts = [r for r in sent.record.receipts
                    if r.receiver == receiver.region and r.statement == sent.digest]
        findings += _statement(sides, sent, by_statement.get(sent.digest, []), receipts)
    records = {r.record_id: r for r in issuer.records}
    for record_id, decisions in sorted(by_record.items()):
        findings += _record(sides, records.get(record_id), record_id, decisions)
    return findings


def _statement(
    sides: _Sides, sent: Sent, decisions: list[Decision], receipts: list[HeldReceipt]
) -> list[Finding]:
    issuer, receiver = sides.issuer.region, sides.receiver.region
    if not decisions and not receipts:
        age = sides.receiver.as_of - sent.at
        if age < sides.grace:
            return [sides.about(Category.PENDING, sent.kind, sent, held_by_issuer=True,
                                detail=f"sent {_ago(age)}; {receiver} has not decided yet")]
        return [sides.about(Category.MISSING, sent.kind, sent, held_by_issuer=True,
                            detail=f"{issuer}'s {sent.kind} ({sent.record.contract}, "
                                   f"{_at(sent.at)}) was never decided by {receiver}")]
    if not decisions:
        return [sides.about(Category.MISSING, "decision", sent, held_by_issuer=True,
                            detail=f"{issuer} holds {receiver}'s receipt "
                                   f"({receipts[0].outcome}) for its {sent.kind}, but "
                                   f"{receiver} recorded no decision about it")]
    findings = [_mismatch(sides, sent, decisions, r) for r in receipts]
    if not receipts:
        findings.append(_unrecorded(sides, sent, decisions))
    return [f for f in findings if f is not None]


def _mismatch(
    sides: _Sides, sent: Sent, decisions: list[Decision], receipt: HeldReceipt
) -> Finding | None:
    """The receipt the issuer holds must be one the receiver issued, with its outcome."""
    issued = {d.receipt_digest: d for d in decisions}
    decision = issued.get(receipt.digest)
    receiver = sides.receiver.region
    if decision is None:
        theirs = ", ".join(_short(d) for d in sorted(filter(None, issued)))
        return sides.about(Category.DIVERGENT, "receipt", sent, held_by_issuer=True,
                           detail=f"receipt {_short(receipt.digest)} held for the {sent.kind} "
                                  f"is not one {receiver} issued ({theirs})")
    if decision.kind != receipt.outcome:
        return sides.about(Category.DIVERGENT, "receipt", sent, held_by_issuer=True,
                           detail=f"{sides.issuer.region} recorded outcome {receipt.outcome}, "
                                  f"{receiver} decided {decision.kind}")
    return None


def _unrecorded(sides: _Sides, sent: Sent, decisions: list[Decision]) -> Finding:
    """The receiver decided, the issuer never recorded the receipt."""
    latest = max(decisions, key=lambda d: d.at)
    issuer, receiver = sides.issuer.region, sides.receiver.region
    age = sides.issuer.as_of - latest.at
    if age < sides.grace:
        return sides.about(Category.PENDING, "receipt", sent, held_by_issuer=False,
                           detail=f"{receiver} decided {latest.kind} {_ago(age)}; "
                                  f"{issuer} has not recorded the receipt yet")
    return sides.about(Category.MISSING, "receipt", sent, held_by_issuer=False,
                       detail=f"{receiver} decided {latest.kind} about the {sent.kind} "
                              f"({_at(latest.at)}); {issuer} never recorded the receipt")


def _record(
    sides: _Sides, record: IssuedRecord | None, record_id: str, decisions: list[Decision]
) -> list[Finding]:
    """The receiver's authentic decisions about one record, against the issuer's record."""
    issuer, receiver = sides.issuer.region, sides.receiver.region
    if record is None:
        return [sides.finding(Category.MISSING, "record", record_id, held_by_issuer=False,
                              detail=f"{receiver} decided about {issuer}'s record, which "
                                     f"{issuer} has no record of issuing")]
    findings = []
    for kind, times in sorted(Counter(d.kind for d in decisions if d.kind in _ONCE).items()):
        if times > 1:
            findings.append(sides.finding(Category.DUPLICATED, "decision", record_id,
                                          held_by_issuer=False,
                                          detail=f"{receiver} {kind} the record {times} times"))
    sent = {record.attestation_digest, record.revocation_digest}
    for decision in decisions:
        if decision.statement not in sent:
            findings.append(sides.finding(
                Category.DIVERGENT, "decision", record_id, held_by_issuer=False,
                detail=f"{receiver} {decision.kind} statement {_short(decision.statement)}, "
                       f"which {issuer} never recorded sending"))
        elif (decision.kind == "recognised"
              and decision.content_digest != record.content_digest):
            findings.append(sides.finding(
                Category.DIVERGENT, "attestation", record_id, held_by_issuer=False,
                detail=f"{receiver} recognised content {_short(decision.content_digest)}, "
                       f"{issuer} issued {_short(record.content_digest)}"))
    return findings


def _short(digest: str | None) -> str:
    return "-" if digest is None else digest.removeprefix("sha256:")[:12]


def _at(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ago(age: dt.timedelta) -> str:
    return f"{max(age.total_seconds(), 0):.0f} s ago"
