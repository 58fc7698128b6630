"""Who is calling: every HTTP ingress authenticates the caller with a hub-issued bearer token,
or, for a legacy client configured for it, a client certificate or a WS-Security UsernameToken.

The :class:`Authenticator` checks ``Authorization: Bearer <token>`` against the
credentials read model (in memory, on every request: a revocation or rotation in
this process takes effect on the next request, one in another process within the
read model's bound, :mod:`hub.adapters.readmodels.models`) and, when the request also
names a client (``X-Hub-Client``, the SOAP ``hub:client`` header, an X-Road
client), checks that it is the token's own department. Every refusal is
recorded as Received + Rejected through the gateway, with the issue path
``header:Authorization`` and never the token.

A request without ``Authorization`` may prove its department instead with a
:class:`LegacyProof`: a client certificate the hub's own TLS listener verified
(:mod:`hub.entrypoints.http.client_certificates`), or, on the SOAP ingress, a
``wsse:UsernameToken`` (:mod:`hub.service_layer.security.legacy_logins`). A bearer token, when
sent, is always the one checked; then a certificate; then a UsernameToken. Their
refusals are recorded like a token's.

Routers find the authenticator on ``request.app.state.authenticator`` (set by
:func:`hub.entrypoints.http.app.create_http_app`), so ingress built elsewhere
(e.g. the per-peer SOAP endpoints) authenticates the same way. Other routers
use the FastAPI dependencies :func:`require_department` and
:func:`require_operator`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from fastapi import Request
from starlette.responses import Response

from contracts.errors import HubError
from hub.domain.credential import CredentialKind
from hub.domain.credential_errors import (
    ClientMismatchError,
    DepartmentRequiredError,
    OperatorRequiredError,
    SecurityError,
)
from hub.entrypoints.http.client_certificates import ClientCertificate, certificate_of
from hub.entrypoints.http.problems import problem_response
from hub.service_layer.exchanges.correlation import checked_correlation
from hub.service_layer.exchanges.gateway import Answer, Envelope, Gateway
from hub.service_layer.exchanges.messages import ReplyError
from hub.service_layer.security.legacy_logins import LegacyLogins
from hub.service_layer.security.principal import Principal
from translation.wsse_username import UsernameToken

AUTHORIZATION_HEADER = "Authorization"
CLIENT_HEADER = "X-Hub-Client"
CORRELATION_HEADER = "X-Correlation-Id"
CORRELATION_PATH = f"header:{CORRELATION_HEADER}"
UNAUTHENTICATED = "unknown"  # the client recorded when no token proved who asked


class CredentialCheck(Protocol):
    """What the authenticator needs of
    :class:`hub.service_layer.security.credentials.CredentialService`."""

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal of an Authorization header value, or a SecurityError."""

    @property
    def legacy(self) -> LegacyLogins:
        """The legacy logins (UsernameTokens, client certificates) of the same region."""


@dataclass(frozen=True)
class LegacyProof:
    """What a request shows besides ``Authorization``: a verified certificate, a UsernameToken."""

    certificate: ClientCertificate | None = None
    username_token: UsernameToken | None = None


def proof_of(request: Request, username_token: UsernameToken | None = None) -> LegacyProof:
    """The legacy proof of ``request``: its verified client certificate, if any, and a token."""
    return LegacyProof(certificate_of(request.scope), username_token)


class RequestRefused(HubError):
    """Raised (and answered by the app's handler) when a request's credentials are refused."""

    code = "request-refused"  # replaced per instance by the security error's code
    status = 401  # likewise replaced by the security error's status

    def __init__(self, error: SecurityError, answer: Answer) -> None:
        super().__init__(error.message, issues=error.issues)
        self.code = error.code
        self.status = error.status
        self.error = error
        self.answer = answer


class Authenticator:
    """Checks tokens and claimed clients, recording each refusal through the gateway."""

    def __init__(self, credentials: CredentialCheck, gateway: Gateway) -> None:
        self._credentials = credentials
        self._gateway = gateway

    async def department(
        self, authorization: str | None, *, claimed: str = "", claim_path: str,
        service: str, correlation_id: str, ingress: str, proof: LegacyProof,
    ) -> str:
        """The authenticated department (the exchange's client); RequestRefused otherwise."""
        principal = await self.department_principal(
            authorization, claimed=claimed, claim_path=claim_path, service=service,
            correlation_id=correlation_id, ingress=ingress, proof=proof)
        return principal.name

    async def department_principal(
        self, authorization: str | None, *, claimed: str = "", claim_path: str,
        service: str, correlation_id: str, ingress: str, proof: LegacyProof,
    ) -> Principal:
        """:meth:`department`, with the credential that proved it (the access watch's key)."""
        principal = await self._principal(authorization, service, correlation_id, ingress,
                                          proof)
        if principal.kind is not CredentialKind.DEPARTMENT:
            await self._refuse(DepartmentRequiredError(principal.name), principal.name, service,
                               correlation_id, ingress)
        await self.check_claim(principal.name, claimed, claim_path=claim_path, service=service,
                               correlation_id=correlation_id, ingress=ingress)
        return principal

    async def check_claim(
        self, department: str, claimed: str, *, claim_path: str,
        service: str, correlation_id: str, ingress: str,
    ) -> None:
        """Refuse (and record) a request whose named client is not its token's department."""
        if claimed and claimed != department:
            error = ClientMismatchError(claimed, department, path=claim_path)
            await self._refuse(error, department, service, correlation_id, ingress)

    async def operator(
        self, authorization: str | None, *, service: str, correlation_id: str
    ) -> Principal:
        """The authenticated operator; RequestRefused for a department or a bad token."""
        principal = await self._principal(authorization, service, correlation_id, "operator",
                                          LegacyProof())
        if principal.kind is not CredentialKind.OPERATOR:
            await self._refuse(OperatorRequiredError(principal.name), principal.name, service,
                               correlation_id, "operator")
        return principal

    async def _principal(
        self, authorization: str | None, service: str, correlation_id: str, ingress: str,
        proof: LegacyProof,
    ) -> Principal:
        try:
            if authorization is None and proof.certificate is not None:
                return self._credentials.legacy.authenticate_certificate(
                    proof.certificate.identities, proof.certificate.subject)
            if authorization is None and proof.username_token is not None:
                # Records the nonce in the store: off the event loop.
                return await asyncio.to_thread(
                    self._credentials.legacy.authenticate_username_token, proof.username_token)
            # In memory (the read model): no thread hand-off, no store read on the hot path.
            return self._credentials.authenticate(authorization)
        except SecurityError as error:
            await self._refuse(error, UNAUTHENTICATED, service, correlation_id, ingress)
            raise  # unreachable: _refuse raises

    async def _refuse(
        self, error: SecurityError, client: str, service: str, correlation_id: str, ingress: str
    ) -> None:
        envelope = Envelope(client, service, correlation_id, ingress, b"")
        answer = await self._gateway.reject(envelope, error)
        raise RequestRefused(error, answer) from None


def authenticator_of(request: Request) -> Authenticator:
    """The app's authenticator (create_http_app always sets one)."""
    authenticator = getattr(request.app.state, "authenticator", None)
    if not isinstance(authenticator, Authenticator):
        raise TypeError("the HTTP app has no authenticator: build it with create_http_app")
    return authenticator


def gateway_of(request: Request) -> Gateway:
    """The app's gateway, through which routes built elsewhere record their refusals."""
    gateway = getattr(request.app.state, "gateway", None)
    if not isinstance(gateway, Gateway):
        raise TypeError("the HTTP app has no gateway: build it with create_http_app")
    return gateway


def correlation_of(request: Request) -> str:
    """The request's correlation id, or a new one (the same for the whole request)."""
    known = getattr(request.state, "correlation_id", None)
    if isinstance(known, str):
        return known
    request.state.correlation_id = checked_correlation(request.headers.get(CORRELATION_HEADER),
                                                        path=CORRELATION_PATH)
    return str(request.state.correlation_id)


async def require_department(request: Request) -> str:
    """FastAPI dependency: the calling department (``region/department``), proven by its token."""
    return await authenticator_of(request).department(
        request.headers.get(AUTHORIZATION_HEADER),
        claimed=request.headers.get(CLIENT_HEADER, ""),
        claim_path=f"header:{CLIENT_HEADER}",
        service=request.url.path,
        correlation_id=correlation_of(request),
        ingress="http",
        proof=proof_of(request),
    )


async def require_operator(request: Request) -> Principal:
    """FastAPI dependency: the calling operator, proven by an operator token."""
    return await authenticator_of(request).operator(
        request.headers.get(AUTHORIZATION_HEADER),
        service=request.url.path,
        correlation_id=correlation_of(request),
    )


def refusal_response(refused: RequestRefused, correlation_id: str) -> Response:
    """The problem-details answer to a refused request (401 carries WWW-Authenticate)."""
    error = refused.answer.error or ReplyError(code=refused.code, message=refused.message)
    return problem_response(
        error, exchange_id=str(refused.answer.exchange_id), correlation_id=correlation_id,
        outcome="rejected",
    )


async def refused_handler(request: Request, exc: Exception) -> Response:
    """Exception handler for RequestRefused raised by the dependencies."""
    if not isinstance(exc, RequestRefused):
        raise exc
    return refusal_response(exc, correlation_of(request))
