"""Attestations: a region's signed statement that one of its departments issued a record.

An attestation is a signed statement (:mod:`federation.jws`) of type
``interop-hub-attestation+jws`` whose payload is the JCS of exactly::

    {"contract": "name@M.m", "content_digest": "sha256:…", "department": "…",
     "issued_at": "…Z", "issuer": "<region>", "kid": "<thumbprint>",
     "record_id": "<uuid>", "subject": "<pseudonymous ref>", "valid_until": "…Z"}

and, when the record comes with documents, a ``documents`` claim listing their digests
and where to fetch them (:mod:`federation.document_digests`); without documents the
claim is absent, so the payload is exactly the one above.

The ``kid`` is both in the header (to find the key) and in the payload (so the
key is part of what is signed). Any JOSE library that knows RFC 9864's
``Ed25519`` can verify one; the tests check two.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from federation import claims as shape
from federation.canonical import instant, parse_instant, truncate
from federation.document_digests import DocumentDigest, check_documents, read_documents
from federation.errors import StatementError
from federation.jws import Statement, open_statement, sign_statement
from federation.keys import KeyRing
from federation.reasons import Reason

ATTESTATION_TYP = "interop-hub-attestation+jws"
DEFAULT_VALIDITY = dt.timedelta(days=365)

_SPEC = {
    "issuer": shape.region,
    "department": shape.department,
    "record_id": shape.record_id,
    "contract": shape.contract,
    "subject": shape.subject,
    "content_digest": shape.digest,
    "issued_at": shape.instant,
    "valid_until": shape.instant,
    "kid": shape.kid,
}


@dataclass(frozen=True)
class Attestation:
    """What an attestation says: who issued which record, about whom, valid when."""

    issuer: str
    department: str
    record_id: str
    contract: str
    subject: str
    content_digest: str
    issued_at: dt.datetime
    valid_until: dt.datetime
    kid: str
    documents: tuple[DocumentDigest, ...] = ()

    def claims(self) -> dict[str, Any]:
        """The payload claims (instants as RFC 3339 UTC)."""
        claims: dict[str, Any] = {
            "issuer": self.issuer,
            "department": self.department,
            "record_id": self.record_id,
            "contract": self.contract,
            "subject": self.subject,
            "content_digest": self.content_digest,
            "issued_at": instant(self.issued_at),
            "valid_until": instant(self.valid_until),
            "kid": self.kid,
        }
        if self.documents:
            claims["documents"] = [document.claims() for document in self.documents]
        return claims

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Attestation:
        """Check and read the claims; StatementError(``malformed``) names the bad one."""
        problem = _problem(claims)
        if problem is not None:
            raise StatementError(Reason.MALFORMED, problem)
        documents = read_documents(claims["documents"], claims["issuer"]) \
            if "documents" in claims else ()
        issued_at = parse_instant(claims["issued_at"])
        valid_until = parse_instant(claims["valid_until"])
        if issued_at is None or valid_until is None or valid_until <= issued_at:
            raise StatementError(Reason.MALFORMED, "valid_until must be after issued_at")
        return cls(claims["issuer"], claims["department"], claims["record_id"],
                   claims["contract"], claims["subject"], claims["content_digest"], issued_at,
                   valid_until, claims["kid"], documents)

    @property
    def issuing_department(self) -> str:
        """``region/department``, as agreements name departments."""
        return f"{self.issuer}/{self.department}"


@dataclass(frozen=True)
class PresentedAttestation:
    """A well-formed attestation as received: its statement (for the signature) and claims."""

    statement: Statement
    attestation: Attestation


def sign_attestation(
    keys: KeyRing,
    *,
    department: str,
    record_id: str,
    contract: str,
    subject: str,
    content_digest: str,
    issued_at: dt.datetime,
    valid_until: dt.datetime | None = None,
    documents: tuple[DocumentDigest, ...] = (),
) -> tuple[Attestation, str]:
    """Sign an attestation with the region's key current at ``issued_at``.

    Returns the attestation (as it will read back: instants to the second) and
    its compact JWS. ``valid_until`` defaults to :data:`DEFAULT_VALIDITY` later;
    ``documents`` are the digests of the documents that go with the record.
    """
    issued_at = truncate(issued_at)
    until = truncate(valid_until) if valid_until is not None else issued_at + DEFAULT_VALIDITY
    key = keys.signing_key(issued_at)
    attestation = Attestation(keys.region, department, record_id, contract, subject,
                              content_digest, issued_at, until, key.kid, tuple(documents))
    claims = attestation.claims()
    # Checking our own claims first means we never sign what a peer would call malformed
    # (the same checks as from_claims, on the claims as signed, without reading them back).
    problem = _problem(claims)
    if problem is not None or until <= issued_at:
        raise StatementError(Reason.MALFORMED, problem or "valid_until must be after issued_at")
    return attestation, sign_statement(claims, ATTESTATION_TYP, key)


def read_attestation(compact: object) -> PresentedAttestation:
    """Parse a received attestation (signature not yet checked); StatementError if malformed."""
    statement = open_statement(compact, ATTESTATION_TYP)
    attestation = Attestation.from_claims(statement.claims)
    if attestation.kid != statement.kid:
        raise StatementError(Reason.MALFORMED, "the payload kid is not the header kid")
    return PresentedAttestation(statement, attestation)


def _problem(claims: dict[str, Any]) -> str | None:
    """What is wrong with the claims: the fixed ones, and ``documents`` when present."""
    fixed = {name: value for name, value in claims.items() if name != "documents"}
    problem = shape.check_claims(fixed, _SPEC)
    if problem is None and "documents" in claims:
        problem = check_documents(claims["documents"], claims["issuer"])
    return problem
