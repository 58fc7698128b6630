"""What goes wrong with documents, rooted in :class:`contracts.errors.HubError`.

HubError
└── DocumentError                 400  any problem with a document
    ├── DocumentRefused           400  refused at the door (each refusal is recorded)
    │   ├── DocumentTooLarge      413  more bytes than the service accepts
    │   ├── MediaTypeRefused      415  the bytes are of a type the service does not accept
    │   ├── ActiveContentRefused  422  a PDF carries JavaScript or an embedded file
    │   ├── UploadOffsetError     409  a resumed chunk does not start where the upload stands
    │   └── DocumentDigestMismatch 422 bytes fetched from another region are not the attested ones
    ├── DocumentNotFound          404  no document (or upload) with that id
    ├── DocumentErased            410  its subject was forgotten: the bytes cannot be opened
    ├── DocumentTampered          500  the stored bytes fail authentication or their digest
    ├── DocumentStoreError        503  the Object Store failed (retry)
    └── DocumentLinkRefused       403  a download link is expired, altered or not the caller's
"""

from __future__ import annotations

from contracts.errors import FieldIssue, HubError


class DocumentError(HubError):
    """Raised for any problem with a document; ``issues`` name the field and the reason."""

    code = "document-error"
    status = 400

    def __init__(self, message: str, *, field: str = "document", path: str = "document",
                 issue: str | None = None) -> None:
        super().__init__(message, issues=(FieldIssue(path, message, issue or self.code,
                                                     field),))


class DocumentRefused(DocumentError):
    """Raised when a document is refused at the door; the refusal is recorded as an event."""

    code = "document-refused"


class DocumentTooLarge(DocumentRefused):
    """Raised when a document has more bytes than its service accepts."""

    code = "document-too-large"
    status = 413


class MediaTypeRefused(DocumentRefused):
    """Raised when the bytes' sniffed media type is not on the service's allow-list."""

    code = "document-media-type"
    status = 415


class ActiveContentRefused(DocumentRefused):
    """Raised when a PDF carries JavaScript or an embedded file the service does not allow."""

    code = "document-active-content"
    status = 422


class UploadOffsetError(DocumentRefused):
    """Raised when a chunk of a resumable upload does not start at the bytes received so far."""

    code = "upload-offset"
    status = 409
    offset = 0  # the offset to resume from


class DocumentDigestMismatch(DocumentRefused):
    """Raised when a document fetched from its issuing region differs from the size or
    SHA-256 signed in the attestation (nothing of it is stored; the refusal is recorded)."""

    code = "document-digest-mismatch"
    status = 422


class DocumentNotFound(DocumentError):
    """Raised when no document (or upload session) has the id asked for."""

    code = "document-not-found"
    status = 404


class DocumentErased(DocumentError):
    """Raised when a document's subject was forgotten: its key is destroyed."""

    code = "document-erased"
    status = 410


class DocumentTampered(DocumentError):
    """Raised when stored bytes fail authentication, or their digest is not the recorded one."""

    code = "document-tampered"
    status = 500


class DocumentStoreError(DocumentError):
    """Raised when the Object Store cannot be reached or fails (the same request may pass)."""

    code = "document-store"
    status = 503
    retryable = True


class DocumentLinkRefused(DocumentError):
    """Raised when a download link is expired, altered, or presented by another department."""

    code = "document-link-refused"
    status = 403
