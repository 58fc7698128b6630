"""The repair planner and executor, on real signed statements between in-memory regions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import pytest

from contracts import default_registry
from federation.errors import ReceiptError
from federation.fingerprints import registry_fingerprint
from federation.jws import statement_digest
from federation.keys import KeyRing
from federation.receipt import Receipt, read_receipt
from federation.trust import publish_region_card, read_region_card, trust_all
from hub.service_layer.federation import FederationApp
from hub.service_layer.federation.reconciliation import (
    Category,
    History,
    LocalRegions,
    RepairAction,
    apply_repair,
    compare,
    plan_repair,
)
from hub.service_layer.federation.reconciliation.errors import ReconciliationError
from hub.service_layer.federation.reconciliation.history import (
    Decision,
    HeldReceipt,
    IssuedRecord,
    Scope,
)

T0 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
LATER = T0 + dt.timedelta(hours=1)
TAX = "tax.clearance@1.0"
CLEARANCE = {"national_id": "NO12345678", "tax_year": 2025, "status": "cleared",
             "outstanding_amount": "0.00", "currency": "EUR", "issued_on": "2026-03-01"}
SUBJECT = "ds-" + "2" * 32


@pytest.fixture
def apps() -> dict[str, FederationApp]:
    """north and south trusting each other, with an accepted agreement on north/tax."""
    rings = {n: KeyRing.generate(n, now=T0 - dt.timedelta(days=1)) for n in ("north", "south")}
    fingerprint = registry_fingerprint(default_registry())
    trust = trust_all([read_region_card(publish_region_card(r, fingerprint, now=T0))
                       for r in rings.values()], now=T0)
    apps = {n: FederationApp(keys=rings[n], trust=trust[n], registry=default_registry(),
                             clock=lambda: T0) for n in rings}
    agreement_id, terms = apps["north"].propose_agreement(
        accepter="south", contracts=[TAX], departments=["north/tax"],
        valid_from=T0 - dt.timedelta(days=1), valid_until=T0 + dt.timedelta(days=30))
    apps["south"].receive_proposal(terms, from_region="north")
    apps["north"].record_acceptance(apps["south"].accept_agreement(agreement_id),
                                    from_region="south")
    return apps


def _histories(apps: dict[str, FederationApp], records: list[IssuedRecord],
               decisions: list[Decision]) -> tuple[History, History]:
    scope = Scope("a", "north", "south", (TAX,), ("north/tax",), T0 - dt.timedelta(days=1),
                  T0 + dt.timedelta(days=30), accepted_at=T0)
    return (History("north", LATER, records=tuple(records), scopes=(scope,)),
            History("south", LATER, decisions=tuple(decisions), scopes=(scope,)))


def _issued(apps: dict[str, FederationApp]) -> tuple[IssuedRecord, str]:
    record_id, attestation = apps["north"].issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    record = apps["north"].get_record(record_id)
    return IssuedRecord(record.record_id, "tax", TAX, record.content_digest, T0, attestation,
                        statement_digest(attestation)), attestation


def test_missing_statements_are_presented_and_receipts_recorded(
    apps: dict[str, FederationApp],
) -> None:
    """An undelivered attestation is presented; a receipt north lacks is recorded from south's."""
    undelivered, _ = _issued(apps)
    delivered, attestation = _issued(apps)
    receipt = apps["south"].recognise(attestation, from_region="north")
    decision = Decision("north", delivered.record_id, delivered.attestation_digest,
                        "recognised", None, delivered.content_digest, T0, receipt.jws,
                        statement_digest(receipt.jws))
    north, south = _histories(apps, [undelivered, delivered], [decision])
    report = compare(north, south)
    steps = plan_repair(report, north, south)
    assert [(s.action, s.statement, s.record_id) for s in steps] == [
        ("present", "attestation", undelivered.record_id),
        ("record-receipt", "attestation", delivered.record_id)]
    results = apply_repair(steps, LocalRegions(apps))
    assert [(r.outcome, r.error) for r in results] == [("recognised", None),
                                                       ("recognised", None)]
    assert apps["north"].get_record(delivered.record_id).has_receipt(decision.receipt_digest)
    # Again: presenting replays the original receipt, recording it twice records it once.
    again = apply_repair(steps, LocalRegions(apps))
    assert [r.outcome for r in again] == ["recognised", "recognised"]
    assert apps["south"].recognition_counts()["recognised"] == 2


def test_divergent_and_pending_findings_are_not_repaired(apps: dict[str, FederationApp]) -> None:
    """Evidence of disagreement is for people; pending items may still be on their way."""
    record, _ = _issued(apps)
    forged = HeldReceipt("south", record.attestation_digest, "recognised", None,
                         "sha256:" + "0" * 64, "x.y.z", T0)
    decision = Decision("north", record.record_id, record.attestation_digest, "recognised",
                        None, record.content_digest, T0, "r.e.c", "sha256:" + "1" * 64)
    north, south = _histories(apps, [_with(record, forged)], [decision])
    report = compare(north, south)
    assert report.counts["divergent"] == 1
    assert plan_repair(report, north, south) == []
    fresh, _ = _issued(apps)
    north, south = _histories(apps, [fresh], [])
    pending = compare(north, History("south", T0 + dt.timedelta(seconds=10)))
    assert pending.counts["pending"] == 1 and plan_repair(pending, north, south) == []


def _with(record: IssuedRecord, receipt: HeldReceipt) -> IssuedRecord:
    return replace(record, receipts=(receipt,))


@dataclass
class FailingPort:
    """A repair port whose issuer refuses every receipt (a hand-written fake of the port)."""

    presented: list[RepairAction] = field(default_factory=list)
    receipt: str = ""

    def present(self, step: RepairAction) -> str:
        self.presented.append(step)
        return self.receipt

    def record_receipt(self, step: RepairAction, receipt: str) -> None:
        raise ReceiptError(f"not a receipt for {step.record_id}")


def test_a_failing_step_is_reported_and_the_others_still_run(
    apps: dict[str, FederationApp],
) -> None:
    """Each step's failure is its own result; the plan carries on."""
    first, attestation = _issued(apps)
    second, _ = _issued(apps)
    receipt: Receipt = apps["south"].recognise(attestation, from_region="north")
    port = FailingPort(receipt=receipt.jws)
    steps = [RepairAction("present", "attestation", "north", "south", r.record_id,
                          r.attestation) for r in (first, second)]
    results = apply_repair(steps, port)
    assert len(port.presented) == 2
    assert [r.ok for r in results] == [False, False]
    assert results[0].error == f"not a receipt for {first.record_id}"


def test_local_regions_refuse_a_region_that_is_not_open(apps: dict[str, FederationApp]) -> None:
    """A step for a region the port does not hold fails as a reconciliation error."""
    step = RepairAction("present", "attestation", "north", "east", "r", "a.b.c")
    with pytest.raises(ReconciliationError, match="east"):
        LocalRegions(apps).present(step)


def _restored_south(apps: dict[str, FederationApp]) -> FederationApp:
    """south as restored from a backup taken before it decided anything: same keys and trust,
    the agreement accepted, no decision."""
    south = apps["south"]
    fresh = FederationApp(keys=south.keys, trust=south.trust, registry=default_registry(),
                          clock=lambda: T0)
    agreement_id, terms = apps["north"].propose_agreement(
        accepter="south", contracts=[TAX], departments=["north/tax"],
        valid_from=T0 - dt.timedelta(days=1), valid_until=T0 + dt.timedelta(days=30))
    fresh.receive_proposal(terms, from_region="north")
    apps["north"].record_acceptance(fresh.accept_agreement(agreement_id), from_region="south")
    return fresh


def _held(jws: str) -> HeldReceipt:
    statement, receipt = read_receipt(jws)
    return HeldReceipt("south", receipt.statement, receipt.outcome.value, None, statement.digest,
                       jws, receipt.at)


def test_a_decision_the_receiver_lost_is_recovered_as_the_very_receipt_the_issuer_holds(
    apps: dict[str, FederationApp],
) -> None:
    """south recognised, north kept the receipt, south lost the decision (restored from an
    older backup): the repair decides again as of the receipt's time and records it only
    because it signs the same receipt, byte for byte."""
    issued, attestation = _issued(apps)
    receipt = apps["south"].recognise(attestation, from_region="north")
    apps["north"].record_receipt(receipt.jws, from_region="south")
    restored = _restored_south(apps)
    north, south = _histories(apps, [replace(issued, receipts=(_held(receipt.jws),))], [])
    report = compare(north, south, grace=dt.timedelta(0))
    assert [f.kind for f in report.of(Category.MISSING)] == ["decision"]
    steps = plan_repair(report, north, south)
    assert [(s.action, s.receipt) for s in steps] == [("recover", receipt.jws)]
    results = apply_repair(steps, LocalRegions({"north": apps["north"], "south": restored}))
    assert [r.outcome for r in results] == ["recognised"], results
    recognition = restored.recognition_of("north", issued.record_id)
    assert recognition is not None and recognition.receipts == {issued.attestation_digest:
                                                                receipt.jws}


def test_a_receipt_that_is_not_the_decision_recovers_nothing(
    apps: dict[str, FederationApp],
) -> None:
    """A receipt about another statement (or one the decision would not sign again) is
    refused, and the restored region records nothing."""
    one, attestation = _issued(apps)
    _, other_attestation = _issued(apps)
    receipt = apps["south"].recognise(other_attestation, from_region="north")
    restored = _restored_south(apps)
    with pytest.raises(ReceiptError, match="nothing recorded"):
        restored.recover_decision(attestation, receipt.jws, from_region="north")
    assert restored.recognition_of("north", one.record_id) is None
