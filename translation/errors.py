"""Errors raised by adapters; third-party exceptions never leave an adapter.

HubError                      (contracts.errors)
└── AdapterError              input or provider problem met while translating
    ├── PayloadTooLarge       input exceeds the configured byte cap
    ├── MalformedInput        not well-formed JSON/XML, forbidden XML constructs
    ├── SchemaViolation       well-formed but violates the native schema (XSD/WSDL)
    ├── MappingError          native message cannot be mapped onto the contract
    ├── ProviderConfigError   a provider's TLS files or credentials are unusable (start-up)
    └── ProviderError         a provider system could not be called or answered badly
        ├── ProviderUnavailable   connection refused, timeout (retryable)
        ├── ProviderFault         SOAP Fault / HTTP error status from the provider
        │   └── ProviderAuthRefused  HTTP 401/403: the provider refuses the hub's credentials
        ├── ProviderTlsFailed     the TLS handshake failed (untrusted certificate, wrong host)
        └── ProviderResponseInvalid  answer is garbage or fails mapping
"""

from __future__ import annotations

from contracts.errors import FieldIssue, HubError


class AdapterError(HubError):
    """Raised when an adapter cannot translate a message."""

    code = "adapter-error"
    status = 400


class PayloadTooLarge(AdapterError):
    """Raised when an input exceeds the configured size cap (checked before parsing)."""

    code = "payload-too-large"
    status = 413

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"payload of {size} bytes exceeds the limit of {limit} bytes",
            issues=(FieldIssue(path="$", reason=f"larger than {limit} bytes", code=self.code),),
        )
        self.size = size
        self.limit = limit


class MalformedInput(AdapterError):
    """Raised when input is not well-formed or uses forbidden constructs (DTD, entities)."""

    code = "malformed-input"


class SchemaViolation(AdapterError):
    """Raised when a well-formed message violates its native schema."""

    code = "schema-violation"


class MappingError(AdapterError):
    """Raised when a native message cannot be mapped onto a contract (e.g. unknown code)."""

    code = "mapping-error"
    status = 422


class ProviderError(AdapterError):
    """Raised when a provider system fails; ``retryable`` says whether trying again may help."""

    code = "provider-error"
    status = 502
    retryable = False


class ProviderUnavailable(ProviderError):
    """Raised when the provider cannot be reached or does not answer in time."""

    code = "provider-unavailable"
    retryable = True


class ProviderFault(ProviderError):
    """Raised when the provider answers with a SOAP Fault or an HTTP error status."""

    code = "provider-fault"

    def __init__(
        self, message: str, *, retryable: bool, issues: tuple[FieldIssue, ...] = ()
    ) -> None:
        super().__init__(message, issues=issues)
        self.retryable = retryable


class ProviderAuthRefused(ProviderFault):
    """Raised when the provider answers 401/403: the hub's credentials are missing or wrong.

    Never retried: the same credentials get the same answer until an operator
    stores the right secret (``interop-hub provider-secret set``) and restarts.
    """

    code = "provider-auth-refused"

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


class ProviderTlsFailed(ProviderError):
    """Raised when the TLS handshake with the provider fails (certificate not trusted,
    hostname mismatch, client certificate refused). Never retried."""

    code = "provider-tls-failed"


class ProviderConfigError(AdapterError):
    """Raised at start-up when a provider's TLS files or credentials cannot be used.

    ``field`` names the services-file field to fix (``tls.ca``, ``auth.secret``...).
    """

    code = "provider-config-invalid"
    status = 500

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message, issues=(
            FieldIssue(path=field, reason=message, code=self.code, field=field),))
        self.field = field


class ProviderResponseInvalid(ProviderError):
    """Raised when the provider's answer is not parseable or does not map onto the contract.

    ``retryable`` is False unless the adapter says otherwise: an answer that parses
    but does not map is deterministic, whereas bytes that are not a message at all
    (a proxy's error page, a truncated body) may well be right next time.
    """

    code = "provider-response-invalid"

    def __init__(
        self, message: str, *, issues: tuple[FieldIssue, ...] = (), retryable: bool = False
    ) -> None:
        super().__init__(message, issues=issues)
        self.retryable = retryable
