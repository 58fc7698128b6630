"""Legacy proofs of identity: a WS-Security UsernameToken or a TLS client certificate.

Many old SOAP stacks cannot add ``Authorization: Bearer``. A department may
instead be given, by an operator:

- a **UsernameToken** (``credentials wss-set``): the hub checks a
  PasswordDigest, ``Base64(SHA-1(nonce + created + password))``, so it must hold
  the password itself; it is kept only *sealed* (AES-256-GCM under a region
  secret that the KEK wraps, bound to department and username), in the
  ledger's events, never in a file in clear. ``wsu:Created`` must lie within
  :data:`WINDOW` (and at most :data:`SKEW` ahead); each nonce is recorded as an
  event whose id is derived from department and nonce, so a second use is
  refused by the store itself, in this process or any other on the same store.
  A nonce older than the window needs no record to be refused: its Created is.
  PasswordText is refused: it would put the password on the wire.
- **client certificate identities** (``credentials cert-bind``): the subject
  DN or a SAN value of a certificate the hub's own TLS listener verified
  against the configured CA bundle.

Lookups are answered from the in-memory read model (:mod:`hub.adapters.readmodels`), like
bearer tokens.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import os
from collections.abc import Callable

import structlog
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from contracts.identity import DepartmentId, IdentifierError
from hub.adapters.readmodels import ReadModels, models_of, refresh
from hub.adapters.store.ledger import Ledger
from hub.domain.credential import CredentialKind
from hub.domain.credential_errors import CredentialError
from hub.domain.legacy_login import LegacyLogin, NonceUsed, login_id
from hub.service_layer.security.legacy_errors import (
    PasswordTextRefusedError,
    ReplayedNonceError,
    StaleTokenError,
    UnknownCertificateError,
    UnknownUsernameError,
    UsernameTokenError,
    WrongPasswordError,
)
from hub.service_layer.security.principal import Principal
from translation.wsse_username import UsernameToken, digest_matches

log = structlog.get_logger("hub.service_layer.security.legacy_logins")

WINDOW = dt.timedelta(minutes=5)
SKEW = dt.timedelta(minutes=1)
SEAL_SECRET = "legacy-login-seal"  # noqa: S105 - a key store row name, not a secret
MIN_PASSWORD = 16
_NONCE_BYTES = 12


class LegacyLogins:
    """Sets, binds and checks the legacy logins of one region's departments."""

    def __init__(self, ledger: Ledger, region: str,
                 *, clock: Callable[[], dt.datetime]) -> None:
        self._ledger = ledger
        self._keyring = ledger.keyring
        self._region = region
        self._clock = clock

    def set_username_token(self, department: str, username: str, password: str) -> None:
        """Set or rotate ``department``'s UsernameToken (the old password stops at once)."""
        self._check_department(department)
        if not username.strip() or len(password) < MIN_PASSWORD:
            raise CredentialError(f"a UsernameToken needs a username and a password of at least "
                                  f"{MIN_PASSWORD} characters")
        owner = self._models.legacy_logins.username(username)
        if owner is not None and owner.department != department:
            raise CredentialError(f"username {username!r} is already {owner.department}'s")
        login = self._login(department)
        login.set_username_token(username, self._seal(department, username, password))
        self._ledger.save(login)
        refresh(self._ledger)
        log.info("username token set", department=department, username=username)

    def bind_certificate(self, department: str, identity: str) -> None:
        """Let a client certificate with ``identity`` (``subject:DN``, ``dns:name``...) stand
        for ``department``."""
        self._check_department(department)
        if identity.startswith("subject:"):
            identity = subject_identity(identity.removeprefix("subject:"))
        owner = self._models.legacy_logins.certificate([identity])
        if owner is not None:
            raise CredentialError(f"certificate identity {identity!r} is already {owner}'s")
        login = self._login(department)
        login.bind_certificate(identity)
        self._ledger.save(login)
        refresh(self._ledger)
        log.info("certificate bound", department=department, identity=identity)

    def authenticate_username_token(self, token: UsernameToken) -> Principal:
        """The department whose UsernameToken ``token`` is; a legacy error otherwise.

        Blocking (the nonce is saved in the store): call it off the event loop.
        """
        if token.password_type == "text":  # noqa: S105 - the token's kind, not a password
            raise PasswordTextRefusedError()
        entry = self._models.legacy_logins.username(token.username)
        if entry is None:
            self._models.catch_up()  # set a moment ago by another process?
            entry = self._models.legacy_logins.username(token.username)
        if entry is None:
            raise UnknownUsernameError(token.username)
        self._check_created(token)
        password = self._unseal(entry.department, entry.username, entry.sealed_password)
        if not digest_matches(token, password):
            raise WrongPasswordError(token.username)
        try:
            self._ledger.save(NonceUsed.use(entry.department, base64.b64encode(token.nonce)
                                            .decode("ascii"), token.created))
        except IntegrityError:
            raise ReplayedNonceError(token.username) from None
        return Principal(entry.department, CredentialKind.DEPARTMENT, login_id(entry.department))

    def authenticate_certificate(self, identities: list[str], subject: str) -> Principal:
        """The department one of a verified certificate's ``identities`` is bound to."""
        department = self._models.legacy_logins.certificate(identities)
        if department is None:
            self._models.catch_up()
            department = self._models.legacy_logins.certificate(identities)
        if department is None:
            raise UnknownCertificateError(subject)
        return Principal(department, CredentialKind.DEPARTMENT, login_id(department))

    def _check_created(self, token: UsernameToken) -> None:
        try:
            created = token.created_at()
        except ValueError as exc:
            raise UsernameTokenError(str(exc)) from None
        now = self._clock()
        if created < now - WINDOW or created > now + SKEW:
            raise StaleTokenError(token.created, int(WINDOW.total_seconds()),
                                  int(SKEW.total_seconds()))

    def _login(self, department: str) -> LegacyLogin:
        try:
            login: object = self._ledger.repository.get(login_id(department))
        except AggregateNotFoundError:
            return LegacyLogin.open(department)
        if not isinstance(login, LegacyLogin):
            raise CredentialError(f"no legacy login record for {department}")
        return login

    def _check_department(self, department: str) -> None:
        try:
            parsed = DepartmentId.parse(department)
        except IdentifierError as exc:
            raise CredentialError(f"department: {exc.message}") from None
        if parsed.region != self._region:
            raise CredentialError(f"department {department!r} is not of this region "
                                  f"({self._region})")

    def _seal(self, department: str, username: str, password: str) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self._key).encrypt(nonce, password.encode(), _label(department, username))
        return base64.b64encode(nonce + sealed).decode("ascii")

    def _unseal(self, department: str, username: str, sealed: str) -> str:
        raw = base64.b64decode(sealed)
        try:
            opened = AESGCM(self._key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:],
                                               _label(department, username))
        except InvalidTag:
            raise CredentialError(f"the sealed password of {department} does not open "
                                  "(moved between departments, or another region's)") from None
        return opened.decode()

    @functools.cached_property
    def _models(self) -> ReadModels:
        return models_of(self._ledger)

    @functools.cached_property
    def _key(self) -> bytes:
        # A region secret wrapped under the KEK: a KEK rotation re-wraps it, seals stay valid.
        return self._keyring.secret(SEAL_SECRET)


def subject_identity(dn: str) -> str:
    """``subject:<DN>`` in one spelling whatever the order of its parts: ``CN=a,O=b`` as typed
    from ``openssl x509 -subject`` and ``O=b,CN=a`` as RFC 4514 reverses it are one identity."""
    try:
        name = x509.Name.from_rfc4514_string(dn)
    except ValueError:
        raise CredentialError(f"subject {dn!r} is not a distinguished name (e.g. "
                              "'CN=tax,O=North')") from None
    return "subject:" + ",".join(sorted(a.rfc4514_string() for a in name))


def _label(department: str, username: str) -> bytes:
    # Binds a sealed password to its department and username.
    return f"interop-hub/legacy-login/v1\x00{department}\x00{username}".encode()
