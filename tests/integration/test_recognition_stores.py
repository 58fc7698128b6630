"""Recognition on every event store back end (SQLite file, PostgreSQL), beside the ledger."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from contracts import default_registry
from federation.fingerprints import registry_fingerprint
from federation.keys import KeyRing
from federation.reasons import Outcome, Reason
from federation.trust import TrustList, publish_region_card, read_region_card, trust_all
from hub.adapters.store.ledger import Arrival, Problem
from hub.bootstrap.privacy import build_ledger
from hub.domain.exchange import Exchange
from hub.service_layer.federation import FederationApp, federation_environment
from hub.settings import HubSettings

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
TAX = "tax.clearance@1.0"
CLEARANCE = {"national_id": "NO12345678", "tax_year": 2025, "status": "cleared",
             "outstanding_amount": "0.00", "currency": "EUR", "issued_on": "2026-03-01"}
SUBJECT = "ds-" + "7" * 32


@pytest.fixture(scope="module")
def rings() -> dict[str, KeyRing]:
    return {name: KeyRing.generate(name, now=NOW - dt.timedelta(days=1))
            for name in ("north", "south")}


@pytest.fixture(scope="module")
def trust(rings: dict[str, KeyRing]) -> dict[str, TrustList]:
    fingerprint = registry_fingerprint(default_registry())
    return trust_all([read_region_card(publish_region_card(r, fingerprint, now=NOW))
                      for r in rings.values()], now=NOW)


def _south(store_url: str | None, data: Path, rings: dict[str, KeyRing],
           trust: dict[str, TrustList]) -> FederationApp:
    return FederationApp(federation_environment(store_url, data), keys=rings["south"],
                         trust=trust["south"], registry=default_registry(), clock=lambda: NOW)


@pytest.fixture
def north(rings: dict[str, KeyRing], trust: dict[str, TrustList]) -> FederationApp:
    """The issuing region, in memory (only the receiver's store is under test here)."""
    return FederationApp(keys=rings["north"], trust=trust["north"], registry=default_registry(),
                         clock=lambda: NOW)


def _agree(north: FederationApp, south: FederationApp) -> None:
    agreement_id, signed = north.propose_agreement(
        accepter="south", contracts=[TAX], departments=["north/tax"],
        valid_from=NOW - dt.timedelta(days=1), valid_until=NOW + dt.timedelta(days=30))
    south.receive_proposal(signed, from_region="north")
    north.record_acceptance(south.accept_agreement(agreement_id), from_region="south")


def test_recognitions_survive_a_restart(
    store_url: str | None, tmp_path: Path, north: FederationApp,
    rings: dict[str, KeyRing], trust: dict[str, TrustList],
) -> None:
    """After a restart the agreement still holds and a replay is still recognised once."""
    south = _south(store_url, tmp_path, rings, trust)
    _agree(north, south)
    _, attestation = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    first = south.recognise(attestation, from_region="north")
    south.close()
    restarted = _south(store_url, tmp_path, rings, trust)
    try:
        again = restarted.recognise(attestation, from_region="north")
        _, fresh = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
        assert restarted.recognise(fresh, from_region="north").outcome is Outcome.RECOGNISED
        assert again.replay and again.jws == first.jws
        assert restarted.recognition_counts()["recognised"] == 2
    finally:
        restarted.close()


def test_a_second_worker_sees_the_first_workers_decisions(
    store_url: str | None, tmp_path: Path, north: FederationApp,
    rings: dict[str, KeyRing], trust: dict[str, TrustList],
) -> None:
    """Two workers on one store: one's recognition is the other's replay; suspensions carry."""
    one, two = (_south(store_url, tmp_path, rings, trust) for _ in range(2))
    try:
        _agree(north, one)
        _, attestation = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
        assert two.recognise(attestation, from_region="north").outcome is Outcome.RECOGNISED
        assert one.recognise(attestation, from_region="north").replay
        one.suspend_agreement(one.agreements()[0].id, "maintenance")
        _, later = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
        assert two.recognise(later, from_region="north").reason == Reason.AGREEMENT_SUSPENDED
    finally:
        one.close()
        two.close()


def test_the_ledger_and_federation_keep_separate_tables(
    store_url: str | None, tmp_path: Path, north: FederationApp,
    rings: dict[str, KeyRing], trust: dict[str, TrustList],
) -> None:
    """Beside the ledger in one store, federation events never enter the ledger's log."""
    ledger = build_ledger(HubSettings(data=tmp_path, store=store_url))
    south = _south(store_url, tmp_path, rings, trust)
    try:
        _agree(north, south)
        ledger.record_rejected(Arrival("north/tax", "north/tax/x", "c", "json", "sha256:0", 1),
                               Problem("malformed-input", "bad", []))
        _, attestation = north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
        south.recognise(attestation, from_region="north")
        assert {n.topic for n in ledger.notifications(1, 100)} == {
            Exchange.Received.TOPIC, Exchange.Rejected.TOPIC}
        assert all(n.topic.startswith(("interop-hub:agreement", "interop-hub:recognition"))
                   for n in south.recorder.select_notifications(1, 100))
        if store_url is None:
            tables = {row[0] for row in sqlite3.connect(tmp_path / "ledger.sqlite3").execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            assert {"stored_events", "federation_events", "federation_snapshots"} <= tables
    finally:
        south.close()
        ledger.close()
