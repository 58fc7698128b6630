"""What the recognition path keeps in memory gives way at once when the ledger or trust changes.

The receiving region keeps its agreements in memory (followed from the
ledger) and the verifying key of each trusted peer key (built once per key).
Two receiving workers share one SQLite store here, as two hub processes do:
a suspension recorded by one is honoured by the other at its very next
recognition, and a trust list that drops or ends a peer key is honoured at the
next recognition of the worker that adopted it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from contracts import default_registry
from federation.fingerprints import registry_fingerprint
from federation.keys import KeyRing, KeyValidity
from federation.reasons import Outcome, Reason
from federation.trust import Peer, TrustList
from hub.service_layer.federation import FederationApp, federation_environment

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
TAX = "tax.clearance@1.0"
CLEARANCE = {"national_id": "NO12345678", "tax_year": 2025, "status": "cleared",
             "outstanding_amount": "0.00", "currency": "EUR", "issued_on": "2026-03-01"}
SUBJECT = "ds-" + "7" * 32


@dataclasses.dataclass
class Regions:
    """North issues; two workers of south (one store) receive."""

    north: FederationApp
    south_a: FederationApp
    south_b: FederationApp
    rings: dict[str, KeyRing]
    agreement: UUID

    def attestation(self) -> str:
        return self.north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT).attestation


@pytest.fixture
def regions(tmp_path: Path) -> Iterator[Regions]:
    rings = {name: KeyRing.generate(name, now=NOW - dt.timedelta(days=1))
             for name in ("north", "south")}
    fingerprint = registry_fingerprint(default_registry())
    trust = {
        "north": TrustList.empty("north", now=NOW).with_peer(
            Peer("south", rings["south"].public_keys(), fingerprint), now=NOW),
        "south": TrustList.empty("south", now=NOW).with_peer(
            Peer("north", rings["north"].public_keys(), fingerprint), now=NOW),
    }
    north = FederationApp(keys=rings["north"], trust=trust["north"],
                          registry=default_registry(), clock=lambda: NOW)
    south_a, south_b = (
        FederationApp(federation_environment(None, tmp_path), keys=rings["south"],
                      trust=trust["south"], registry=default_registry(), clock=lambda: NOW)
        for _ in range(2))
    agreement, terms = north.propose_agreement(
        accepter="south", contracts=[TAX], departments=["north/tax"],
        valid_from=NOW - dt.timedelta(days=1), valid_until=NOW + dt.timedelta(days=30))
    south_a.receive_proposal(terms, from_region="north")
    south_a.accept_agreement(agreement)
    try:
        yield Regions(north, south_a, south_b, rings, agreement)
    finally:
        south_a.close()
        south_b.close()


def test_a_suspension_by_another_worker_is_honoured_at_the_next_recognition(
    regions: Regions,
) -> None:
    """Worker A has the agreement in memory; worker B suspends it on the shared store; A's
    next recognition is refused for the suspension, and recognises again once B resumes."""
    a, b = regions.south_a, regions.south_b
    assert a.recognise(regions.attestation(), from_region="north").recognised
    b.suspend_agreement(regions.agreement, "audit of north's tax office")
    refused = a.recognise(regions.attestation(), from_region="north")
    assert refused.outcome is Outcome.REFUSED
    assert refused.reason is Reason.AGREEMENT_SUSPENDED
    b.resume_agreement(regions.agreement, "audit closed")
    assert a.recognise(regions.attestation(), from_region="north").recognised


def test_a_suspension_in_the_same_worker_applies_to_the_rest_of_a_batch_after_it(
    regions: Regions,
) -> None:
    """A batch decided after the suspension is refused whole; nothing before it changes."""
    a = regions.south_a
    before = a.recognise_many([(regions.attestation(), "north") for _ in range(3)])
    a.suspend_agreement(regions.agreement, "suspended between two batches")
    after = a.recognise_many([(regions.attestation(), "north") for _ in range(3)])
    assert all(r.recognised for r in before)
    assert [r.reason for r in after] == [Reason.AGREEMENT_SUSPENDED] * 3


def test_a_peer_key_dropped_from_the_trust_list_is_refused_at_the_next_recognition(
    regions: Regions,
) -> None:
    """The verifying key built for north's key is not used once the list drops north."""
    a = regions.south_a
    assert a.recognise(regions.attestation(), from_region="north").recognised
    dropped = a.trust.without_peer("north", now=NOW)
    a.use_trust_list(dropped.sign(regions.rings["south"]))
    refused = a.recognise(regions.attestation(), from_region="north")
    assert refused.outcome is Outcome.REFUSED and refused.reason is Reason.UNKNOWN_KEY


def test_a_peer_key_whose_validity_was_ended_is_refused_at_the_next_recognition(
    regions: Regions,
) -> None:
    """The same kid, re-published with its validity ended before the record was issued
    (revoked): refused, though a verifying key for that very kid was built already."""
    a = regions.south_a
    assert a.recognise(regions.attestation(), from_region="north").recognised
    peer = a.trust.peer("north")
    ended = tuple(dataclasses.replace(key, validity=KeyValidity(
        key.validity.not_before, not_after=NOW - dt.timedelta(minutes=1))) for key in peer.keys)
    revoked = a.trust.with_peer(dataclasses.replace(peer, keys=ended), now=NOW)
    a.use_trust_list(revoked.sign(regions.rings["south"]))
    refused = a.recognise(regions.attestation(), from_region="north")
    assert refused.outcome is Outcome.REFUSED
    assert refused.reason is Reason.KEY_NOT_VALID_AT_ISSUE_TIME


def test_a_revocation_noted_by_another_worker_is_honoured_at_the_next_recognition(
    regions: Regions,
) -> None:
    """Worker A knows of no recognition of the record (its read model says it never saw it,
    so it would not even read the store); worker B notes north's revocation of it; A's next
    batch refuses the record as revoked and recognises the others of the batch."""
    a, b = regions.south_a, regions.south_b
    assert a.recognise(regions.attestation(), from_region="north").recognised
    record_id, attestation = regions.north.issue_record("tax", TAX, CLEARANCE, subject=SUBJECT)
    noted = b.recognise_revocation(regions.north.revoke(record_id, "issued in error"),
                                   from_region="north")
    assert noted.outcome is Outcome.NOTED
    receipts = a.recognise_many([(regions.attestation(), "north"), (attestation, "north"),
                                 (regions.attestation(), "north")])
    assert [r.reason for r in receipts] == [None, Reason.REVOKED, None]


def test_a_record_recognised_by_another_worker_is_a_replay_here(regions: Regions) -> None:
    """B recognises a record A has not seen; the same attestation at A is a replay that
    returns B's receipt, recorded on the one recognition."""
    a, b = regions.south_a, regions.south_b
    assert a.recognise(regions.attestation(), from_region="north").recognised
    attestation = regions.attestation()
    first = b.recognise(attestation, from_region="north")
    again = a.recognise(attestation, from_region="north")
    assert again.replay and again.jws == first.jws
    assert a.recognition_counts()["replayed"] == 1
