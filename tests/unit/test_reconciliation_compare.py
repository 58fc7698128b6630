"""The reconciliation core: two histories in, findings out (pure values, no store)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hub.service_layer.federation.reconciliation import Category, History, Report, compare
from hub.service_layer.federation.reconciliation.history import (
    Decision,
    HeldReceipt,
    IssuedRecord,
    Query,
    Scope,
    SeenCheckpoint,
)

T0 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
LATER = T0 + dt.timedelta(hours=1)
GRACE = dt.timedelta(minutes=2)
TAX = "tax.clearance@1.0"


def _digest(label: str) -> str:
    return "sha256:" + label.encode().hex().ljust(64, "0")[:64]


def _scope(**changes: object) -> Scope:
    scope = Scope("a-1", "north", "south", (TAX,), ("north/tax",), T0 - dt.timedelta(days=1),
                  T0 + dt.timedelta(days=365), accepted_at=T0 - dt.timedelta(hours=1))
    return replace(scope, **changes)  # type: ignore[arg-type]


def _record(n: int, *, at: dt.datetime = T0, revoked: bool = False,
            receipts: tuple[HeldReceipt, ...] = ()) -> IssuedRecord:
    return IssuedRecord(
        f"00000000-0000-4000-8000-{n:012d}", "tax", TAX, _digest(f"content{n}"), at,
        f"att{n}", _digest(f"att{n}"),
        revocation=f"rev{n}" if revoked else None,
        revocation_digest=_digest(f"rev{n}") if revoked else None,
        revoked_at=at + dt.timedelta(minutes=1) if revoked else None, receipts=receipts)


def _decision(record: IssuedRecord, kind: str = "recognised", *, revocation: bool = False,
              receipt: str | None = None) -> Decision:
    statement = record.revocation_digest if revocation else record.attestation_digest
    assert statement is not None
    label = receipt or f"receipt-{kind}-{record.record_id[-2:]}{'r' if revocation else ''}"
    return Decision("north", record.record_id, statement, kind, None,
                    record.content_digest if kind == "recognised" else None,
                    record.issued_at + dt.timedelta(seconds=5), label, _digest(label))


def _held(decision: Decision) -> HeldReceipt:
    assert decision.receipt is not None and decision.receipt_digest is not None
    return HeldReceipt("south", decision.statement, decision.kind, decision.reason,
                       decision.receipt_digest, decision.receipt,
                       decision.at + dt.timedelta(seconds=1))


def _agreed(n: int = 1) -> tuple[History, History]:
    """north issued record n, south recognised it, north recorded the receipt."""
    record = _record(n)
    decision = _decision(record)
    north = History("north", LATER, records=(replace(record, receipts=(_held(decision),)),),
                    scopes=(_scope(),))
    south = History("south", LATER, decisions=(decision,), scopes=(_scope(),))
    return north, south


def _only(report: Report) -> tuple[str, str, str, str]:
    (finding,) = report.findings
    return finding.category.value, finding.kind, finding.holder, finding.other


def test_histories_that_agree_give_exit_code_0() -> None:
    """Issued, recognised and the receipt recorded: nothing to report."""
    report = compare(*_agreed(), grace=GRACE)
    assert report.agrees and report.exit_code == 0
    assert report.summary() == "reconcile north↔south: 0 missing, 0 duplicated, 0 divergent, " \
                               "0 pending"


def test_an_attestation_never_decided_is_missing_then_pending_when_recent() -> None:
    """Past the grace period the undelivered attestation is missing; within it, pending."""
    north = History("north", LATER, records=(_record(1),), scopes=(_scope(),))
    south = History("south", LATER)
    report = compare(north, south, grace=GRACE)
    assert _only(report) == ("missing", "attestation", "north", "south")
    assert report.findings[0].statement == _record(1).attestation_digest
    assert report.exit_code == 1
    recent = compare(north, replace(south, as_of=T0 + dt.timedelta(seconds=30)), grace=GRACE)
    assert _only(recent) == ("pending", "attestation", "north", "south")
    assert recent.exit_code == 3


def test_records_outside_an_accepted_agreement_are_not_owed() -> None:
    """Out of scope, not yet accepted, or after termination: the peer is owed nothing."""
    south = History("south", LATER)
    for scope in (_scope(contracts=("person.identity@1.0",)), _scope(accepted_at=None),
                  _scope(departments=("north/vehicles",)),
                  _scope(terminated_at=T0 - dt.timedelta(minutes=1)),
                  _scope(proposer="east")):
        north = History("north", LATER, records=(_record(1),), scopes=(scope,))
        assert compare(north, south, grace=GRACE).agrees, scope


def test_a_receipt_the_issuer_never_recorded_is_missing_on_the_issuer() -> None:
    """south decided and holds the receipt; north never recorded it."""
    north, south = _agreed()
    north = replace(north, records=(replace(north.records[0], receipts=()),))
    assert _only(compare(north, south, grace=GRACE)) == ("missing", "receipt", "south", "north")


def test_a_receipt_without_a_decision_on_the_receiver_is_missing_there() -> None:
    """north holds south's receipt but south's history has no decision about it."""
    north, south = _agreed()
    report = compare(north, replace(south, decisions=()), grace=GRACE)
    assert _only(report) == ("missing", "decision", "north", "south")


def test_a_tampered_receipt_digest_is_divergent() -> None:
    """The receipt north holds is not one south issued."""
    north, south = _agreed()
    held = replace(north.records[0].receipts[0], digest=_digest("forged"))
    north = replace(north, records=(replace(north.records[0], receipts=(held,)),))
    report = compare(north, south, grace=GRACE)
    assert _only(report) == ("divergent", "receipt", "north", "south")
    assert "is not one south issued" in report.findings[0].detail


def test_an_outcome_that_differs_from_the_receipt_is_divergent() -> None:
    """north recorded 'refused' under the digest of south's 'recognised' receipt."""
    north, south = _agreed()
    held = replace(north.records[0].receipts[0], outcome="refused")
    north = replace(north, records=(replace(north.records[0], receipts=(held,)),))
    report = compare(north, south, grace=GRACE)
    assert _only(report) == ("divergent", "receipt", "north", "south")
    assert "recorded outcome refused, south decided recognised" in report.findings[0].detail


def test_a_record_recognised_twice_is_duplicated() -> None:
    """Two Recognised decisions about one record (a store merged or restored twice)."""
    north, south = _agreed()
    again = replace(south.decisions[0], receipt="r2", receipt_digest=_digest("r2"))
    report = compare(north, replace(south, decisions=(*south.decisions, again)), grace=GRACE)
    assert _only(report) == ("duplicated", "decision", "south", "north")


def test_replays_and_repeated_refusals_are_not_duplicates() -> None:
    """A replay returns the original receipt; a refused statement may be refused again."""
    north, south = _agreed()
    replay = replace(south.decisions[0], kind="replayed", receipt=None, receipt_digest=None)
    assert compare(north, replace(south, decisions=(*south.decisions, replay)),
                   grace=GRACE).agrees
    record = _record(2)
    refusals = (_decision(record, "refused", receipt="x1"),
                _decision(record, "refused", receipt="x2"))
    north2 = History("north", LATER, records=(replace(record, receipts=(_held(refusals[0]),)),),
                     scopes=(_scope(),))
    assert compare(north2, History("south", LATER, decisions=refusals), grace=GRACE).agrees


def test_a_record_revoked_before_delivery_owes_only_its_revocation() -> None:
    """Presenting a revoked record's attestation would recognise it: only the revocation."""
    north = History("north", LATER, records=(_record(1, revoked=True),), scopes=(_scope(),))
    report = compare(north, History("south", LATER), grace=GRACE)
    assert _only(report) == ("missing", "revocation", "north", "south")


def test_a_recognised_record_whose_revocation_never_arrived() -> None:
    """Recognised and receipted, then revoked: the revocation is missing in south."""
    north, south = _agreed()
    revoked = replace(north.records[0], revocation="rev1", revocation_digest=_digest("rev1"),
                      revoked_at=T0 + dt.timedelta(minutes=2))
    report = compare(replace(north, records=(revoked,)), south, grace=GRACE)
    assert _only(report) == ("missing", "revocation", "north", "south")
    withdrawn = _decision(revoked, "withdrawn", revocation=True)
    fixed_north = replace(revoked, receipts=(*revoked.receipts, _held(withdrawn)))
    assert compare(replace(north, records=(fixed_north,)),
                   replace(south, decisions=(*south.decisions, withdrawn)), grace=GRACE).agrees


def test_decisions_about_a_record_the_issuer_never_issued_are_missing_on_the_issuer() -> None:
    """south recognised a north record that north's history does not hold."""
    north, south = _agreed()
    report = compare(replace(north, records=()), south, grace=GRACE)
    assert _only(report) == ("missing", "record", "south", "north")


def test_a_recognised_content_digest_that_differs_is_divergent() -> None:
    """Both hold the record, but south recognised other content than north issued."""
    north, south = _agreed()
    other = replace(south.decisions[0], content_digest=_digest("other"))
    report = compare(north, replace(south, decisions=(other,)), grace=GRACE)
    assert _only(report) == ("divergent", "attestation", "south", "north")


def test_unverified_refusals_count_as_decisions_for_the_statement_refused() -> None:
    """A statement refused before verification (unknown key) is decided, with its receipt."""
    record = _record(1)
    refused = replace(_decision(record, "refused"), reason="unknown-key", verified=False)
    north = History("north", LATER, records=(replace(record, receipts=(_held(refused),)),),
                    scopes=(_scope(),))
    assert compare(north, History("south", LATER, decisions=(refused,)), grace=GRACE).agrees


def test_both_directions_are_compared() -> None:
    """south's records owed to north are checked as north's are to south."""
    scope = _scope(departments=("north/tax", "south/tax"))
    south_record = replace(_record(7), record_id="00000000-0000-4000-8000-000000000077")
    north = History("north", LATER, scopes=(scope,))
    south = History("south", LATER, records=(south_record,), scopes=(scope,))
    assert _only(compare(north, south, grace=GRACE)) == ("missing", "attestation", "south",
                                                         "north")


# -- queries -----------------------------------------------------------------------------------

def _query(corr: str, side: str, status: str = "completed", **changes: object) -> Query:
    query = Query(f"{side}-{corr}", corr, "north/tax", "south/social-security/history",
                  "south/social-security", "json" if side == "north" else "federation", status,
                  T0, _digest("request"), _digest("response"))
    return replace(query, **changes)  # type: ignore[arg-type]


def _queries(north: tuple[Query, ...], south: tuple[Query, ...]) -> Report:
    return compare(History("north", LATER, queries=north),
                   History("south", LATER, queries=south), grace=GRACE)


def test_a_query_answered_on_both_sides_agrees() -> None:
    """Same correlation id, both answered, same digests."""
    assert _queries((_query("c1", "north"),), (_query("c1", "south"),)).agrees


def test_a_query_that_never_arrived_is_missing_or_pending() -> None:
    """Sent by north, unknown to south: missing after the grace period, pending before it."""
    report = _queries((_query("c1", "north", "routed"),), ())
    assert _only(report) == ("missing", "query", "north", "south")
    recent = (_query("c1", "north", "routed", received_at=LATER - dt.timedelta(seconds=10)),)
    assert _only(_queries(recent, ())) == ("pending", "query", "north", "south")


def test_a_query_refused_at_the_clients_own_ingress_never_left() -> None:
    """Rejected before routing (no provider): the peer is owed nothing."""
    assert _queries((_query("c1", "north", "rejected", provider=None),), ()).agrees


def test_a_query_answered_twice_is_duplicated() -> None:
    """south recorded two exchanges for one correlation id."""
    south = (_query("c1", "south"), _query("c1", "south", exchange_id="second"))
    report = _queries((_query("c1", "north"),), south)
    assert _only(report) == ("duplicated", "answer", "south", "north")


def test_queries_whose_outcomes_or_digests_differ_are_divergent() -> None:
    """north completed what south rejected; another answer's response digest differs."""
    report = _queries((_query("c1", "north"), _query("c2", "north")),
                      (_query("c1", "south", "rejected"),
                       _query("c2", "south", response_digest=_digest("other"))))
    assert [(f.category.value, f.key) for f in report.findings] == [
        ("divergent", "c1"), ("divergent", "c2")]
    assert "response digest differs" in report.findings[1].detail


def test_an_unanswered_query_is_pending_then_missing() -> None:
    """Both sides still open: pending within the grace period, a missing answer after it."""
    report = _queries((_query("c1", "north", "routed"),), (_query("c1", "south", "routed"),))
    assert _only(report) == ("missing", "answer", "north", "south")
    recent = {"received_at": LATER - dt.timedelta(seconds=5)}
    report = _queries((_query("c1", "north", "routed", **recent),),
                      (_query("c1", "south", "delivering", **recent),))
    assert _only(report) == ("pending", "answer", "north", "south")


def test_a_query_the_provider_answered_but_the_client_never_sent_is_missing() -> None:
    """south answered a north query that north's ledger does not hold."""
    assert _only(_queries((), (_query("c9", "south"),))) == ("missing", "query", "south",
                                                              "north")


# -- checkpoints -------------------------------------------------------------------------------

def _checkpoint(size: int, root: str = "cm9vdA==", stamp: str = "2026-05-01T12:00:00.000Z",
                origin: str = "interop-hub/south/ledger") -> SeenCheckpoint:
    return SeenCheckpoint(origin, size, root, stamp, f"note {size} {root}")


def test_held_checkpoints_found_in_the_peers_own_log_agree() -> None:
    """north holds two of south's checkpoints, both in south's own log."""
    own = (_checkpoint(3), _checkpoint(5, "Zml2ZQ=="))
    north = History("north", LATER, peer_checkpoints={"south": own})
    assert compare(north, History("south", LATER, checkpoints=own), grace=GRACE).agrees


def test_a_held_checkpoint_the_peers_log_contradicts_or_lacks_is_divergent() -> None:
    """Same size, another root (a rewrite); and a size south never recorded."""
    held = (_checkpoint(3, "b3RoZXI="), _checkpoint(9))
    north = History("north", LATER, peer_checkpoints={"south": held})
    report = compare(north, History("south", LATER, checkpoints=(_checkpoint(3),)), grace=GRACE)
    assert [(f.category.value, f.kind, f.key) for f in report.findings] == [
        ("divergent", "checkpoint", "3"), ("divergent", "checkpoint", "9")]
    assert "contradicted" in report.findings[0].detail
    assert "no checkpoint of tree size 9" in report.findings[1].detail


def test_findings_are_ordered_by_category_and_counted() -> None:
    """Missing before divergent before pending; the summary counts each category."""
    north = History("north", LATER, records=(_record(1),), scopes=(_scope(),),
                    queries=(_query("c1", "north", "routed", received_at=LATER),),
                    peer_checkpoints={"south": (_checkpoint(4),)})
    report = compare(north, History("south", LATER), grace=GRACE)
    assert [f.category for f in report.findings] == [Category.MISSING, Category.DIVERGENT,
                                                     Category.PENDING]
    assert report.summary().endswith("1 missing, 0 duplicated, 1 divergent, 1 pending")
    assert report.exit_code == 1
