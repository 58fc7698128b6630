"""The error tree of interop-hub, in one picture.

Each class with its HTTP status (``status``, the answer of an ingress) and ``retry`` where
``retryable`` is true (the same request may succeed later); the module is named where it
changes from the parent's. ``HubError`` lives in ``contracts.errors``.

    HubError                            500       the root: code, issues, status, retryable
    ├── ContractError                   422       data does not satisfy a contract
    │   ├── UpcasterError               422       contracts.upcasting — an upcaster is declared
    │   │                                         wrongly
    │   └── NoUpcastPathError           422       contracts.upcasting — no way to read X@a as X@b
    ├── UnknownContractError            404       contracts.registry — no such contract version
    ├── ContractIdError                 400       contracts.base — not a name@MAJOR.MINOR identity
    ├── XsdError                        500       contracts.xsd — a contract the XSD rendering
    │                                             cannot express
    ├── IdentifierError                 400       contracts.identity — malformed
    │                                             region/department/service id
    ├── AdapterError                    400       translation.errors — translation failed
    │   ├── PayloadTooLarge             413       input over the byte cap, refused before parsing
    │   ├── MalformedInput              400       not well-formed, or forbidden XML
    │   │   ├── AttachmentError         400       translation.mime_related — a multipart/related
    │   │   │                                     package (SwA, MTOM) is malformed
    │   │   └── JsonRefused             400       translation.json_reader — not strict JSON
    │   │       ├── JsonArrayTooLarge   400       one array holds more items than the limit
    │   │       ├── JsonDuplicateKey    400       an object names the same key twice
    │   │       ├── JsonInvalid         400       the text is not JSON
    │   │       ├── JsonNonFinite       400       ``NaN``, ``Infinity`` or a number that overflows
    │   │       ├── JsonNotUtf8         400       the bytes are not UTF-8
    │   │       ├── JsonNumberTooLong   400       one number is written with more characters than
    │   │       │                                 the limit
    │   │       ├── JsonObjectTooLarge  400       one object holds more members than the limit
    │   │       ├── JsonStringTooLong   400       one string (or key) is longer than the limit
    │   │       └── JsonTooDeep         400       arrays and objects nest deeper than the limit
    │   ├── SchemaViolation             400       violates the native schema
    │   ├── MappingError                422       cannot be mapped onto the contract
    │   │   └── TransformError          422       translation.mapping.transforms — one value cannot
    │   │                                         be transformed; ``issue_code`` says why
    │   ├── OnboardingError             400       translation.onboarding.errors — a WSDL/XSD cannot
    │   │   │                                     be scaffolded
    │   │   ├── CatalogError            400       the OASIS XML catalog is malformed or maps a URL
    │   │   │                                     onto a non-local target
    │   │   ├── DanglingReference       400       a QName reference
    │   │   ├── ForbiddenLocation       400       a location is a non-file URL
    │   │   ├── InvalidSchema           400       the WSDL's schemas do not compile
    │   │   ├── UnreadableDocument      400       a WSDL, schema or catalog file is missing
    │   │   ├── UnresolvedImport        400       an import by URL is not mapped onto a local copy
    │   │   │                                     by the catalog
    │   │   └── UnwritableOutput        400       a skeleton or the ``--report`` file cannot be
    │   │                                         written (the OS says why)
    │   ├── ProviderError               502       provider unreachable, faulted, or answered garbage
    │   │   ├── ProviderFault           502       the provider answers with a SOAP Fault or an HTTP
    │   │   │   │                                 error status
    │   │   │   ├── RemoteRefusal       502       hub.adapters.peers.errors — the peer region
    │   │   │   │                                 answered with an error
    │   │   │   └── ProviderAuthRefused 502       the provider answers 401/403
    │   │   ├── ProviderResponseInvalid 502       the provider's answer is not parseable or does not
    │   │   │                                     map onto the contract
    │   │   ├── ProviderTlsFailed       502       the TLS handshake with the provider fails
    │   │   ├── ProviderUnavailable     502 retry the provider cannot be reached or does not answer
    │   │   │                                     in time
    │   │   └── ProviderRequestInvalid  502       translation.mapping.errors — a request cannot be
    │   │                                         encoded into the provider's native message
    │   ├── ProviderConfigError         500       at start-up when a provider's TLS files or
    │   │                                         credentials cannot be used
    │   ├── MappingFileError            400       translation.mapping.errors — a mapping file cannot
    │   │   │                                     be loaded or compiled; issues name file and key
    │   │   ├── FieldPathError          400       translation.mapping.fields — a dotted path does
    │   │   │                                     not name a field of the contract
    │   │   ├── JsonSchemaError         400       translation.mapping.json_schema — a schema uses
    │   │   │                                     what this compiler does not support, naming where
    │   │   ├── PathError               400       translation.mapping.paths — a path is not valid
    │   │   └── RuleError               400       translation.mapping.transforms — at load time when
    │   │                                         a rule's transform cannot be built
    │   ├── UsernameTokenFormatError    400       translation.wsse_username — a UsernameToken cannot
    │   │                                         be read (the hub answers it as ``wss-malformed``)
    │   └── XRoadHeaderError            400       translation.xroad_headers — X-Road headers are
    │                                             present but incomplete
    ├── RoutingError                    404       hub.errors — the exchange cannot be addressed
    │   └── UnknownServiceError         404       no such service in this region
    ├── BusError                        503 retry hub.errors — the message bus failed
    ├── StoreUnavailable                503 retry hub.errors — the event store is locked or
    │                                             unreachable
    ├── InternalError                   500       hub.errors — anything unexpected
    ├── AnswerTimeout                   504 retry hub.errors — the provider did not answer in time
    ├── UnsupportedMediaType            415       hub.entrypoints.http.media_types — wrong
    │                                             Content-Type
    ├── TlsSettingsError                500       hub.entrypoints.http.tls_listener — certificate
    │                                             without key...
    ├── StoreConfigError                500       hub.adapters.store.selection — HUB_STORE is
    │                                             unusable
    ├── SettingsInvalidError            500       hub.settings — a HUB_* variable cannot be read
    │                                             as its setting (named, its value never shown)
    ├── NatsServerError                 500       hub.adapters.nats.server — embedded nats-server
    │                                             failed
    ├── DurabilityError                 500       hub.adapters.nats.durability — streams below the
    │                                             durability policy
    ├── ExchangeStateError              409       hub.domain.errors — step not allowed in this state
    ├── ExchangeConflictError           409       hub.domain.errors — another worker recorded first
    ├── ExchangeNotFoundError           404       hub.domain.errors — no exchange with that id
    ├── CaseStateError                  409       hub.domain.case — a case or step cannot do that
    │                                             in its state
    ├── TimeLimitError                  422       hub.domain.time_limit — not "N calendar|working
    │                                             days" nor "N hours|minutes|seconds"
    ├── CaseTypeError                   422       hub.service_layer.cases.case_type — a case-type
    │                                             file has problems (each named)
    ├── CaseConflictError               503 retry hub.service_layer.cases.engine — the case kept
    │                                             changing concurrently
    ├── CaseNotFoundError               404       hub.service_layer.cases.errors — no such case or
    │                                             step
    ├── UnknownCaseTypeError            422       the hub runs no case type of that name
    ├── DocumentsMissingError           422       a document the case type declares is missing
    ├── StepNotYoursError               403       a department decided another's step
    ├── CaseRequestError                400       hub.entrypoints.http.cases_routes — not a JSON
    │                                             object with the fields a cases route needs
    ├── RetentionPeriodError            400       hub.domain.retention — not a positive ISO 8601
    │                                             duration
    ├── AuditError                      500       hub.service_layer.audit.errors — keys
    │   ├── AuditKeyError               500       the region's audit signing key cannot be used
    │   │                                         safely
    │   ├── AuditStoreError             500       the event store cannot be read
    │   ├── NoteError                   500       a signed note or checkpoint is malformed or does
    │   │                                         not verify
    │   ├── ProofError                  500       a requested proof cannot be built
    │   └── RegionMismatchError         500       hub.service_layer.audit.folder_region — the
    │                                             configured region is not the region the data
    │                                             folder belongs to
    ├── PrivacyError                    500       hub.adapters.crypto.errors — subject keys
    │   ├── KeyEncryptionKeyError       500       the key-encryption key is missing
    │   ├── KeyStoreError               500       the subject key store cannot be opened
    │   ├── SubjectError                400       a data subject cannot be identified from what was
    │   │                                         given
    │   ├── TamperedFieldError          500       a sealed personal field does not authenticate
    │   └── PersonalDataErasedError     410       a step needs personal data whose key was
    │                                             destroyed (forgotten, or retention over)
    ├── WatchPolicyError                500       hub.domain.watch_policy — a service's
    │                                             [service.watch] thresholds are unusable
    ├── DocumentError                   400       hub.adapters.documents.errors — documents
    │   ├── DocumentRefused             400       refused at the door (recorded as an event)
    │   │   ├── DocumentTooLarge        413       more bytes than the service accepts
    │   │   ├── MediaTypeRefused        415       sniffed type not on the service's allow-list
    │   │   ├── ActiveContentRefused    422       a PDF with JavaScript or an embedded file
    │   │   ├── UploadOffsetError       409       a resumed chunk not at the offset reached
    │   │   ├── DocumentDigestMismatch  422       bytes fetched from another region are not the
    │   │   │                                     attested ones (size or SHA-256)
    │   │   └── UploadAbandoned         408       hub.service_layer.documents.uploads — no bytes
    │   │                                         for too long
    │   ├── DocumentNotFound            404       no document or upload with that id
    │   ├── DocumentErased              410       its subject was forgotten
    │   ├── DocumentTampered            500       stored bytes fail authentication or digest
    │   ├── DocumentStoreError          503 retry the Object Store failed
    │   ├── DocumentLinkRefused         403       a link expired, altered or not the caller's
    │   ├── DocumentPolicyError         500       hub.service_layer.documents.policy — a
    │   │                                         [[documents]] table is unusable
    │   ├── DocumentRequestError        400       hub.entrypoints.http.documents_routes — a
    │   │                                         field missing or wrong
    │   ├── MultipartError              400       hub.entrypoints.http.multipart_stream — the
    │   │                                         form or package is malformed or out of order
    │   ├── SoapDocumentError           400       hub.entrypoints.http.soap_documents — an
    │   │                                         element missing, or a wrong cid: reference
    │   └── SoapAttachmentError         400       hub.entrypoints.http.soap_attachments — a
    │                                             /soap query's attachment is not where it says
    ├── AccessError                     403       hub.service_layer.security.refusals —
    │   │                                         access-denied
    │   ├── AccessDeniedError           403       the client holds no active right on the service
    │   ├── AccessRevokedError          403       at delivery when the right was revoked since the
    │   │                                         exchange was accepted
    │   ├── ConsentRequiredError        403       the purpose needs the subject's consent and none
    │   │                                         is active
    │   ├── ConsentRevokedError         403       at delivery when the consent was revoked or
    │   │                                         expired since acceptance
    │   ├── PurposeDefinitionError      500       a service declares a purpose wrongly
    │   ├── PurposeNotGrantedError      403       the client's right does not name the purpose it
    │   │                                         asks for
    │   ├── PurposeRequiredError        403       the client did not say for which purpose it asks
    │   └── UnknownPurposeError         403       the named purpose is not one the service declares
    ├── ProjectionError                 500       hub.adapters.projections.errors — read store
    │   ├── InvalidQueryError           400       a read-model query is malformed
    │   ├── LedgerReadError             500       the ledger's notification log cannot be read or an
    │   │                                         event decoded
    │   ├── ReadStoreError              500       the read-model database cannot be opened
    │   ├── UnknownProjectionError      404       a command names a projection that does not exist
    │   └── ViewNotFoundError           404       an as-of view is asked for before ``interop-hub
    │                                             replay --until`` built it
    ├── HttpPipeError                   500       simulations.traffic.http_pipe — load target not
    │                                             loopback
    ├── BenchProcessError               500       simulations.bench.processes — a benchmark server
    │                                             died or did not get ready in time
    ├── SecurityError                   403       hub.domain.credential_errors —
    │   │                                         identity: who is asking, and may it
    │   ├── AuthenticationError         401       missing, malformed
    │   │   ├── ExpiredCredentialError  401       the credential is past its expiry
    │   │   ├── MalformedCredentialsError 401       the ``Authorization`` header is not a hub bearer
    │   │   │                                       token
    │   │   ├── MissingCredentialsError 401       a request carries no ``Authorization`` header
    │   │   ├── RevokedCredentialError  401       the credential was revoked
    │   │   ├── SuspendedCredentialError 401      the credential is suspended after an access
    │   │   │                                     anomaly, until an operator resumes it
    │   │   ├── UnknownCredentialError  401       the token names a credential this hub never issued
    │   │   ├── WrongCredentialError    401       the token's secret does not match its credential
    │   │   ├── ReplayedNonceError      401       hub.service_layer.security.legacy_errors — the
    │   │   │                                     UsernameToken's nonce was already used within the
    │   │   │                                     window
    │   │   ├── StaleTokenError         401       hub.service_layer.security.legacy_errors — Created
    │   │   │                                     is older than the window or too far in the future
    │   │   ├── UnknownCertificateError 401       hub.service_layer.security.legacy_errors — a
    │   │   │                                     verified client certificate names no department
    │   │   ├── UnknownUsernameError    401       hub.service_layer.security.legacy_errors — no
    │   │   │                                     department's UsernameToken has this username
    │   │   ├── UsernameTokenError      401       hub.service_layer.security.legacy_errors — the
    │   │   │   │                                 wsse:Security header holds no usable UsernameToken
    │   │   │   └── PasswordTextRefusedError 401       a PasswordText token
    │   │   └── WrongPasswordError      401       hub.service_layer.security.legacy_errors — the
    │   │                                         PasswordDigest does not match the department's
    │   │                                         password
    │   ├── ClientMismatchError         403       the named client is not the token's department
    │   ├── OperatorRequiredError       403       a department token on an operator endpoint
    │   ├── DepartmentRequiredError     403       an operator token where a department asks
    │   ├── CredentialError             400       issuing, rotating, revoking failed
    │   └── UnknownAnomalyError         404       hub.service_layer.security.anomalies — no
    │                                             access anomaly has the given id
    ├── RequestRefused                  401       hub.entrypoints.http.auth — carries a
    │                                             SecurityError's code and the recorded answer to
    │                                             the HTTP layer
    ├── MissingServiceHeaderError       400       hub.entrypoints.nats.ingress — no Hub-Service
    │                                             header
    ├── DecisionRequestError            400       hub.entrypoints.nats.case_decisions — a NATS
    │                                             decision without Hub-Step, or not a JSON object
    ├── SimulationsMissing              501       hub.entrypoints.cli.optional_parts — demo or
    │                                             simulate where the simulations package is absent
    ├── FederationError                 400       federation.errors — keys
    │   ├── AgreementError              400       an agreement step breaks the agreement's rules
    │   │   ├── AgreementNotFoundError  404       no agreement has the given id
    │   │   ├── AgreementStateError     409       a step is applied to an agreement in a state that
    │   │   │                                     does not allow it
    │   │   └── AgreementTermsError     400       agreement terms are incomplete or inconsistent
    │   ├── CanonicalJSONError          400       a value cannot be serialised as RFC 8785 canonical
    │   │                                         JSON
    │   ├── ConflictError               409       another worker recorded a step of the same record
    │   │                                         or agreement first
    │   ├── FingerprintError            400       a contract-registry fingerprint document is
    │   │                                         malformed
    │   ├── ReceiptError                400       a receipt names a statement this region did not
    │   │                                         send, or another record
    │   ├── RecordError                 400       an issued record cannot take the requested step
    │   │   ├── RecordNotFoundError     404       no issued record has the given id
    │   │   └── RecordStateError        409       a step is applied to a record in a state that does
    │   │                                         not allow it
    │   ├── RegionKeyError              500       the region key file cannot be read
    │   ├── StatementError              400       a signed statement is malformed or does not verify
    │   ├── TrustListError              400       a trust list is malformed or its signature is not
    │   │                                         its region's
    │   ├── UnknownKeyError             400       the trust list names no key ``kid`` for a region
    │   ├── UnknownPeerError            400       the trust list names no peer region of that code
    │   ├── LinkError                   400       hub.adapters.peers.errors — a link to a peer
    │   │   │                                     region fails or is used in a way it does not allow
    │   │   ├── CatalogueError          400       a peer's service catalogue names a service this
    │   │   │                                     hub cannot use
    │   │   ├── PeerAnswerInvalid       400       a peer's answer cannot be read as the message it
    │   │   │                                     should be
    │   │   ├── PeerUnreachable         503 retry no hub of a peer region answers a request
    │   │   ├── RemoteClientError       400       a cross-region query's client is missing
    │   │   └── PeerDocumentError       502       an attested document cannot be fetched from
    │   │                                         its issuing region
    │   └── ReconciliationError         400       hub.service_layer.federation.reconciliation.errors
    │       │                                     — a region's history cannot be loaded
    │       ├── HistoryFormatError      400       a history document is malformed
    │       ├── PeerHistoryUnavailable  400       hub.service_layer.federation.reconciliation.online
    │       │                                     — the peer region's hub does not answer
    │       ├── RegionNatsNotFound      400       hub.service_layer.federation.reconciliation.online
    │       │                                     — no running nats-server of this region can be
    │       │                                     found or reached
    │       └── RepairNotConfirmed      400       hub.service_layer.federation.reconciliation.online
    │                                             — a re-sent statement or receipt is not recorded
    │                                             in time (or not sent)
    ├── TransportError                  503 retry hub.adapters.peers.transport — The federation
    │                                             transport could not start or stop
    ├── StoreInUseError                 409       hub.adapters.store.writer_lock — another hub
    │                                             process already runs on this SQLite store
    ├── BadCorrelationId                400       hub.service_layer.exchanges.correlation — a
    │                                             correlation id too long or not visible ASCII
    ├── MissingClientError              400       hub.entrypoints.http.json_ingress — a request does
    │                                             not say which department is asking
    ├── SoapRefusal                     400       hub.entrypoints.http.soap_ingress — A refusal met
    │                                             while decoding a SOAP request
    ├── IngestError                     400       hub.service_layer.ingest.errors — base of ingest
    │   │                                         errors
    │   ├── IngestClientError           400       to a department when its submission could not be
    │   │                                         published (or was refused)
    │   ├── IngestConfigError           500       an ``[[ingest]]`` table is incomplete or its
    │   │                                         mapping does not fit
    │   ├── IngestStoreError            503 retry a batch cannot be recorded
    │   ├── NotAnIngestSubject          400       A message whose subject is not
    │   │                                         ``hub.<region>.ingest.<department>.<contract>``
    │   ├── UnknownFormatError          400       A submission whose format is neither ``soap`` nor
    │   │                                         ``json``
    │   └── UnknownIngestSource         400       A department submitted a contract the hub has no
    │                                             ingest source for
    ├── NotificationError               400       hub.service_layer.notifications.errors — base of
    │   │                                         notification errors
    │   ├── SubscriptionError           400       A ``[[subscription]]`` table of the services file
    │   │                                         is incomplete or inconsistent
    │   └── UnsubscribableContractError 404       A record was issued for a contract this hub does
    │                                             not know
    ├── OperatorError                   400       hub.service_layer.operators.errors — an operator
    │   │                                         account cannot be read or changed as asked
    │   ├── LoginRefusedError           401       a login is refused
    │   ├── NotPermittedError           403       an operator's role does not allow an action
    │   ├── OperatorExistsError         409       enrolling a name that already has an account
    │   ├── SessionInvalidError         401       a request's session is missing
    │   └── UnknownOperatorError        404       a command names an operator who was never enrolled
    ├── IdTokenError                    401       hub.adapters.id_tokens.errors — a citizen's ID
    │   │                                         token is refused (``claim`` names the culprit)
    │   ├── IdTokenMissingError         401       no ``Authorization: Bearer`` ID token
    │   ├── IdTokenMalformedError       401       not a compact JWS with a JSON object payload
    │   ├── AlgorithmRefusedError       401       ``alg`` is not an allowed asymmetric algorithm
    │   ├── UntrustedIssuerError        401       ``iss`` names no identity provider trusted here
    │   ├── BadSignatureError           401       no key of the issuer's JWKS verifies it
    │   ├── WrongAudienceError          401       ``aud`` is not this region's citizen audience
    │   ├── TokenExpiredError           401       ``exp`` is past, beyond the leeway
    │   ├── TokenNotYetValidError       401       ``iat`` or ``nbf`` is in the future
    │   ├── TokenReplayedError          401       the token's ``jti`` (or ``nonce``) was used before
    │   ├── NonceMismatchError          401       the token's ``nonce`` is not the one the portal
    │   │                                         sent in ``Citizen-Nonce``
    │   ├── MissingClaimError           401       a required claim is absent
    │   ├── InvalidClaimError           401       a claim is present but unusable
    │   └── ReplayCacheFullError        503 retry the replay cache is full of unexpired tokens
    ├── IssuerConfigError               500       hub.adapters.id_tokens.errors — a trusted
    │                                             issuer's JWKS file is unreadable or unusable
    ├── CitizenRequestError             400       hub.service_layer.citizen.errors — a verified
    │   │                                         person asks for what cannot be done for them
    │   ├── CitizenConsentNotFoundError 404       no consent of this person has the id (another
    │   │                                         person's is answered alike)
    │   ├── CitizenConsentNotActiveError 409      the consent is already revoked or expired
    │   └── CitizenSessionEndedError    401       the pages' session is unknown, expired or ended
    ├── BackupError                     400       hub.adapters.backup.errors — a backup cannot be
    │   │                                         taken, checked or restored
    │   ├── BackupKeyError              400       the backup key is missing, short, the KEK,
    │   │                                         or wrong
    │   ├── BackupIntegrityError        422       a backup file is truncated, altered or swapped
    │   ├── RestoreTargetError          409       the folder or database to restore into is
    │   │                                         not empty
    │   └── BackupToolError             500       pg_dump, pg_restore or NATS failed
    └── UnknownXRoadClient              400       translation.xroad_headers — an X-Road client is
                                                  not mapped onto a department of this hub

Every error names what a user needs to fix the input: contract, field path,
reason. tests/unit/test_error_tree.py fails when a public exception class is
defined outside this tree or missing from this picture, a HubError subclass has no code
of its own, its HTTP status is only the root's default (each branch must choose one), or
a retryable class answers with a status that asks the caller to change the request.

An answer that crossed the bus carries only the code
(``hub.service_layer.exchanges.messages.ReplyError``),
so :func:`status_of` and :func:`retryable_of` ask the class that owns a code.
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
    retryable = True


class StoreUnavailable(HubError):
    """Raised when the event store is locked, unreachable or out of connections (try again)."""

    code = "store-unavailable"
    status = 503
    retryable = True
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
    retryable = True


def status_of(code: str) -> int:
    """The HTTP status of a stable error code: that of the HubError class owning the code.

    A code no class owns (a peer's newer code, say) is the hub's failure: 500.
    """
    return _owner(code).status


def retryable_of(code: str) -> bool:
    """Whether the request that failed with ``code`` may succeed later, as its class says.

    A code no class owns is the hub's failure, not known to pass: False.
    """
    return _owner(code).retryable


def _owner(code: str) -> type[HubError]:
    """The HubError class owning ``code`` (the root when none does)."""
    pending: list[type[HubError]] = [HubError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls
        pending.extend(cls.__subclasses__())
    return HubError


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
    "retryable_of",
    "status_of",
]
