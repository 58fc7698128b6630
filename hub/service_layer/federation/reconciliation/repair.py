"""Repair: re-send what a report found missing, idempotently, and record what comes back.

The planner (:func:`plan_repair`) is pure: from a report and the two histories
it lists what to do —

- ``present``: an attestation or revocation the receiver never decided is
  presented to it again, and its receipt recorded back on the issuer;
- ``record-receipt``: a receipt the receiver issued but the issuer never
  recorded is recorded on the issuer (taken from the receiver's history);
- ``recover``: a decision the receiver lost (restored from a backup taken before
  it) while the issuer holds its receipt is decided again as of the receipt's time
  and recorded only if it signs the very receipt the issuer holds
  (:meth:`FederationApp.recover_decision`).

Both are safe to repeat: recognition returns the original receipt for a
statement it already decided (a replay), and recording a receipt twice records
it once. Only ``missing`` findings are repaired; pending ones may still be on
their way, and divergent or duplicated ones are evidence for people, not for a
retry. Queries are not re-sent either: only the client department can ask again.

Carrying the statements is a :class:`RepairPort`'s job: :class:`LocalRegions`
does it between two data folders opened side by side (offline); the online one
sends the same plan over the regions' links.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from contracts.errors import HubError
from federation.receipt import read_receipt
from hub.service_layer.federation.app import FederationApp
from hub.service_layer.federation.reconciliation.errors import ReconciliationError
from hub.service_layer.federation.reconciliation.history import History
from hub.service_layer.federation.reconciliation.report import Category, Finding, Report

PRESENT = "present"
RECORD_RECEIPT = "record-receipt"
RECOVER = "recover"
_ORDER = {("recover", "attestation"): 0, ("recover", "revocation"): 1,
          ("present", "attestation"): 2, ("present", "revocation"): 3,
          ("record-receipt", "attestation"): 4, ("record-receipt", "revocation"): 4}


@dataclass(frozen=True)
class RepairAction:
    """One step of a repair: present ``compact`` to ``receiver``, or record it on ``issuer``."""

    action: str
    statement: str
    issuer: str
    receiver: str
    record_id: str
    compact: str
    receipt: str = ""  # ``recover``: the receipt the issuer holds


@dataclass(frozen=True)
class RepairResult:
    """What one step did: the receiver's outcome, whether it was a replay, or why it failed."""

    step: RepairAction
    outcome: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class RepairPort(Protocol):
    """Carries repair steps to the regions concerned."""

    def present(self, step: RepairAction) -> str:
        """Present the statement to ``step.receiver``; the signed receipt it returns."""
        ...

    def record_receipt(self, step: RepairAction, receipt: str) -> None:
        """Record the receiver's ``receipt`` on ``step.issuer``."""
        ...

    def recover(self, step: RepairAction) -> str:
        """Have ``step.receiver`` record again the decision ``step.receipt`` says it took."""
        ...


def plan_repair(report: Report, left: History, right: History) -> list[RepairAction]:
    """The steps that close every repairable ``missing`` finding of ``report``."""
    histories = {left.region: left, right.region: right}
    steps = [step for finding in report.of(Category.MISSING)
             if (step := _step(finding, histories)) is not None]
    return sorted(steps, key=lambda s: (_ORDER[s.action, s.statement], s.record_id))


def _step(finding: Finding, histories: Mapping[str, History]) -> RepairAction | None:
    if finding.kind in ("attestation", "revocation"):
        issuer, receiver = histories[finding.holder], finding.other
        record = next((r for r in issuer.records if r.record_id == finding.key), None)
        compact = None if record is None else (
            record.attestation if finding.kind == "attestation" else record.revocation)
        if compact is None:
            return None
        return RepairAction(PRESENT, finding.kind, issuer.region, receiver, finding.key, compact)
    if finding.kind == "decision":
        return _recovery(finding, histories)
    if finding.kind == "receipt":
        recognising, issuing = histories[finding.holder], finding.other
        decided = [d for d in recognising.decisions
                   if d.issuer == issuing and d.statement == finding.statement
                   and d.receipt is not None]
        if not decided:
            return None
        latest = max(decided, key=lambda d: d.at)
        revocations = {r.revocation_digest for r in histories[issuing].records}
        kind = "revocation" if finding.statement in revocations else "attestation"
        return RepairAction(RECORD_RECEIPT, kind, issuing, recognising.region, finding.key,
                            latest.receipt or "")
    return None


def _recovery(finding: Finding, histories: Mapping[str, History]) -> RepairAction | None:
    """The receiver lost its decision; the issuer holds the receipt (and the statement)."""
    issuer, receiver = histories[finding.holder], finding.other
    record = next((r for r in issuer.records if r.record_id == finding.key), None)
    if record is None:
        return None
    held = next((r for r in record.receipts
                 if r.receiver == receiver and r.statement == finding.statement), None)
    kind = "revocation" if finding.statement == record.revocation_digest else "attestation"
    compact = record.revocation if kind == "revocation" else record.attestation
    if held is None or compact is None:
        return None
    return RepairAction(RECOVER, kind, issuer.region, receiver, finding.key, compact,
                        held.receipt)


def apply_repair(steps: Iterable[RepairAction], port: RepairPort) -> list[RepairResult]:
    """Carry out each step; a step that fails is reported and the others still run."""
    results = []
    for step in steps:
        try:
            if step.action == RECOVER:
                receipt = port.recover(step)
            else:
                receipt = port.present(step) if step.action == PRESENT else step.compact
            port.record_receipt(step, receipt)
            results.append(RepairResult(step, read_receipt(receipt)[1].outcome.value))
        except HubError as exc:
            results.append(RepairResult(step, error=exc.message))
    return results


class LocalRegions:
    """A :class:`RepairPort` over regions' federation applications in this process."""

    def __init__(self, apps: Mapping[str, FederationApp]) -> None:
        self._apps = dict(apps)

    def _app(self, region: str) -> FederationApp:
        try:
            return self._apps[region]
        except KeyError:
            raise ReconciliationError(f"region {region!r} is not open for repair") from None

    def present(self, step: RepairAction) -> str:
        receiver = self._app(step.receiver)
        if step.statement == "attestation":
            return receiver.recognise(step.compact, from_region=step.issuer).jws
        return receiver.recognise_revocation(step.compact, from_region=step.issuer).jws

    def record_receipt(self, step: RepairAction, receipt: str) -> None:
        self._app(step.issuer).record_receipt(receipt, from_region=step.receiver)

    def recover(self, step: RepairAction) -> str:
        receiver = self._app(step.receiver)
        return receiver.recover_decision(step.compact, step.receipt, from_region=step.issuer).jws
