"""The error tree of interop-hub, in one picture.

    HubError                          contracts.errors — root; carries ``code``, ``issues``
                                      and ``status`` (the HTTP status an ingress answers with)
    ├── ContractError                 contracts.errors — data does not satisfy a contract
    │   ├── UpcasterError             contracts.upcasting — an upcaster is declared wrongly
    │   └── NoUpcastPathError         contracts.upcasting — no way to read X@a as X@b
    ├── UnknownContractError          contracts.registry — no such contract version
    ├── ContractIdError               contracts.base — not a name@MAJOR.MINOR identity
    ├── XsdError                      contracts.xsd — a contract the XSD rendering cannot express
    ├── IdentifierError               contracts.identity — malformed region/department/service id
    ├── AdapterError                  translation.errors — translation failed
    │   ├── PayloadTooLarge           input over the byte cap, refused before parsing
    │   ├── MalformedInput            not well-formed, or forbidden XML (DTD, entities, depth)
    │   │   └── JsonRefused           translation.json_reader — not strict JSON, or over a limit
    │   │                             (json-invalid, json-not-utf8, json-too-deep, ...)
    │   ├── SchemaViolation           violates the native schema
    │   ├── MappingError              cannot be mapped onto the contract
    │   ├── OnboardingError           translation.onboarding — a WSDL/XSD cannot be scaffolded
    │   └── ProviderError             provider unreachable, faulted, or answered garbage
    ├── RoutingError                  (here) the exchange cannot be addressed
    │   └── UnknownServiceError       no such service in this region
    ├── BusError                      (here) the message bus failed (wraps nats.errors.*)
    ├── StoreUnavailable              (here) 503: the event store is locked or unreachable
    ├── InternalError                 (here) 500: anything unexpected, answered by one handler
    ├── AnswerTimeout                 (here) 504: the provider did not answer in time
    ├── UnsupportedMediaType          hub.entrypoints.http.media_types — 415: wrong Content-Type
    ├── TlsSettingsError              hub.entrypoints.http.tls_listener — certificate without key...
    ├── StoreConfigError              hub.adapters.store.selection — HUB_STORE is unusable
    ├── NatsServerError               hub.adapters.nats.server — embedded nats-server failed
    ├── DurabilityError               hub.adapters.nats.durability — streams below the durability
    │                                 policy (HUB_DURABILITY_STRICT=true only)
    ├── ExchangeStateError            hub.domain.errors — step not allowed in this state
    ├── ExchangeConflictError         hub.domain.errors — another worker recorded first
    ├── ExchangeNotFoundError         hub.domain.errors — no exchange with that id
    ├── AuditError                    hub.service_layer.audit.errors — keys, notes, proofs, store
    reading
    ├── PrivacyError                  hub.adapters.crypto.errors — subject keys, KEK,
    │                                 tampered fields
    ├── AccessError                   hub.service_layer.security.refusals — access-denied,
    purpose-required,
    │                                 unknown-purpose, purpose-not-granted, consent-required,
    │                                 access-revoked, consent-revoked, bad-purpose
    ├── ProjectionError               hub.adapters.projections.errors — read store, unknown
    projection,
    │                                 as-of view, query
    ├── HttpPipeError                 simulations.traffic.http_pipe — load target not loopback,
    │                                 unreachable, or an answer outside HTTP/1.1 basics
    ├── BenchProcessError             simulations.bench.processes — a benchmark server died
    │                                 or did not get ready in time
    ├── SecurityError                 hub.service_layer.security.credential_errors — identity:
    │   ├── AuthenticationError       401: missing, malformed, unknown, wrong, expired,
    │   │                             revoked credentials; a refused WS-Security
    │   │                             UsernameToken or client certificate
    │   │                             (hub.service_layer.security.legacy_errors)
    │   ├── ClientMismatchError       403: the named client is not the token's department
    │   ├── OperatorRequiredError     403: a department token on an operator endpoint
    │   ├── DepartmentRequiredError   403: an operator token where a department asks
    │   └── CredentialError           issuing, rotating, revoking failed
    ├── RequestRefused                hub.entrypoints.http.auth — carries a SecurityError's
    │                                 code and the recorded answer to the HTTP layer
    ├── MissingServiceHeaderError     hub.entrypoints.nats.ingress — no Hub-Service header
    └── FederationError               federation.errors — keys, trust lists, statements,
                                      agreements, records, receipts

Every error names what a user needs to fix the input: contract, field path,
reason. tests/unit/test_error_tree.py fails when a public exception class is
defined outside this tree, a HubError subclass has no code of its own, or its
HTTP status is only the root's default (each branch must choose one).

An answer that crossed the bus carries only the code
(``hub.service_layer.exchanges.messages.ReplyError``),
so :func:`status_of` finds the status of the class that owns a code.
"""

from __future__ import annotations

from contracts.errors import ContractError, FieldIssue, HubError
from hub.domain.errors import ExchangeNotFoundError, ExchangeStateError
from translation.errors import (
    AdapterError,
    MalformedInput,
    MappingError,
    PayloadTooLarge,
    ProviderError,
    SchemaViolation,
)


class RoutingError(HubError):
    """Raised when an exchange cannot be addressed to a provider."""

    code = "routing-error"
    status = 404


class UnknownServiceError(RoutingError):
    """Raised when a client names a service this hub does not know."""

    code = "unknown-service"

    def __init__(self, service: str, known: list[str]) -> None:
        super().__init__(
            f"unknown service {service!r}; this hub offers: {', '.join(known) or 'nothing'}",
            issues=(
                FieldIssue(path="$", reason="no such service", code=self.code, field="service"),
            ),
        )
        self.service = service


class BusError(HubError):
    """Raised when publishing to or consuming from the message bus fails."""

    code = "bus-error"
    status = 503


class StoreUnavailable(HubError):
    """Raised when the event store is locked, unreachable or out of connections (try again)."""

    code = "store-unavailable"
    status = 503
    retry_after_s = 1

    def __init__(self, cause: BaseException) -> None:
        super().__init__(
            f"the event store is busy or unreachable ({type(cause).__name__}); "
            f"nothing was recorded, try again in {self.retry_after_s} s",
        )


class InternalError(HubError):
    """Raised in place of an unexpected exception, so the caller gets a stable code."""

    code = "internal-error"
    status = 500

    def __init__(self, cause: BaseException) -> None:
        super().__init__(
            f"the hub failed unexpectedly ({type(cause).__name__}); the failure is logged "
            "under this exchange id",
        )


class AnswerTimeout(HubError):
    """The code of an exchange whose provider did not answer in time (the gateway's answer)."""

    code = "timeout"
    status = 504


def status_of(code: str) -> int:
    """The HTTP status of a stable error code: that of the HubError class owning the code.

    A code no class owns (a peer's newer code, say) is the hub's failure: 500.
    """
    return _statuses().get(code, HubError.status)


def _statuses() -> dict[str, int]:
    found: dict[str, int] = {}
    pending: list[type[HubError]] = [HubError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls.status)
        pending.extend(cls.__subclasses__())
    return found


__all__ = [
    "AdapterError",
    "AnswerTimeout",
    "BusError",
    "ContractError",
    "ExchangeNotFoundError",
    "ExchangeStateError",
    "FieldIssue",
    "HubError",
    "InternalError",
    "MalformedInput",
    "MappingError",
    "PayloadTooLarge",
    "ProviderError",
    "RoutingError",
    "SchemaViolation",
    "StoreUnavailable",
    "UnknownServiceError",
    "status_of",
]
