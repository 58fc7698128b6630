"""The document errors, re-exported for the use cases' callers (defined beside the store,
which raises some of them: :mod:`hub.adapters.documents.errors`)."""

from hub.adapters.documents.errors import (
    ActiveContentRefused,
    DocumentErased,
    DocumentError,
    DocumentLinkRefused,
    DocumentNotFound,
    DocumentRefused,
    DocumentStoreError,
    DocumentTampered,
    DocumentTooLarge,
    MediaTypeRefused,
    UploadOffsetError,
)

__all__ = [
    "ActiveContentRefused", "DocumentErased", "DocumentError", "DocumentLinkRefused",
    "DocumentNotFound", "DocumentRefused", "DocumentStoreError", "DocumentTampered",
    "DocumentTooLarge", "MediaTypeRefused", "UploadOffsetError",
]
