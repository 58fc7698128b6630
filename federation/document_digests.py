"""Document digests inside an attestation: which documents go with a record, and where.

An attestation may carry, in its signed claims, a ``documents`` array; each entry is
exactly::

    {"id": "<uuid>", "link": "nats:fed.<issuer>.documents", "media_type": "application/pdf",
     "sha256": "<64 hex>", "size": 1234}

``sha256`` is the digest of the *plain* bytes (what the issuer's door hashed), ``size``
their length, ``link`` where the issuing region serves them to its peers. Because the
digest is signed, a receiving region can fetch the bytes over any channel and refuse them
when they are not the ones the issuer attested. An attestation without documents has no
``documents`` claim at all, so attestations signed before documents existed read the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from federation import claims as shape
from federation.errors import StatementError
from federation.reasons import Reason

MAX_DOCUMENTS = 32
MAX_SIZE = 2**40  # what a signed size may say (1 TiB): far above any service's limit
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_LINK = re.compile(r"nats:fed\.[A-Za-z0-9_-]{1,63}\.documents")

_SPEC = {
    "id": shape.record_id,
    "media_type": lambda v: isinstance(v, str) and _MEDIA_TYPE.fullmatch(v) is not None,
    "size": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_SIZE,
    "sha256": lambda v: isinstance(v, str) and _SHA256.fullmatch(v) is not None,
    "link": lambda v: isinstance(v, str) and _LINK.fullmatch(v) is not None,
}


def documents_link(region: str) -> str:
    """Where ``region`` serves attested documents to its peers (its NATS request subject)."""
    return f"nats:fed.{region}.documents"


@dataclass(frozen=True)
class DocumentDigest:
    """One attested document: its id in the issuing region, type, size, plain SHA-256, link."""

    id: str
    media_type: str
    size: int
    sha256: str
    link: str

    def claims(self) -> dict[str, Any]:
        return {"id": self.id, "media_type": self.media_type, "size": self.size,
                "sha256": self.sha256, "link": self.link}

    @property
    def subject(self) -> str:
        """The NATS subject of the link (``fed.<issuer>.documents``)."""
        return self.link.removeprefix("nats:")


def check_documents(value: Any, issuer: str) -> str | None:
    """None when ``value`` is a well-formed ``documents`` claim of ``issuer``; else what is
    wrong (the entry's index and claim)."""
    if not isinstance(value, list) or not 0 < len(value) <= MAX_DOCUMENTS:
        return f"claim 'documents' must list 1 to {MAX_DOCUMENTS} documents"
    seen: set[str] = set()
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            return f"documents[{index}] is not an object"
        problem = shape.check_claims(entry, _SPEC)
        if problem is not None:
            return f"documents[{index}]: {problem}"
        if entry["link"] != documents_link(issuer):
            return f"documents[{index}]: the link is not one of the issuer {issuer!r}"
        if entry["id"] in seen:
            return f"documents[{index}]: document {entry['id']} is listed twice"
        seen.add(entry["id"])
    return None


def read_documents(value: Any, issuer: str) -> tuple[DocumentDigest, ...]:
    """The documents of a claim; StatementError(``malformed``) naming the bad entry."""
    problem = check_documents(value, issuer)
    if problem is not None:
        raise StatementError(Reason.MALFORMED, problem)
    return tuple(DocumentDigest(**entry) for entry in value)
