"""Reconciling two regions' data folders: the partition gap found, repaired, and tampering caught.

Two regions with real federation applications on their own stores (SQLite;
north on PostgreSQL in the last test), an accepted agreement, records issued
both ways, a cross-region query in both ledgers and a gossiped checkpoint.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog
from typer.testing import CliRunner, Result

from contracts import default_registry
from federation.fingerprints import registry_fingerprint
from federation.trust import TrustList, publish_region_card, read_region_card
from hub.adapters.store.ledger import Arrival, Translation
from hub.bootstrap.federation import RegionFederation, open_federation, open_keys, save_trust
from hub.bootstrap.privacy import build_ledger
from hub.bootstrap.reconciliation import reconcile_folders
from hub.domain.record import Record
from hub.entrypoints.cli.main import app
from hub.service_layer.audit import Auditor, CheckpointBody, log_origin
from hub.service_layer.audit.checkpoint import sign_checkpoint
from hub.service_layer.audit.checkpoints import CheckpointLog
from hub.service_layer.audit.keys import load_or_create_audit_signer
from hub.service_layer.federation.app import utc_now
from hub.service_layer.federation.reconciliation import Category, compare, load_history
from hub.settings import HubSettings

TAX = "tax.clearance@1.0"
CLEARANCE = {"national_id": "NO12345678", "tax_year": 2025, "status": "cleared",
             "outstanding_amount": "0.00", "currency": "EUR", "issued_on": "2026-03-01"}
SUBJECT = "ds-" + "3" * 32
SERVICE = "south/social-security/contribution-history"
CLEAN_ENV: dict[str, str | None] = {k: None for k in os.environ if k.startswith("HUB_")}
NO_GRACE = dt.timedelta(0)


@pytest.fixture(autouse=True)
def _keep_structlog() -> Iterator[None]:
    """The CLI configures structlog for the process; put the test run's back afterwards."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@dataclass
class Regions:
    """Two regions' settings and the ids of what the scenario did."""

    north: HubSettings
    south: HubSettings
    records: dict[str, str]

    def open(self, settings: HubSettings) -> RegionFederation:
        return open_federation(settings)


def _settings(root: Path, region: str, store: str | None = None) -> HubSettings:
    return HubSettings(data=root / region, region=region, store=store, log_format="json")


def _trust_each_other(north: HubSettings, south: HubSettings) -> None:
    now = utc_now()
    fingerprint = registry_fingerprint(default_registry())
    rings = {s.region: (s, open_keys(s, now=now)) for s in (north, south)}
    cards = {name: publish_region_card(ring, fingerprint, now=now)
             for name, (_, ring) in rings.items()}
    for name, (settings, ring) in rings.items():
        peer = next(c for n, c in cards.items() if n != name)
        trust = TrustList.empty(name, now=now).with_peer(read_region_card(peer), now=now)
        save_trust(settings, ring, trust)


def _agree(north: RegionFederation, south: RegionFederation) -> None:
    now = utc_now()
    agreement_id, terms = north.app.propose_agreement(
        accepter="south", contracts=[TAX], departments=["north/tax", "south/tax"],
        valid_from=now - dt.timedelta(days=1), valid_until=now + dt.timedelta(days=30))
    south.app.receive_proposal(terms, from_region="north")
    north.app.record_acceptance(south.app.accept_agreement(agreement_id), from_region="south")


def _deliver(issuer: RegionFederation, receiver: RegionFederation, attestation: str) -> None:
    receipt = receiver.app.recognise(attestation, from_region=issuer.region)
    issuer.app.record_receipt(receipt.jws, from_region=receiver.region)


def _scenario(north: RegionFederation, south: RegionFederation) -> dict[str, str]:
    """Records both ways; one of north's never reaches south (the partition gap)."""
    issued = {name: north.app.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
              for name in ("a", "b", "gap", "revoked")}
    for name in ("a", "b", "revoked"):
        _deliver(north, south, issued[name].attestation)
    revocation = north.app.revoke(issued["revoked"].record_id, "issued in error")
    receipt = south.app.recognise_revocation(revocation, from_region="north")
    north.app.record_receipt(receipt.jws, from_region="south")
    southern = south.app.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    _deliver(south, north, southern.attestation)
    return {name: str(r.record_id) for name, r in issued.items()} | {
        "southern": str(southern.record_id)}


def _query(settings: HubSettings, correlation_id: str, ingress: str, *, answer: bool) -> None:
    """One side of a cross-region query, recorded in the region's ledger."""
    ledger = build_ledger(settings)
    try:
        exchange_id = ledger.record_accepted(
            Arrival("north/tax", SERVICE, correlation_id, ingress, "sha256:" + "1" * 64, 10),
            Translation("social-security.contribution-history-query@1.0", {"q": 1},
                        "sha256:" + "2" * 64, "south/social-security", "subject"))
        if answer:
            ledger.record_response(exchange_id, attempt=1, contract="c@1.0", document={"a": 1},
                                   digest="sha256:" + "3" * 64, provider_ms=1.0)
            ledger.record_completed(exchange_id, reply_digest="sha256:" + "4" * 64,
                                    latency_ms=2.0)
    finally:
        ledger.close()


def _gossip(south: HubSettings, north: HubSettings) -> None:
    """south signs a checkpoint; north holds it, as checkpoint gossip would leave it."""
    checkpoint = Auditor(south.data, south.store, "south").checkpoint()
    CheckpointLog(north.data / "audit" / "peers" / "south.jsonl").record(checkpoint)


def _build(north_settings: HubSettings, south_settings: HubSettings) -> Regions:
    _trust_each_other(north_settings, south_settings)
    with open_federation(north_settings) as north, open_federation(south_settings) as south:
        _agree(north, south)
        records = _scenario(north, south)
    _query(north_settings, "corr-1", "json", answer=True)
    _query(south_settings, "corr-1", "federation", answer=True)
    _gossip(south_settings, north_settings)
    return Regions(north_settings, south_settings, records)


@pytest.fixture
def regions(tmp_path: Path) -> Regions:
    return _build(_settings(tmp_path, "north"), _settings(tmp_path, "south"))


def _reconcile(regions: Regions, *args: str) -> Result:
    return CliRunner().invoke(app, ["reconcile", "--data", str(regions.north.data),
                                    "--peer-data", str(regions.south.data), *args],
                              env=CLEAN_ENV)


def _findings(result: Result) -> list[tuple[str, str, str, str, str]]:
    document: dict[str, Any] = json.loads(result.stdout)
    return [(f["category"], f["kind"], f["key"], f["holder"], f["other"])
            for f in document["findings"]]


def test_the_report_shows_exactly_the_partition_gap_and_repair_closes_it(
    regions: Regions,
) -> None:
    """One attestation never delivered → exit 1 naming it; --repair → exit 0; again → 0."""
    first = _reconcile(regions, "--grace", "0", "--json")
    assert first.exit_code == 1, first.output
    assert _findings(first) == [("missing", "attestation", regions.records["gap"], "north",
                                 "south")]
    repaired = _reconcile(regions, "--grace", "0", "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert (f"present north's attestation of record {regions.records['gap']} to south "
            "→ recognised") in repaired.stdout
    assert repaired.stdout.rstrip().endswith(
        "reconcile north↔south: 0 missing, 0 duplicated, 0 divergent, 0 pending")
    again = _reconcile(regions, "--grace", "0")
    assert again.exit_code == 0, again.output
    with regions.open(regions.south) as south:
        recognition = south.app.recognition_of("north", regions.records["gap"])
        assert recognition is not None and recognition.is_recognised


def test_within_the_grace_period_the_gap_is_pending_with_exit_code_3(regions: Regions) -> None:
    """The undelivered attestation is recent: pending only, exit code 3."""
    result = _reconcile(regions, "--grace", "3600", "--json")
    assert result.exit_code == 3, result.output
    assert _findings(result) == [("pending", "attestation", regions.records["gap"], "north",
                                  "south")]


def test_a_revocation_and_a_receipt_lost_in_a_partition_are_repaired(regions: Regions) -> None:
    """A revocation south never got, and a receipt north never recorded, are both re-sent."""
    with regions.open(regions.north) as north, regions.open(regions.south) as south:
        north.app.revoke(uuid.UUID(regions.records["a"]), "withdrawn by the tax office")
        late = north.app.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
        south.app.recognise(late.attestation, from_region="north")  # receipt lost on the way
    report = reconcile_folders(regions.north, regions.south, grace=NO_GRACE).report
    assert sorted((f.category.value, f.kind, f.key) for f in report.findings) == sorted([
        ("missing", "attestation", regions.records["gap"]),
        ("missing", "revocation", regions.records["a"]),
        ("missing", "receipt", str(late.record_id))])
    result = reconcile_folders(regions.north, regions.south, grace=NO_GRACE, repair=True)
    assert [(r.step.action, r.outcome) for r in result.results] == [
        ("present", "recognised"), ("present", "withdrawn"), ("record-receipt", "recognised")]
    assert result.after is not None and result.after.agrees


def test_a_tampered_receipt_digest_is_divergent_and_not_repaired(regions: Regions) -> None:
    """One stored ReceiptRecorded event's digest rewritten in north's store → divergent."""
    _rewrite_receipt_digest(regions.north.data / "ledger.sqlite3", "sha256:" + "e" * 64)
    result = _reconcile(regions, "--grace", "0", "--repair", "--json")
    assert result.exit_code == 1, result.output
    findings = _findings(result)
    assert ("divergent", "receipt", regions.records["a"], "north", "south") in findings
    assert [f for f in findings if f[0] != "divergent"] == []  # the gap itself was repaired


def test_a_peer_checkpoint_that_the_peers_own_log_contradicts_is_divergent(
    regions: Regions,
) -> None:
    """north holds a checkpoint of south, signed by south's key, that south's log contradicts."""
    held = load_history(regions.north).peer_checkpoints["south"][0]
    signer = load_or_create_audit_signer(regions.south.data, log_origin("south"))
    forged = sign_checkpoint(CheckpointBody(log_origin("south"), held.size, b"\x07" * 32,
                                            dt.datetime.now(dt.UTC)), signer)
    CheckpointLog(regions.north.data / "audit" / "peers" / "south.jsonl").record(forged)
    report = compare(load_history(regions.north), load_history(regions.south), grace=NO_GRACE)
    divergent = report.of(Category.DIVERGENT)
    assert [(f.kind, f.key, f.holder, f.other) for f in divergent] == [
        ("checkpoint", str(held.size), "north", "south")]
    assert "contradicted" in divergent[0].detail


def test_queries_sent_and_never_answered_are_found_by_correlation_id(regions: Regions) -> None:
    """north asked twice more: one query never reached south, one reached it twice."""
    _query(regions.north, "corr-lost", "json", answer=False)
    _query(regions.north, "corr-twice", "json", answer=True)
    for _ in range(2):
        _query(regions.south, "corr-twice", "federation", answer=True)
    report = compare(load_history(regions.north), load_history(regions.south), grace=NO_GRACE)
    queries = [(f.category.value, f.kind, f.key) for f in report.findings
               if f.kind in ("query", "answer")]
    assert queries == [("missing", "query", "corr-lost"),
                       ("duplicated", "answer", "corr-twice")]


def test_a_region_on_postgresql_reconciles_with_one_on_sqlite(
    tmp_path: Path, postgres_url: str,
) -> None:
    """north's events in PostgreSQL: the gap is found, repaired, and the regions agree."""
    regions = _build(_settings(tmp_path, "north", postgres_url), _settings(tmp_path, "south"))
    history = load_history(regions.north)
    assert len(history.records) == 4 and len(history.queries) == 1
    result = reconcile_folders(regions.north, regions.south, grace=NO_GRACE, repair=True)
    assert [(f.kind, f.key) for f in result.report.findings] == [
        ("attestation", regions.records["gap"])]
    assert result.after is not None and result.after.agrees


def _rewrite_receipt_digest(database: Path, digest: str) -> None:
    """Change the first recorded receipt's digest in place (what a store tamperer would do)."""
    with sqlite3.connect(database) as connection:
        rowid, state = connection.execute(
            "SELECT rowid, state FROM federation_events WHERE topic = ? ORDER BY rowid LIMIT 1",
            (Record.ReceiptRecorded.TOPIC,)).fetchone()
        event = json.loads(state)
        event["receipt_digest"] = digest
        connection.execute("UPDATE federation_events SET state = ? WHERE rowid = ?",
                           (json.dumps(event, separators=(",", ":")).encode(), rowid))
