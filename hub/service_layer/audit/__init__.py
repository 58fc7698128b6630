"""The tamper-evident audit log : a Merkle tree over every stored event.

Leaves are the ledger's stored rows in notification order (hub.service_layer.audit.leaves
defines their canonical bytes); the region signs C2SP checkpoints of the tree
(hub.service_layer.audit.checkpoint) with its Ed25519 audit key (hub.service_layer.audit.keys) and
records
them (hub.service_layer.audit.checkpoints); ``audit verify`` recomputes the tree from the
store and names the first bad event (hub.service_layer.audit.verify); proofs of inclusion and
consistency (hub.service_layer.audit.proofs) can be checked by anyone with the public key.
"""

from hub.service_layer.audit.auditor import Auditor
from hub.service_layer.audit.checkpoint import Checkpoint, CheckpointBody, log_origin
from hub.service_layer.audit.errors import (
    AuditError,
    AuditKeyError,
    AuditStoreError,
    NoteError,
    ProofError,
)
from hub.service_layer.audit.folder_region import RegionMismatchError, claim_region, resolve_region
from hub.service_layer.audit.periodic import checkpoint_periodically, final_checkpoint
from hub.service_layer.audit.proofs import ConsistencyProof, InclusionProof
from hub.service_layer.audit.verify import BadEvent, VerifyReport

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
