"""Revocations: a region's signed statement that a record it attested no longer stands.

Same profile as attestations (:mod:`federation.jws`), type
``interop-hub-revocation+jws``, payload the JCS of exactly ``issuer``,
``department``, ``record_id``, ``attestation`` (the digest of the attestation
revoked), ``reason``, ``revoked_at`` and ``kid``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from federation import claims as shape
from federation.canonical import instant, parse_instant, truncate
from federation.errors import StatementError
from federation.jws import Statement, open_statement, sign_statement
from federation.keys import KeyRing
from federation.reasons import Reason

REVOCATION_TYP = "interop-hub-revocation+jws"

_SPEC = {
    "issuer": shape.region,
    "department": shape.department,
    "record_id": shape.record_id,
    "attestation": shape.digest,
    "reason": shape.text,
    "revoked_at": shape.instant,
    "kid": shape.kid,
}


@dataclass(frozen=True)
class Revocation:
    """Which record (and attestation) is revoked, why and when, signed by which key."""

    issuer: str
    department: str
    record_id: str
    attestation: str
    reason: str
    revoked_at: dt.datetime
    kid: str

    def claims(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "department": self.department,
                "record_id": self.record_id, "attestation": self.attestation,
                "reason": self.reason, "revoked_at": instant(self.revoked_at), "kid": self.kid}

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Revocation:
        """Check and read the claims; StatementError(``malformed``) names the bad one."""
        problem = shape.check_claims(claims, _SPEC)
        revoked_at = parse_instant(claims.get("revoked_at"))
        if problem is not None or revoked_at is None:
            raise StatementError(Reason.MALFORMED, problem or "revoked_at")
        return cls(**{**claims, "revoked_at": revoked_at})


@dataclass(frozen=True)
class PresentedRevocation:
    """A well-formed revocation as received (signature not yet checked)."""

    statement: Statement
    revocation: Revocation


def sign_revocation(
    keys: KeyRing,
    *,
    department: str,
    record_id: str,
    attestation: str,
    reason: str,
    revoked_at: dt.datetime,
) -> tuple[Revocation, str]:
    """Sign a revocation with the region's key current at ``revoked_at``."""
    revoked_at = truncate(revoked_at)
    key = keys.signing_key(revoked_at)
    revocation = Revocation(keys.region, department, record_id, attestation, reason,
                            revoked_at, key.kid)
    Revocation.from_claims(revocation.claims())
    return revocation, sign_statement(revocation.claims(), REVOCATION_TYP, key)


def read_revocation(compact: object) -> PresentedRevocation:
    """Parse a received revocation; StatementError if malformed."""
    statement = open_statement(compact, REVOCATION_TYP)
    revocation = Revocation.from_claims(statement.claims)
    if revocation.kid != statement.kid:
        raise StatementError(Reason.MALFORMED, "the payload kid is not the header kid")
    return PresentedRevocation(statement, revocation)
