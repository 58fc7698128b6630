"""Audit checkpoints: those a region holds of its peer vs the peer's own checkpoint log.

A region keeps every checkpoint its peer gossiped (``DIR/audit/peers/<peer>.jsonl``).
Each must be one the peer itself recorded (``DIR/audit/checkpoints.jsonl``): a
held checkpoint that the peer's own log contradicts (same tree size, another
root) means the peer's history was rewritten or forked; one the peer's log
does not contain at all means the peer signed it and then dropped it from its
own record. Both are divergent. Signatures are checked where checkpoints are
received (gossip) and by ``audit verify``; here the signed bodies are compared.
"""

from __future__ import annotations

from hub.service_layer.audit.checkpoint import log_origin
from hub.service_layer.federation.reconciliation.history import History, SeenCheckpoint
from hub.service_layer.federation.reconciliation.report import Category, Finding


def checkpoint_findings(holder: History, owner: History) -> list[Finding]:
    """Every checkpoint ``holder`` holds of ``owner`` that ``owner``'s own log does not bear out."""
    held = holder.peer_checkpoints.get(owner.region, ())
    own = {_body(c) for c in owner.checkpoints}
    roots: dict[int, set[str]] = {}
    for checkpoint in owner.checkpoints:
        roots.setdefault(checkpoint.size, set()).add(checkpoint.root)
    findings = []
    for checkpoint in held:
        if _body(checkpoint) in own:
            continue
        findings.append(Finding(Category.DIVERGENT, "checkpoint", str(checkpoint.size),
                                holder.region, owner.region,
                                _why(checkpoint, roots.get(checkpoint.size, set()), owner)))
    return findings


def _body(checkpoint: SeenCheckpoint) -> tuple[str, int, str, str]:
    return (checkpoint.origin, checkpoint.size, checkpoint.root, checkpoint.timestamp)


def _why(checkpoint: SeenCheckpoint, roots: set[str], owner: History) -> str:
    if checkpoint.origin != log_origin(owner.region):
        return f"held checkpoint is of log {checkpoint.origin!r}, not {owner.region}'s"
    if roots and checkpoint.root not in roots:
        return (f"contradicted: {owner.region}'s own log has size {checkpoint.size} with root "
                f"{', '.join(sorted(roots))}, the held checkpoint {checkpoint.root} "
                "(history rewritten or forked)")
    if roots:
        return (f"{owner.region}'s own log has no checkpoint signed at {checkpoint.timestamp} "
                f"(size {checkpoint.size}, same root)")
    return f"{owner.region}'s own log has no checkpoint of tree size {checkpoint.size}"
