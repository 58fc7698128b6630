"""The checks a receiving region runs on an attestation, each answering with a reason.

Each check returns None when it passes, or a :class:`Refusal` naming the
:class:`~federation.reasons.Reason` and a human detail. They are pure (no store, no
clock of their own): the federation application runs them in order —

1. :func:`federation.attestation.read_attestation` (``malformed``) and
   :func:`check_presenter` (``malformed``);
2. :func:`check_signature` (``unknown-key``, ``bad-signature``) — only after it
   passes are the claims *authentic*;
3. :func:`check_times` (``key-not-valid-at-issue-time``, ``not-yet-valid``,
   ``expired``);
4. revocation and replay (the application's records);
5. agreement scope (the application's agreements);
6. :func:`check_contract` (``unknown-contract-version``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from contracts import ContractRegistry
from federation.attestation import Attestation, PresentedAttestation
from federation.errors import UnknownKeyError, UnknownPeerError
from federation.fingerprints import Reading, RegistryFingerprint, reading
from federation.keys import PublicKey
from federation.reasons import Reason
from federation.trust import TrustList

DEFAULT_SKEW = dt.timedelta(minutes=5)
"""How far in the future an issue time may be before it is refused (clocks drift)."""


@dataclass(frozen=True)
class Refusal:
    """Why a check refused: a stable reason code and a detail for people."""

    reason: Reason
    detail: str


def check_presenter(attestation: Attestation, from_region: str) -> Refusal | None:
    """The region that sent the attestation must be the region that issued it."""
    if attestation.issuer != from_region:
        return Refusal(Reason.MALFORMED, f"issued by {attestation.issuer!r} "
                                         f"but presented by {from_region!r}")
    return None


def trusted_key(trust: TrustList, attestation: Attestation) -> PublicKey | Refusal:
    """The trusted key the attestation names, or the refusal saying it is unknown."""
    try:
        return trust.key(attestation.issuer, attestation.kid)
    except UnknownPeerError:
        return Refusal(Reason.UNKNOWN_KEY, f"region {attestation.issuer!r} is not a trusted peer")
    except UnknownKeyError:
        return Refusal(Reason.UNKNOWN_KEY,
                       f"key {attestation.kid} is not a trusted key of {attestation.issuer!r}")


def check_signature(presented: PresentedAttestation, key: PublicKey) -> Refusal | None:
    """The Ed25519 signature must verify under the trusted key."""
    if not presented.statement.verify(key):
        return Refusal(Reason.BAD_SIGNATURE, f"signature does not verify under key {key.kid}")
    return None


def check_times(
    attestation: Attestation,
    key: PublicKey,
    now: dt.datetime,
    skew: dt.timedelta = DEFAULT_SKEW,
) -> Refusal | None:
    """Key current at issue time, key still verifying now, attestation within its validity."""
    validity = key.validity
    if not validity.signs_at(attestation.issued_at):
        return Refusal(Reason.KEY_NOT_VALID_AT_ISSUE_TIME,
                       f"key {key.kid} did not sign for {attestation.issuer!r} at "
                       f"{attestation.issued_at:%Y-%m-%dT%H:%M:%SZ} "
                       f"(validity {validity.as_json()})")
    if attestation.issued_at > now + skew:
        return Refusal(Reason.NOT_YET_VALID,
                       f"issued at {attestation.issued_at:%Y-%m-%dT%H:%M:%SZ}, in the future")
    if not validity.verifies_at(now):
        return Refusal(Reason.EXPIRED, f"key {key.kid}'s published validity ended at "
                                       f"{validity.not_after:%Y-%m-%dT%H:%M:%SZ}")
    if now >= attestation.valid_until:
        return Refusal(Reason.EXPIRED,
                       f"valid until {attestation.valid_until:%Y-%m-%dT%H:%M:%SZ}")
    return None


class ContractCheck:
    """Decides, once per contract version, whether this region can read a peer's records."""

    def __init__(self, registry: ContractRegistry, ours: RegistryFingerprint) -> None:
        self.registry = registry
        self.ours = ours
        self._cache: dict[tuple[str, str | None], Reading] = {}

    def __call__(
        self, attestation: Attestation, theirs: RegistryFingerprint | None
    ) -> Reading | Refusal:
        """The reading of the attested contract, or ``unknown-contract-version``."""
        key = (attestation.contract, None if theirs is None else theirs.digest)
        result = self._cache.get(key)
        if result is None:
            result = reading(self.registry, self.ours, theirs, attestation.contract)
            self._cache[key] = result
        if result.read_as is None:
            return Refusal(Reason.UNKNOWN_CONTRACT_VERSION, result.detail)
        return result
