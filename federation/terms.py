"""Agreement terms and notices: what two regions sign to recognise each other's records.

**Terms** name the agreement (a UUID the proposer chooses, the same in both
regions' stores), the two regions, the contract versions and issuing
departments (``region/department``, of either party) in scope, and the validity
period. A region accepts terms by signing their JCS form (a signed statement of
type ``interop-hub-agreement+jws`` whose payload *is* the terms), so an
acceptance is a signature over exactly the terms both regions hold.

**Notices** (type ``interop-hub-agreement-notice+jws``) tell the other party
that one region suspended, resumed or terminated an agreement, and why.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from contracts.identity import DepartmentId, IdentifierError
from federation import claims as shape
from federation.canonical import digest_json, instant, parse_instant, truncate
from federation.errors import AgreementTermsError, StatementError
from federation.jws import Statement, open_statement, sign_statement
from federation.keys import KeyRing
from federation.reasons import Reason

TERMS_TYP = "interop-hub-agreement+jws"
NOTICE_TYP = "interop-hub-agreement-notice+jws"
ACTIONS = ("suspend", "resume", "terminate")


@dataclass(frozen=True)
class AgreementTerms:
    """What both regions sign: who, which contract versions from which departments, when."""

    agreement_id: str
    proposer: str
    accepter: str
    contracts: tuple[str, ...]
    departments: tuple[str, ...]
    valid_from: dt.datetime
    valid_until: dt.datetime

    @classmethod
    def new(
        cls,
        *,
        proposer: str,
        accepter: str,
        contracts: Iterable[str],
        departments: Iterable[str],
        valid_from: dt.datetime,
        valid_until: dt.datetime,
        agreement_id: str | None = None,
    ) -> AgreementTerms:
        """Checked terms; AgreementTermsError names the field that is wrong."""
        terms = cls(agreement_id or str(uuid.uuid4()), proposer, accepter,
                    tuple(sorted(set(contracts))), tuple(sorted(set(departments))),
                    truncate(valid_from), truncate(valid_until))
        return cls.from_claims(terms.claims())

    @property
    def regions(self) -> tuple[str, str]:
        return (self.proposer, self.accepter)

    @property
    def digest(self) -> str:
        """The digest of the canonical terms (what both signatures cover)."""
        return digest_json(self.claims())

    def covers(self, contract: str, department: str) -> bool:
        """Whether ``contract`` records issued by ``department`` (``region/dept``) are in scope."""
        return contract in self.contracts and department in self.departments

    def valid_at(self, at: dt.datetime) -> bool:
        return self.valid_from <= at < self.valid_until

    def claims(self) -> dict[str, Any]:
        return {"agreement_id": self.agreement_id, "proposer": self.proposer,
                "accepter": self.accepter, "contracts": list(self.contracts),
                "departments": list(self.departments), "valid_from": instant(self.valid_from),
                "valid_until": instant(self.valid_until)}

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> AgreementTerms:
        """Read and check terms; AgreementTermsError names the field that is wrong."""
        for name, check in (("agreement_id", shape.record_id), ("proposer", shape.region),
                            ("accepter", shape.region)):
            if not check(claims.get(name)):
                raise AgreementTermsError(name, "missing or not well formed")
        if claims["proposer"] == claims["accepter"]:
            raise AgreementTermsError("accepter", "an agreement is between two regions")
        contracts = _sorted_list(claims, "contracts", shape.contract)
        departments = _sorted_list(claims, "departments", shape.department_id)
        parties = {claims["proposer"], claims["accepter"]}
        for department in departments:
            if _department_region(department) not in parties:
                raise AgreementTermsError("departments", f"{department} is of neither region")
        start = parse_instant(claims.get("valid_from"))
        end = parse_instant(claims.get("valid_until"))
        if start is None or end is None or end <= start:
            raise AgreementTermsError("valid_until", "validity must be from < until, RFC 3339 UTC")
        extra = set(claims) - {"agreement_id", "proposer", "accepter", "contracts",
                               "departments", "valid_from", "valid_until"}
        if extra:
            raise AgreementTermsError(sorted(extra)[0], "not a term of an agreement")
        return cls(claims["agreement_id"], claims["proposer"], claims["accepter"],
                   tuple(contracts), tuple(departments), start, end)


@dataclass(frozen=True)
class AgreementNotice:
    """One region's notice that it suspended, resumed or terminated an agreement."""

    agreement_id: str
    action: str
    region: str
    reason: str
    at: dt.datetime
    kid: str

    def claims(self) -> dict[str, Any]:
        return {"agreement_id": self.agreement_id, "action": self.action, "region": self.region,
                "reason": self.reason, "at": instant(self.at), "kid": self.kid}


_NOTICE_SPEC = {"agreement_id": shape.record_id, "action": shape.one_of(*ACTIONS),
                "region": shape.region, "reason": shape.text, "at": shape.instant,
                "kid": shape.kid}


def sign_terms(terms: AgreementTerms, keys: KeyRing, *, now: dt.datetime) -> str:
    """This region's signature over the canonical terms (its acceptance, or its proposal)."""
    if keys.region not in terms.regions:
        raise AgreementTermsError("proposer", f"{keys.region!r} is not a party to the agreement")
    return sign_statement(terms.claims(), TERMS_TYP, keys.signing_key(now))


def read_terms(compact: object) -> tuple[Statement, AgreementTerms]:
    """Parse signed terms (signature not yet checked); StatementError if malformed."""
    statement = open_statement(compact, TERMS_TYP)
    try:
        return statement, AgreementTerms.from_claims(statement.claims)
    except AgreementTermsError as exc:
        raise StatementError(Reason.MALFORMED, exc.message) from None


def sign_notice(
    keys: KeyRing, *, agreement_id: str, action: str, reason: str, at: dt.datetime
) -> tuple[AgreementNotice, str]:
    """Sign a notice of ``action`` on an agreement by this region."""
    at = truncate(at)
    key = keys.signing_key(at)
    notice = AgreementNotice(agreement_id, action, keys.region, reason, at, key.kid)
    if shape.check_claims(notice.claims(), _NOTICE_SPEC) is not None:
        raise AgreementTermsError("reason", "a notice needs an action and a short reason")
    return notice, sign_statement(notice.claims(), NOTICE_TYP, key)


def read_notice(compact: object) -> tuple[Statement, AgreementNotice]:
    """Parse a signed notice (signature not yet checked); StatementError if malformed."""
    statement = open_statement(compact, NOTICE_TYP)
    claims = statement.claims
    problem = shape.check_claims(claims, _NOTICE_SPEC)
    at = parse_instant(claims.get("at"))
    if problem is not None or at is None or claims["kid"] != statement.kid:
        raise StatementError(Reason.MALFORMED, problem or "notice kid or time")
    return statement, AgreementNotice(**{**claims, "at": at})


def _sorted_list(claims: Mapping[str, Any], name: str, check: shape.Checker) -> list[str]:
    values = claims.get(name)
    if not isinstance(values, list) or not values or not all(map(check, values)):
        raise AgreementTermsError(name, "must be a non-empty list of well-formed ids")
    if values != sorted(set(values)):
        raise AgreementTermsError(name, "must be sorted and without duplicates")
    return values


def _department_region(department: str) -> str:
    try:
        return DepartmentId.parse(department).region
    except IdentifierError:
        return ""
