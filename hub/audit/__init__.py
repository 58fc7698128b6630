"""The tamper-evident audit log : a Merkle tree over every stored event.

Leaves are the ledger's stored rows in notification order (hub.audit.leaves
defines their canonical bytes); the region signs C2SP checkpoints of the tree
(hub.audit.checkpoint) with its Ed25519 audit key (hub.audit.keys) and records
them (hub.audit.checkpoints); ``audit verify`` recomputes the tree from the
store and names the first bad event (hub.audit.verify); proofs of inclusion and
consistency (hub.audit.proofs) can be checked by anyone with the public key.
"""

from hub.audit.auditor import Auditor
from hub.audit.checkpoint import Checkpoint, CheckpointBody, log_origin
from hub.audit.errors import AuditError, AuditKeyError, AuditStoreError, NoteError, ProofError
from hub.audit.folder_region import RegionMismatchError, claim_region, resolve_region
from hub.audit.periodic import checkpoint_periodically, final_checkpoint
from hub.audit.proofs import ConsistencyProof, InclusionProof
from hub.audit.verify import BadEvent, VerifyReport

__all__ = [
    "AuditError",
    "AuditKeyError",
    "AuditStoreError",
    "Auditor",
    "BadEvent",
    "Checkpoint",
    "CheckpointBody",
    "ConsistencyProof",
    "InclusionProof",
    "NoteError",
    "ProofError",
    "RegionMismatchError",
    "VerifyReport",
    "checkpoint_periodically",
    "claim_region",
    "final_checkpoint",
    "log_origin",
    "resolve_region",
]
