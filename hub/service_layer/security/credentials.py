"""Issuing, rotating, revoking and checking API tokens: the hub's department identity.

Why hub-issued bearer tokens rather than mutual TLS with a hub-managed CA:

- **Rotation and revocation are events.** A token's life (Issued, Rotated,
  Revoked) is recorded in the ledger like any exchange and covered by the audit
  Merkle log. Requests are checked against an in-memory read model of the
  credentials that follows the ledger (:mod:`hub.adapters.readmodels`): a revocation
  made in this process is in the model before the command returns, so it is
  effective on the very next request; one made by another process on the same
  store within the follower's bound (under 1 s). No CRL/OCSP to distribute, no
  certificate lifetime to wait out.
- **It works behind TLS terminators.** Production deployments put a load
  balancer or ingress controller in front of stateless hub workers; an
  ``Authorization`` header crosses it unchanged, a client certificate does not.
- **Per-member identity like X-Road.** Each token names exactly one member
  (``region/department``) or operator; the client of an exchange *is* that
  member, whatever headers say.

For clients that cannot send a header, a department may instead be given a
WS-Security UsernameToken or a client certificate identity, checked when the
hub terminates TLS itself (:mod:`hub.service_layer.security.legacy_logins`). Tokens are shown once,
at
issue and rotation, and stored only as verifiers (:mod:`hub.service_layer.security.tokens`).
A department credential also carries the public nkey of the department's NATS
user (:mod:`hub.adapters.nats.accounts`); its seed is handed out once and never stored.
"""

from __future__ import annotations

import builtins
import datetime as dt
import functools
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

import nkeys
import structlog
from eventsourcing.application import AggregateNotFoundError

from contracts.identity import DepartmentId, IdentifierError
from hub.adapters.readmodels import CredentialEntry, ReadModels, models_of, refresh
from hub.adapters.store.ledger import Ledger
from hub.domain.credential import Credential, CredentialKind
from hub.domain.credential_errors import (
    CredentialError,
    ExpiredCredentialError,
    RevokedCredentialError,
    SuspendedCredentialError,
    UnknownCredentialError,
    WrongCredentialError,
)
from hub.service_layer.security.legacy_logins import LegacyLogins
from hub.service_layer.security.principal import Principal
from hub.service_layer.security.tokens import (
    VERIFIER_SECRET,
    Token,
    matches,
    new_secret,
    parse_authorization,
)
from hub.service_layer.security.tokens import verifier as make_verifier

log = structlog.get_logger("hub.service_layer.security.credentials")

OPERATOR_PREFIX = "operator:"
DEFAULT_TTL = dt.timedelta(days=90)
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_TTL = re.compile(r"^(\d+)([dhm])$")
_TTL_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


@dataclass(frozen=True)
class IssuedToken:
    """What issue and rotate hand back once: the token, and for a new department its NATS seed."""

    credential_id: UUID
    principal: str
    kind: CredentialKind
    token: str
    expires_at: str
    nats_seed: bytes | None = None  # a department's nkey seed; shown once, never stored

    def __repr__(self) -> str:
        return (f"IssuedToken(credential_id={self.credential_id.hex}, principal={self.principal}, "
                "token=<hidden>)")


@dataclass(frozen=True)
class CredentialInfo:
    """What may be listed about a credential: never its verifier."""

    credential_id: UUID
    principal: str
    kind: CredentialKind
    expires_at: str
    status: str  # active | expired | suspended | revoked
    nkey: str


def parse_ttl(text: str) -> dt.timedelta:
    """``90d``, ``12h`` or ``30m`` as a duration."""
    match = _TTL.match(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise CredentialError(f"ttl {text!r}: write a positive number of days, hours or "
                              "minutes, e.g. 90d, 12h, 30m")
    return dt.timedelta(**{_TTL_UNITS[match.group(2)]: int(match.group(1))})


class CredentialService:
    """Credentials of one region, kept in its ledger (a service beside it, not part of it)."""

    def __init__(
        self, ledger: Ledger, region: str,
        *, clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._ledger = ledger
        self._keyring = ledger.keyring
        self._region = region
        self._clock = clock

    def issue(self, principal: str, kind: CredentialKind, ttl: dt.timedelta) -> IssuedToken:
        """A new credential for ``principal``; the token (and NATS seed) are returned once."""
        self._check_principal(principal, kind)
        seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER) \
            if kind is CredentialKind.DEPARTMENT else None
        nkey = nkeys.from_seed(bytearray(seed)).public_key.decode() if seed else ""
        secret = new_secret()
        expires_at = self._expiry(ttl)
        credential = Credential(principal=principal, kind=kind.value,
                                verifier=make_verifier(self._key, secret),
                                expires_at=expires_at, nkey=nkey)
        self._ledger.save(credential)
        refresh(self._ledger)
        log.info("credential issued", credential_id=credential.id.hex, principal=principal,
                 kind=kind.value, expires_at=expires_at)
        token = str(Token(credential.id, secret))
        return IssuedToken(credential.id, principal, kind, token, expires_at, seed)

    def rotate(self, credential_id: UUID | str, ttl: dt.timedelta = DEFAULT_TTL) -> IssuedToken:
        """A new secret for the credential; the old token stops working at once."""
        credential = self._get(credential_id)
        secret = new_secret()
        expires_at = self._expiry(ttl)
        credential.rotate(make_verifier(self._key, secret), expires_at)
        self._ledger.save(credential)
        refresh(self._ledger)
        log.info("credential rotated", credential_id=credential.id.hex,
                 principal=credential.principal, expires_at=expires_at)
        token = str(Token(credential.id, secret))
        return IssuedToken(credential.id, credential.principal, credential.kind, token, expires_at)

    def revoke(self, credential_id: UUID | str, reason: str) -> CredentialInfo:
        """Revoke the credential; it authenticates nobody from the next request on."""
        credential = self._get(credential_id)
        credential.revoke(reason or "revoked by an operator")
        self._ledger.save(credential)
        refresh(self._ledger)  # the next request is refused: no poll to wait for
        log.info("credential revoked", credential_id=credential.id.hex,
                 principal=credential.principal)
        return CredentialInfo(credential.id, credential.principal, credential.kind,
                              credential.expires_at, "revoked", credential.nkey)

    def suspend(self, credential_id: UUID | str, reason: str, *, anomaly: str) -> bool:
        """Suspend the credential for ``anomaly`` (an alarm's id); False if it was not active,
        or was suspended for this anomaly before (and resumed since: an operator decided).

        The access watch calls it; like a revocation it holds from the next request.
        """
        credential = self._get(credential_id)
        if credential.revoked or credential.suspended or anomaly in credential.suspensions:
            return False
        credential.suspend(reason, anomaly)
        self._ledger.save(credential)
        refresh(self._ledger)
        log.warning("credential suspended", credential_id=credential.id.hex,
                    principal=credential.principal, anomaly=anomaly)
        return True

    def resume(self, credential_id: UUID | str, *, by: str, reason: str) -> CredentialInfo:
        """Lift a suspension (an operator's decision, recorded with who and why)."""
        if not reason.strip():
            raise CredentialError("resuming a credential needs a reason (--reason)")
        credential = self._get(credential_id)
        credential.resume(by, reason)
        self._ledger.save(credential)
        refresh(self._ledger)
        log.info("credential resumed", credential_id=credential.id.hex,
                 principal=credential.principal, by=by)
        return CredentialInfo(credential.id, credential.principal, credential.kind,
                              credential.expires_at, "active", credential.nkey)

    def knows(self, credential_id: str) -> bool:
        """Whether ``credential_id`` (hex) is a token credential of this region (a legacy
        login's id is not)."""
        try:
            uid = UUID(credential_id)
        except ValueError:
            return False
        return self._models.credentials.get(uid) is not None

    def list(self) -> list[CredentialInfo]:
        """Every credential ever issued here, oldest first."""
        return [self._info(entry) for entry in self._models.credentials.all()]

    def active_department_nkeys(self) -> dict[str, builtins.list[str]]:
        """Public nkeys of active department credentials, by department (NATS users)."""
        return self._models.credentials.department_nkeys(self._clock())

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal of an ``Authorization`` header value, from the credentials read model.

        Reads nothing from the store when the token's credential is known; one not
        known yet (issued a moment ago by another process) makes the model catch up
        once before the token is refused.
        """
        token = parse_authorization(authorization)
        credential = self._models.credentials.get(token.credential_id)
        if credential is None:
            self._models.catch_up()
            credential = self._models.credentials.get(token.credential_id)
        if credential is None:
            raise UnknownCredentialError(token.credential_id.hex)
        if not matches(self._key, token, credential.verifier):
            raise WrongCredentialError(credential.credential_id.hex)
        if credential.revoked:
            raise RevokedCredentialError(credential.credential_id.hex,
                                         credential.revoked_reason or "")
        if credential.suspended:
            raise SuspendedCredentialError(credential.credential_id.hex,
                                           credential.suspended_reason or "")
        if credential.expired(self._clock()):
            raise ExpiredCredentialError(credential.credential_id.hex, credential.expires_at)
        return Principal(credential.principal, credential.kind, credential.credential_id)

    @functools.cached_property
    def legacy(self) -> LegacyLogins:
        """The region's legacy logins: WS-Security UsernameTokens and client certificates."""
        return LegacyLogins(self._ledger, self._region, clock=self._clock)

    @functools.cached_property
    def _models(self) -> ReadModels:
        return models_of(self._ledger)

    def _get(self, credential_id: UUID | str) -> Credential:
        try:
            uid = credential_id if isinstance(credential_id, UUID) else UUID(credential_id)
            credential: object = self._ledger.repository.get(uid)
        except (ValueError, AggregateNotFoundError):
            raise CredentialError(f"no credential {credential_id}") from None
        if not isinstance(credential, Credential):
            raise CredentialError(f"no credential {credential_id}")
        return credential

    def _info(self, credential: CredentialEntry) -> CredentialInfo:
        return CredentialInfo(credential.credential_id, credential.principal, credential.kind,
                              credential.expires_at, credential.status(self._clock()),
                              credential.nkey)

    def _check_principal(self, principal: str, kind: CredentialKind) -> None:
        if kind is CredentialKind.OPERATOR:
            name = principal.removeprefix(OPERATOR_PREFIX)
            if not principal.startswith(OPERATOR_PREFIX) or not _NAME.match(name):
                raise CredentialError(f"operator principal {principal!r}: write operator:<name> "
                                      "(lower-case letters, digits and dashes)")
            return
        try:
            department = DepartmentId.parse(principal)
        except IdentifierError as exc:
            raise CredentialError(f"department principal: {exc.message}") from None
        if department.region != self._region:
            raise CredentialError(f"department principal {principal!r} is not of this region "
                                  f"({self._region}); each region issues its own credentials")

    def _expiry(self, ttl: dt.timedelta) -> str:
        if ttl <= dt.timedelta(0):
            raise CredentialError("a credential's ttl must be positive")
        return (self._clock() + ttl).isoformat()

    @functools.cached_property
    def _key(self) -> bytes:
        # Read once: a KEK rotation re-wraps the key but never changes it.
        return self._keyring.secret(VERIFIER_SECRET)
