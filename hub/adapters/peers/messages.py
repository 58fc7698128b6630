"""Wire messages between regions' hubs. These travel; events are recorded.

Domain events never go on the wire.

Every message is JSON with ``extra="forbid"``: a peer running a newer version
that adds a field is refused loudly rather than half-understood; a new field
comes with a new ``kind`` version.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CATALOGUE_KIND = "interop-hub.catalogue/v1"
CHECKPOINT_KIND = "interop-hub.checkpoint-offer/v1"
CONSISTENCY_KIND = "interop-hub.consistency-proof/v1"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CatalogueEntry(_Wire):
    """One service a region offers to its peers, with its request and response contracts."""

    id: str
    request: str
    response: str
    operation: str
    description: str = ""
    time_limit_s: float | None = None


class Catalogue(_Wire):
    """Every service a region offers to its peers (its answer on ``fed.<region>.catalogue``)."""

    kind: Literal["interop-hub.catalogue/v1"] = CATALOGUE_KIND
    region: str
    services: list[CatalogueEntry]


class LinkProblem(_Wire):
    """Why a peer could not answer: a stable code, a message, and field issues."""

    code: str
    message: str
    issues: list[dict[str, Any]] = Field(default_factory=list)


class RemoteAnswer(_Wire):
    """The answering region's outcome of one cross-region query."""

    exchange_id: str | None = None  # the answering region's exchange (None: not recorded)
    outcome: Literal["responded", "rejected", "failed", "dead-lettered", "timeout"]
    contract: str | None = None
    document: dict[str, Any] | None = None
    error: LinkProblem | None = None


class CheckpointOffer(_Wire):
    """A region's signed checkpoint, as it publishes it and answers ``audit.latest``.

    ``verifier_key`` lets a peer pin the key on first contact (trust on first
    use); afterwards the peer verifies with the key it pinned, whatever is offered.
    """

    kind: Literal["interop-hub.checkpoint-offer/v1"] = CHECKPOINT_KIND
    region: str
    note: str | None  # None: the region has not signed a checkpoint yet
    verifier_key: str | None


class ConsistencyRequest(_Wire):
    """Ask a region to prove its tree of ``old_size`` is a prefix of its tree of ``new_size``."""

    old_size: int = Field(ge=0)
    new_size: int = Field(ge=0)


class ConsistencyAnswer(_Wire):
    """The proof (hashes as hex, RFC 9162 §2.1.4.1 order), or why it cannot be given."""

    kind: Literal["interop-hub.consistency-proof/v1"] = CONSISTENCY_KIND
    old_size: int
    new_size: int
    proof: list[str] = Field(default_factory=list)
    error: LinkProblem | None = None
