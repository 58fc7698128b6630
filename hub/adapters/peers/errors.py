"""Errors of region links, in the federation branch of the tree.

    HubError
    └── FederationError                 federation.errors
        └── LinkError                   a link to a peer region failed or was misused
            ├── PeerUnreachable         no hub of the peer region answered in time
            ├── PeerAnswerInvalid       a peer's answer is not a message this hub understands
            ├── CatalogueError          a peer's service catalogue cannot be used
            ├── RemoteClientError       a cross-region query names a client it may not use
            └── PeerDocumentError       an attested document could not be fetched from its issuer

    HubError
    └── AdapterError / ProviderError / ProviderFault      translation.errors
        └── RemoteRefusal               the peer region answered a query with a refusal

A cross-region query that fails on the way to the peer is *not* raised as a
``LinkError`` out of the delivery worker: :mod:`hub.adapters.peers.remote_adapter`
translates it into the provider errors the worker already understands
(``ProviderUnavailable`` is retried, then dead-lettered).
"""

from __future__ import annotations

from contracts.errors import FieldIssue
from federation.errors import FederationError
from translation.errors import ProviderFault


class LinkError(FederationError):
    """Raised when a link to a peer region fails or is used in a way it does not allow."""

    code = "link-error"


class PeerUnreachable(LinkError):
    """Raised when no hub of a peer region answers a request (link cut, hub down, timeout)."""

    code = "peer-unreachable"
    status = 503  # the link or the peer's hub failed, not the caller's request
    retryable = True

    def __init__(self, region: str, subject: str, why: str) -> None:
        super().__init__(f"region {region} unreachable: {why} (on {subject})")
        self.region = region
        self.subject = subject


class PeerAnswerInvalid(LinkError):
    """Raised when a peer's answer cannot be read as the message it should be."""

    code = "peer-answer-invalid"

    def __init__(self, region: str, what: str, why: str) -> None:
        super().__init__(f"region {region} sent an unreadable {what}: {why}")
        self.region = region


class CatalogueError(LinkError):
    """Raised when a peer's service catalogue names a service this hub cannot use."""

    code = "catalogue-error"


class RemoteClientError(LinkError):
    """Raised when a cross-region query's client is missing, malformed or not of a peer."""

    code = "remote-client"

    def __init__(self, client: str, reason: str) -> None:
        super().__init__(
            f"client {client!r} {reason}",
            issues=(FieldIssue(path="header:Hub-Client", reason=reason, code=self.code,
                               field="client"),),
        )
        self.client = client


class RemoteRefusal(ProviderFault):
    """Raised (to the delivery worker) when the peer region answered with an error.

    It carries the peer's own code and issues, so the asking client sees the
    same reason (``unknown-service``, ``contract-violation``...) as a client of
    the peer would. Not retryable: the peer already retried its own provider.
    """

    code = "remote-refusal"

    def __init__(
        self, region: str, code: str, message: str, issues: tuple[FieldIssue, ...] = ()
    ) -> None:
        super().__init__(f"region {region}: {message}", retryable=False, issues=issues)
        self.code = code
        self.region = region


class PeerDocumentError(LinkError):
    """Raised when an attested document cannot be fetched from its issuing region (refused,
    a message lost or out of order, no answer in time); ``issue`` says which."""

    code = "peer-document"
    status = 502

    def __init__(self, message: str, *, issue: str = "peer-document") -> None:
        super().__init__(message, issues=(FieldIssue("documents", message, issue, "link"),))
