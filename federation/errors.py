"""Errors of federation, rooted in :class:`contracts.errors.HubError`.

    HubError
    └── FederationError               any failure of region keys, trust or signed statements
        ├── CanonicalJSONError        a value has no RFC 8785 canonical form (NaN, huge int...)
        ├── RegionKeyError            the region key file is missing, malformed, or the KEK
        │                             does not open it; or no key can sign now
        ├── TrustListError            a trust list is malformed or not signed by its region
        ├── UnknownPeerError          the trust list names no such peer region
        ├── UnknownKeyError           the trust list names no such key for that region
        ├── StatementError            a signed statement (receipt, agreement terms, notice,
        │                             revocation) is malformed or its signature fails;
        │                             ``reason`` is a refusal code of :mod:`federation.reasons`
        ├── FingerprintError          a registry fingerprint document is malformed
        ├── AgreementError            an agreement step breaks the agreement's rules
        │   ├── AgreementTermsError   the terms are incomplete or inconsistent
        │   ├── AgreementStateError   the step is not allowed in the agreement's state
        │   └── AgreementNotFoundError  no agreement with that id
        ├── RecordError               an issued record cannot take this step
        │   ├── RecordNotFoundError   no issued record with that id
        │   └── RecordStateError      e.g. revoking a record twice
        ├── ReceiptError              a receipt does not match anything this region sent
        └── ConflictError             another worker recorded the same step first; retry

Attestations are never *raised* about: a refused attestation is an outcome,
recorded as ``RecognitionRefused`` with a reason code (see :mod:`federation.reasons`).
"""

from __future__ import annotations

from contracts.errors import FieldIssue, HubError


class FederationError(HubError):
    """Raised when federation cannot proceed (keys, trust, signed statements, agreements)."""

    code = "federation-error"
    status = 400


class CanonicalJSONError(FederationError):
    """Raised when a value cannot be serialised as RFC 8785 canonical JSON."""

    code = "canonical-json"


class RegionKeyError(FederationError):
    """Raised when the region key file cannot be read, opened or written, or has no usable key."""

    code = "region-key"
    status = 500


class TrustListError(FederationError):
    """Raised when a trust list is malformed or its signature is not its region's."""

    code = "trust-list"


class UnknownPeerError(FederationError):
    """Raised when the trust list names no peer region of that code."""

    code = "unknown-peer"

    def __init__(self, region: str, known: list[str]) -> None:
        super().__init__(
            f"region {region!r} is not a trusted peer; trusted: {', '.join(known) or 'none'}"
        )
        self.region = region


class UnknownKeyError(FederationError):
    """Raised when the trust list names no key ``kid`` for a region."""

    code = "unknown-key"

    def __init__(self, region: str, kid: str) -> None:
        super().__init__(f"region {region!r} has no trusted key {kid!r}")
        self.region = region
        self.kid = kid


class StatementError(FederationError):
    """Raised when a signed statement is malformed or does not verify.

    ``reason`` is the refusal code (``malformed``, ``bad-signature``,
    ``unknown-key``...), so a caller can record it as it would an attestation's.
    """

    code = "bad-statement"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(
            f"{reason}: {message}",
            issues=(FieldIssue(path="$", reason=message, code=reason),),
        )
        self.reason = reason
        self.detail = message


class FingerprintError(FederationError):
    """Raised when a contract-registry fingerprint document is malformed."""

    code = "bad-fingerprint"


class AgreementError(FederationError):
    """Raised when an agreement step breaks the agreement's rules."""

    code = "agreement-error"


class AgreementTermsError(AgreementError):
    """Raised when agreement terms are incomplete or inconsistent (a field issue names which)."""

    code = "agreement-terms"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(
            f"agreement terms: {field}: {reason}",
            issues=(FieldIssue(path=f"/{field}", reason=reason, code=self.code, field=field),),
        )
        self.field = field


class AgreementStateError(AgreementError):
    """Raised when a step is applied to an agreement in a state that does not allow it."""

    code = "agreement-state"
    status = 409

    def __init__(self, agreement_id: object, action: str, reason: str) -> None:
        super().__init__(f"agreement {agreement_id}: cannot {action}: {reason}")
        self.agreement_id = agreement_id
        self.action = action


class AgreementNotFoundError(AgreementError):
    """Raised when no agreement has the given id."""

    code = "agreement-not-found"
    status = 404

    def __init__(self, agreement_id: object) -> None:
        super().__init__(f"no agreement with id {agreement_id}")
        self.agreement_id = agreement_id


class RecordError(FederationError):
    """Raised when an issued record cannot take the requested step."""

    code = "record-error"


class RecordNotFoundError(RecordError):
    """Raised when no issued record has the given id."""

    code = "record-not-found"
    status = 404

    def __init__(self, record_id: object) -> None:
        super().__init__(f"no issued record with id {record_id}")
        self.record_id = record_id


class RecordStateError(RecordError):
    """Raised when a step is applied to a record in a state that does not allow it."""

    code = "record-state"
    status = 409

    def __init__(self, record_id: object, action: str, reason: str) -> None:
        super().__init__(f"record {record_id}: cannot {action}: {reason}")
        self.record_id = record_id
        self.action = action


class ReceiptError(FederationError):
    """Raised when a receipt names a statement this region did not send, or another record."""

    code = "bad-receipt"


class ConflictError(FederationError):
    """Raised when another worker recorded a step of the same record or agreement first."""

    code = "federation-conflict"
    status = 409

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} was changed concurrently; nothing was recorded — retry")
