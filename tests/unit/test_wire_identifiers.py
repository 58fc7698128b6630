"""Identifiers that travel are fixed strings, not derived from where code lives.

A proof's ``kind`` is read by verifiers outside the hub (``audit prove --json``, and
simulations/audit_verify_standalone.py, written from the RFCs); moving the audit
package must never change it. The layout move once did, through a module-path rewrite.
"""

from __future__ import annotations

from hub.service_layer.audit.proofs import CONSISTENCY, INCLUSION


def test_proof_kinds_are_the_published_ones() -> None:
    assert INCLUSION == "interop-hub.audit.inclusion/v1"
    assert CONSISTENCY == "interop-hub.audit.consistency/v1"
