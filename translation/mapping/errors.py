"""Errors of the declarative mapping engine, rooted in :mod:`translation.errors`.

AdapterError                       (translation.errors)
├── MappingFileError               the mapping file itself is wrong: bad TOML, unknown key,
│   │                              unknown contract field or legacy path, undeclared lossy
│   │                              transform; ``issues`` name the file and the key
│   ├── RuleError                  (transforms) a transform cannot be built: bad date format,
│   │                              code table value outside the contract's enum
│   ├── PathError                  (paths) bad XPath / JSON Pointer, undeclared prefix
│   ├── FieldPathError             (fields) a dotted path that is not a contract field
│   └── JsonSchemaError            (json_schema) a JSON Schema keyword not supported
├── MappingError                   (translation.errors)
│   └── TransformError             (transforms) one value refused by its transform; the
│                                  plan re-raises it as a MappingError naming the path
└── ProviderError                  (translation.errors)
    └── ProviderRequestInvalid     a request contract cannot be expressed in the provider's
                                   native schema (encode or legacy-schema validation failed);
                                   sending it again cannot help

Per-message problems use the existing classes: :class:`translation.errors.SchemaViolation`
(native schema), :class:`translation.errors.MappingError` (a transform refused a value, e.g.
an unknown code) and :class:`contracts.errors.ContractError` (the contract refused the
mapped data) — their issue paths always name the *legacy* location.
"""

from __future__ import annotations

from translation.errors import AdapterError, ProviderError


class MappingFileError(AdapterError):
    """Raised when a mapping file cannot be loaded or compiled; issues name file and key."""

    code = "mapping-file-error"


class ProviderRequestInvalid(ProviderError):
    """Raised when a request cannot be encoded into the provider's native message."""

    code = "provider-request-invalid"
    retryable = False
