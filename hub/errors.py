"""The error tree of interop-hub, in one picture.

    HubError                          contracts.errors — root; carries ``code`` and ``issues``
    ├── ContractError                 contracts.errors — data does not satisfy a contract
    │   ├── UpcasterError             contracts.upcasting — an upcaster is declared wrongly
    │   └── NoUpcastPathError         contracts.upcasting — no way to read X@a as X@b
    ├── UnknownContractError          contracts.registry — no such contract version
    ├── ContractIdError               contracts.base — not a name@MAJOR.MINOR identity
    ├── XsdError                      contracts.xsd — a contract the XSD rendering cannot express
    ├── IdentifierError               regions.identity — malformed region/department/service id
    ├── AdapterError                  adapters.errors — translation failed
    │   ├── PayloadTooLarge           input over the byte cap, refused before parsing
    │   ├── MalformedInput            not well-formed, or forbidden XML (DTD, entities, depth)
    │   ├── SchemaViolation           violates the native schema
    │   ├── MappingError              cannot be mapped onto the contract
    │   ├── OnboardingError           adapters.onboarding — a WSDL/XSD cannot be scaffolded
    │   └── ProviderError             provider unreachable, faulted, or answered garbage
    ├── RoutingError                  (here) the exchange cannot be addressed
    │   └── UnknownServiceError       no such service in this region
    ├── BusError                      (here) the message bus failed (wraps nats.errors.*)
    ├── StoreConfigError              hub.store — HUB_STORE is unusable
    ├── NatsServerError               hub.nats.server — embedded nats-server failed
    ├── DurabilityError               hub.nats.durability — streams below the durability
    │                                 policy (HUB_DURABILITY_STRICT=true only)
    ├── ExchangeStateError            hub.domain.errors — step not allowed in this state
    ├── ExchangeConflictError         hub.domain.errors — another worker recorded first
    ├── ExchangeNotFoundError         hub.domain.errors — no exchange with that id
    ├── AuditError                    hub.audit.errors — keys, notes, proofs, store reading
    ├── PrivacyError                  hub.privacy.errors — subject keys, KEK, tampered fields
    ├── AccessError                   hub.security.refusals — access-denied, purpose-required,
    │                                 unknown-purpose, purpose-not-granted, consent-required,
    │                                 access-revoked, consent-revoked, bad-purpose
    ├── ProjectionError               hub.projections.errors — read store, unknown projection,
    │                                 as-of view, query
    ├── HttpPipeError                 simulations.traffic.http_pipe — load target not loopback,
    │                                 unreachable, or an answer outside HTTP/1.1 basics
    ├── BenchProcessError             simulations.bench.processes — a benchmark server died
    │                                 or did not get ready in time
    ├── SecurityError                 hub.security.credential_errors — identity:
    │   ├── AuthenticationError       401: missing, malformed, unknown, wrong, expired,
    │   │                             revoked credentials
    │   ├── ClientMismatchError       403: the named client is not the token's department
    │   ├── OperatorRequiredError     403: a department token on an operator endpoint
    │   ├── DepartmentRequiredError   403: an operator token where a department asks
    │   └── CredentialError           issuing, rotating, revoking failed
    ├── RequestRefused                hub.entrypoints.auth — carries a SecurityError's
    │                                 code and the recorded answer to the HTTP layer
    ├── MissingServiceHeaderError     hub.entrypoints.nats_ingress — no Hub-Service header
    └── FederationError               regions.errors — keys, trust lists, statements,
                                      agreements, records, receipts

Every error names what a user needs to fix the input: contract, field path,
reason. tests/unit/test_error_tree.py fails when a public exception class is
defined outside this tree or a HubError subclass has no code of its own.
"""

from __future__ import annotations

from adapters.errors import (
    AdapterError,
    MalformedInput,
    MappingError,
    PayloadTooLarge,
    ProviderError,
    SchemaViolation,
)
from contracts.errors import ContractError, FieldIssue, HubError
from hub.domain.errors import ExchangeNotFoundError, ExchangeStateError


class RoutingError(HubError):
    """Raised when an exchange cannot be addressed to a provider."""

    code = "routing-error"


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


__all__ = [
    "AdapterError",
    "BusError",
    "ContractError",
    "ExchangeNotFoundError",
    "ExchangeStateError",
    "FieldIssue",
    "HubError",
    "MalformedInput",
    "MappingError",
    "PayloadTooLarge",
    "ProviderError",
    "RoutingError",
    "SchemaViolation",
    "UnknownServiceError",
]
