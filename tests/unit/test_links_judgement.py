"""Judging a peer's checkpoint against the one held, pinning its key, recording alarms."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.adapters.peers.errors import LinkError
from hub.adapters.store.alarms_store import alarms_environment
from hub.domain.audit_alarm import FORKED, INCONSISTENT, SHRUNK
from hub.service_layer.audit.checkpoint import (
    Checkpoint,
    CheckpointBody,
    log_origin,
    sign_checkpoint,
)
from hub.service_layer.audit.merkle import EMPTY_ROOT, consistency_proof, leaf_hash, root_hash
from hub.service_layer.audit.note import NoteSigner
from hub.service_layer.federation.gossip.alarms import AuditAlarms
from hub.service_layer.federation.gossip.held_checkpoints import PeerCheckpoints
from hub.service_layer.federation.gossip.judgement import assess, judge_proof

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SIGNER = NoteSigner(log_origin("south"), Ed25519PrivateKey.generate())
LEAVES = [leaf_hash(f"event {i}".encode()) for i in range(12)]


def _checkpoint(size: int, leaves: list[bytes] = LEAVES) -> Checkpoint:
    body = CheckpointBody(log_origin("south"), size, root_hash(leaves[:size]), WHEN)
    return sign_checkpoint(body, SIGNER)


def test_the_first_checkpoint_is_accepted() -> None:
    """With nothing held, a validly signed checkpoint is taken (trust on first use)."""
    assert assess(None, _checkpoint(5), is_latest=False).action == "accept"


def test_the_same_checkpoint_again_is_already_held() -> None:
    """A re-offer of the held size and root changes nothing."""
    assert assess(_checkpoint(5), _checkpoint(5), is_latest=True).action == "held"


def test_two_roots_for_one_size_are_a_fork() -> None:
    """Equal sizes with different roots are proof of a fork, without asking the peer."""
    other = [leaf_hash(b"rewritten"), *LEAVES[1:]]
    verdict = assess(_checkpoint(5), _checkpoint(5, other), is_latest=False)
    assert (verdict.action, verdict.kind) == ("alarm", FORKED)


def test_a_smaller_checkpoint_is_stale_unless_it_is_the_latest() -> None:
    """A smaller pushed copy may be stale; a smaller *latest* means the log shrank."""
    assert assess(_checkpoint(8), _checkpoint(5), is_latest=False).action == "older"
    verdict = assess(_checkpoint(8), _checkpoint(5), is_latest=True)
    assert (verdict.action, verdict.kind) == ("alarm", SHRUNK)


def test_a_larger_checkpoint_needs_a_proof_that_verifies() -> None:
    """A larger tree is accepted only with a consistency proof from the held one."""
    held, newer = _checkpoint(5), _checkpoint(12)
    assert assess(held, newer, is_latest=False).action == "prove"
    proof = consistency_proof(LEAVES, 5, 12)
    assert judge_proof(held, newer, proof).action == "accept"


def test_a_proof_over_a_rewritten_prefix_is_refused() -> None:
    """A newer tree whose first leaves changed cannot be proven to extend the held one."""
    rewritten = [leaf_hash(b"rewritten"), *LEAVES[1:]]
    held, forged = _checkpoint(5), _checkpoint(12, rewritten)
    verdict = judge_proof(held, forged, consistency_proof(rewritten, 5, 12))
    assert (verdict.action, verdict.kind) == ("alarm", INCONSISTENT)


def test_an_empty_held_tree_is_extended_by_anything() -> None:
    """Size 0 (a region that had no events yet) is a prefix of every tree."""
    empty = sign_checkpoint(CheckpointBody(log_origin("south"), 0, EMPTY_ROOT, WHEN), SIGNER)
    assert assess(empty, _checkpoint(3), is_latest=False).action == "accept"


def test_a_peer_key_is_pinned_once_and_never_replaced(tmp_path: Path) -> None:
    """The first key offered for a peer is pinned; a later, different offer does not replace it."""
    store = PeerCheckpoints(tmp_path)
    first = store.pin("south", SIGNER.verifier().vkey())
    other = NoteSigner(log_origin("south"), Ed25519PrivateKey.generate()).verifier().vkey()
    assert store.pin("south", other).vkey() == first.vkey()
    assert store.verifier("south") == first


def test_a_key_for_another_log_is_not_pinned(tmp_path: Path) -> None:
    """A peer cannot get the key of another region's log pinned as its own."""
    with pytest.raises(LinkError, match="audit key of 'interop-hub/east/ledger'"):
        PeerCheckpoints(tmp_path).pin("south", NoteSigner(
            log_origin("east"), Ed25519PrivateKey.generate()).verifier().vkey())


def test_held_checkpoints_are_read_back_verified(tmp_path: Path) -> None:
    """What was held is the latest held, read back under the pinned key."""
    store = PeerCheckpoints(tmp_path)
    verifier = store.pin("south", SIGNER.verifier().vkey())
    assert store.held("south", verifier) is None
    store.hold("south", _checkpoint(3))
    store.hold("south", _checkpoint(7))
    held = store.held("south", verifier)
    assert held is not None and held.size == 7


def test_the_same_evidence_raises_one_alarm(tmp_path: Path) -> None:
    """An alarm is recorded once per evidence, with both notes, however often it is offered."""
    alarms = AuditAlarms(alarms_environment(None, tmp_path), region="north")
    try:
        held, received = _checkpoint(5).note, _checkpoint(9).note
        first = alarms.raise_alarm("south", INCONSISTENT, "why", held=held, received=received)
        again = alarms.raise_alarm("south", INCONSISTENT, "why", held=held, received=received)
        assert first[1] is True and again == (first[0], False)
        [alarm] = alarms.alarms("south")
        assert (alarm.held_checkpoint, alarm.received_checkpoint) == (held, received)
        assert alarms.alarms("east") == []
    finally:
        alarms.close()
