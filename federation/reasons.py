"""Why a region refuses to recognise an attestation: stable reason codes.

The codes travel in signed receipts and are recorded in ``RecognitionRefused``
events, so they never change meaning; add new ones rather than reuse old ones.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """A refusal reason; the value is the code that travels and is recorded."""

    MALFORMED = "malformed"
    """Not a compact JWS of our profile: framing, base64url, JSON, JCS form, header
    (``alg`` must be ``Ed25519``, ``typ`` and ``kid`` as specified) or a claim is wrong,
    or the presenting region is not the issuer."""

    UNKNOWN_KEY = "unknown-key"
    """The trust list names no such issuer region, or no such ``kid`` for it."""

    BAD_SIGNATURE = "bad-signature"
    """The Ed25519 signature does not verify under the named key."""

    KEY_NOT_VALID_AT_ISSUE_TIME = "key-not-valid-at-issue-time"
    """The key was not (or no longer) the issuer's signing key when the attestation
    says it was issued."""

    NOT_YET_VALID = "not-yet-valid"
    """The attestation says it was issued in the future (beyond the allowed clock skew)."""

    EXPIRED = "expired"
    """The attestation's ``valid_until`` has passed, or its key's published end has."""

    AGREEMENT_NOT_ACCEPTED = "agreement-not-accepted"
    """An agreement would cover it, but has not been accepted by both regions."""

    AGREEMENT_SUSPENDED = "agreement-suspended"
    """The agreement that covers it is suspended."""

    OUT_OF_AGREEMENT = "out-of-agreement"
    """No agreement covers this contract version from this department at this time."""

    UNKNOWN_CONTRACT_VERSION = "unknown-contract-version"
    """This region's registry does not know the contract version (nor can upcast it),
    or the peer's version of it is a different schema."""

    REVOKED = "revoked"
    """The issuer has revoked the record."""

    REPLAYED = "replayed"
    """The record was already recognised under another attestation."""


class Outcome(StrEnum):
    """What a receipt says the receiver did with the statement it received."""

    RECOGNISED = "recognised"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    """A revocation was received and the recognition it concerned was withdrawn."""
    NOTED = "noted"
    """A revocation was received for a record never recognised here: it is remembered,
    so a later attestation of that record is refused as revoked."""
