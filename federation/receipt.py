"""Receipts: the receiver's signed answer to an attestation or a revocation.

Same profile (:mod:`federation.jws`), type ``interop-hub-receipt+jws``; payload the
JCS of exactly ``statement`` (digest of the compact statement received),
``about`` (``attestation`` | ``revocation``), ``issuer`` and ``record_id`` (as
the statement claimed them; null when it was too malformed to say), ``outcome``,
``reason`` (a :class:`~federation.reasons.Reason` code, or null), ``detail``,
``receiver``, ``at`` and ``kid``. The issuer verifies it and records it, so
both sides hold proof of what the receiver decided.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from federation import claims as shape
from federation.canonical import instant, parse_instant, truncate
from federation.errors import StatementError
from federation.jws import Statement, open_statement, sign_statement
from federation.keys import KeyRing
from federation.reasons import Outcome, Reason

RECEIPT_TYP = "interop-hub-receipt+jws"
ABOUT = ("attestation", "revocation")

_SPEC = {
    "statement": shape.digest,
    "about": shape.one_of(*ABOUT),
    "issuer": shape.optional(shape.region),
    "record_id": shape.optional(shape.record_id),
    "outcome": shape.one_of(*(o.value for o in Outcome)),
    "reason": shape.optional(shape.one_of(*(r.value for r in Reason))),
    "detail": shape.optional(shape.text),
    "receiver": shape.region,
    "at": shape.instant,
    "kid": shape.kid,
}


@dataclass(frozen=True)
class Receipt:
    """What the receiver decided about one statement, and the signed receipt saying so.

    ``replay`` is not part of what is signed: it tells the caller that this
    receipt was issued earlier for the very same statement and is returned again.
    """

    statement: str
    about: str
    issuer: str | None
    record_id: str | None
    outcome: Outcome
    reason: Reason | None
    detail: str | None
    receiver: str
    at: dt.datetime
    kid: str
    jws: str = field(default="", compare=False)
    replay: bool = field(default=False, compare=False)

    @property
    def recognised(self) -> bool:
        return self.outcome is Outcome.RECOGNISED

    def claims(self) -> dict[str, Any]:
        return {"statement": self.statement, "about": self.about, "issuer": self.issuer,
                "record_id": self.record_id, "outcome": self.outcome.value,
                "reason": None if self.reason is None else self.reason.value,
                "detail": self.detail, "receiver": self.receiver, "at": instant(self.at),
                "kid": self.kid}

    @classmethod
    def from_claims(cls, claims: dict[str, Any], jws: str = "") -> Receipt:
        """Check and read the claims; StatementError(``malformed``) names the bad one."""
        problem = shape.check_claims(claims, _SPEC)
        at = parse_instant(claims.get("at"))
        if problem is not None or at is None:
            raise StatementError(Reason.MALFORMED, problem or "at")
        reason = claims["reason"]
        return cls(claims["statement"], claims["about"], claims["issuer"], claims["record_id"],
                   Outcome(claims["outcome"]), None if reason is None else Reason(reason),
                   claims["detail"], claims["receiver"], at, claims["kid"], jws)


def sign_receipt(
    keys: KeyRing,
    *,
    statement: str,
    about: str,
    issuer: str | None,
    record_id: str | None,
    outcome: Outcome,
    reason: Reason | None,
    detail: str | None,
    at: dt.datetime,
) -> Receipt:
    """Sign a receipt with the receiver's key current at ``at``; the result carries its JWS."""
    at = truncate(at)
    key = keys.signing_key(at)
    # Details are for people; the cap keeps a receipt small whatever the input was.
    # backslashreplace: a detail may quote input, and input may hold lone surrogates.
    detail = detail.encode("utf-8", "backslashreplace").decode("utf-8") if detail else None
    detail = None if not detail else detail[: shape.MAX_TEXT]
    claims = {"statement": statement, "about": about, "issuer": issuer,
              "record_id": record_id, "outcome": outcome.value,
              "reason": None if reason is None else reason.value, "detail": detail,
              "receiver": keys.region, "at": instant(at), "kid": key.kid}
    # Every value is ours or already checked (``test_regions_statements`` re-reads receipts
    # of every outcome), so the claims are not re-validated here: this is the hot path.
    return Receipt(statement, about, issuer, record_id, outcome, reason, detail, keys.region,
                   at, key.kid, sign_statement(claims, RECEIPT_TYP, key))


def read_receipt(compact: object) -> tuple[Statement, Receipt]:
    """Parse a received receipt (signature not yet checked); StatementError if malformed."""
    statement = open_statement(compact, RECEIPT_TYP)
    receipt = Receipt.from_claims(statement.claims, statement.compact)
    if receipt.kid != statement.kid:
        raise StatementError(Reason.MALFORMED, "the payload kid is not the header kid")
    return statement, receipt
