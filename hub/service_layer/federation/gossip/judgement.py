"""How a region judges a peer's checkpoint against the last one it holds (pure logic).

Given the held checkpoint H (verified before) and a newly received, validly
signed checkpoint R of the same log:

==============================  ==========================================
case                            verdict
==============================  ==========================================
nothing held yet                accept (the first one is taken on trust)
R.size == H.size, same root     already held: nothing to do
R.size == H.size, other root    alarm ``forked``: two signed roots of one size
R.size <  H.size                ``older``: a stale copy, unless it is the peer's
                                *latest* — then alarm ``shrunk``
R.size >  H.size                ``prove``: ask the peer for a consistency proof;
                                accept iff it verifies against H's and R's roots
                                (RFC 9162 §2.1.4.2), else alarm ``inconsistent``
==============================  ==========================================

The proof is checked against the roots this region holds and received, never
against anything the peer sends along with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hub.domain.audit_alarm import FORKED, INCONSISTENT, SHRUNK
from hub.service_layer.audit.checkpoint import Checkpoint
from hub.service_layer.audit.merkle import EMPTY_ROOT, verify_consistency

Action = Literal["accept", "held", "older", "prove", "alarm"]


@dataclass(frozen=True)
class Verdict:
    """What to do with a received checkpoint; ``kind`` and ``reason`` explain an alarm."""

    action: Action
    kind: str = ""
    reason: str = ""


def assess(held: Checkpoint | None, received: Checkpoint, *, is_latest: bool) -> Verdict:
    """The verdict on ``received`` before any proof (see the module docstring)."""
    if held is None:
        return Verdict("accept")
    if received.size == held.size:
        if received.root_hash == held.root_hash:
            return Verdict("held")
        return Verdict(
            "alarm",
            FORKED,
            f"two signed checkpoints of size {held.size} have different roots "
            f"({held.root_hash.hex()[:16]}… held, {received.root_hash.hex()[:16]}… received)",
        )
    if received.size < held.size:
        if not is_latest:
            return Verdict("older")
        return Verdict(
            "alarm",
            SHRUNK,
            f"the latest checkpoint has size {received.size}, smaller than the "
            f"{held.size} signed before: the log lost events",
        )
    if held.size == 0:
        return Verdict("accept") if held.root_hash == EMPTY_ROOT else Verdict(
            "alarm", INCONSISTENT, "a checkpoint of size 0 with a non-empty root was held"
        )
    return Verdict("prove")


def judge_proof(held: Checkpoint, received: Checkpoint, proof: list[bytes]) -> Verdict:
    """Accept ``received`` iff ``proof`` shows ``held``'s tree is a prefix of it."""
    if verify_consistency(held.size, received.size, held.root_hash, received.root_hash, proof):
        return Verdict("accept")
    return Verdict(
        "alarm",
        INCONSISTENT,
        f"the consistency proof from size {held.size} to {received.size} does not verify: "
        "the newer checkpoint does not extend the one held (history rewritten)",
    )
