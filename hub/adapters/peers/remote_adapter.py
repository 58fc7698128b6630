"""The provider adapter for a service of another region: a NATS request to that region's hub.

The delivery worker calls it like any provider adapter. The peer's hub records
its own side of the exchange (:mod:`hub.entrypoints.nats.peer_ingress`) and answers with the
response contract or the error; this adapter turns that answer into what the
worker understands:

==========================================  =========================================
what happened                               raised / returned
==========================================  =========================================
the peer answered with the response         the response contract
no hub of the peer region listens, or the   ``ProviderUnavailable`` (retried with
answer did not come in time                 backoff, then dead-lettered)
the peer's own provider did not answer in   ``ProviderUnavailable``
time (its outcome ``timeout``)
the peer refused, failed or dead-lettered   ``RemoteRefusal`` with the peer's code
an answer that is not a ``RemoteAnswer``    ``ProviderResponseInvalid``
==========================================  =========================================

The client and the asking exchange travel in headers; the worker's port has no
place for them, so :func:`calling_for` puts them in a context variable around
each delivery of a remote exchange
(:func:`hub.service_layer.federation.forwarding.for_remote_calls`).

The adapter needs only the service's id and contracts (:class:`RemoteService`),
and is given the shape of a minimised response (``disclosed``): the peer cuts
its answer down to what the client's purpose may see, so fields may be absent.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from pydantic import ValidationError

from contracts import Contract
from contracts.errors import ContractError, FieldIssue
from contracts.identity import ServiceId
from contracts.validation import validate_contract
from hub.adapters.peers import subjects
from hub.adapters.peers.connection import LinkConnection
from hub.adapters.peers.errors import PeerUnreachable, RemoteRefusal
from hub.adapters.peers.messages import RemoteAnswer
from translation.errors import ProviderError, ProviderResponseInvalid, ProviderUnavailable


@dataclass(frozen=True)
class RemoteCall:
    """Which exchange a remote call is made for, and on whose behalf."""

    exchange_id: str
    client: str
    purpose: str = ""  # forwarded to the peer, whose hub decides on it
    attest: bool = False  # ask the peer to issue its answer as an attested record


_CURRENT: contextvars.ContextVar[RemoteCall | None] = contextvars.ContextVar(
    "interop_hub_remote_call", default=None
)


@contextlib.contextmanager
def calling_for(exchange_id: str, client: str, purpose: str = "",
                attest: bool = False) -> Iterator[None]:
    """Within the block, remote adapters call on behalf of ``client`` for ``exchange_id``."""
    token = _CURRENT.set(RemoteCall(exchange_id, client, purpose, attest))
    try:
        yield
    finally:
        _CURRENT.reset(token)


class RemoteService(Protocol):
    """What a remote adapter needs of the peer's service it calls."""

    @property
    def id(self) -> ServiceId: ...

    @property
    def request(self) -> type[Contract]: ...

    @property
    def response(self) -> type[Contract]: ...


class RemoteHubAdapter:
    """Calls ``region/department/service`` of a peer through the peer's hub."""

    def __init__(
        self,
        service: RemoteService,
        connection: LinkConnection,
        *,
        disclosed: type[Contract],
        origin: str,
        timeout_s: float,
    ) -> None:
        self.request_contract = service.request
        self.response_contract = service.response
        self._disclosed = disclosed  # the response with every field optional
        self._service = service
        self._peer = service.id.region
        self._subject = subjects.query(self._peer, service.id.department, service.id.service)
        self._connection = connection
        self._origin = origin
        self._timeout_s = timeout_s

    async def call(self, request: Contract, *, correlation_id: str) -> Contract:
        """Ask the peer's hub; see the module docstring for what each outcome becomes."""
        context = _CURRENT.get()
        if context is None:
            raise ProviderError(
                f"{self._service.id}: a remote call needs its exchange (see calling_for)"
            )
        headers = {
            subjects.CLIENT_HEADER: context.client,
            subjects.CORRELATION_HEADER: correlation_id,
            subjects.EXCHANGE_HEADER: context.exchange_id,
            subjects.ORIGIN_HEADER: self._origin,
        }
        if context.purpose:
            headers[subjects.PURPOSE_HEADER] = context.purpose
        if context.attest:
            headers[subjects.ATTEST_HEADER] = "record"
        try:
            msg = await self._connection.request(
                self._peer,
                self._subject,
                request.model_dump_json().encode(),
                timeout_s=self._timeout_s,
                headers=headers,
            )
        except PeerUnreachable as exc:
            raise ProviderUnavailable(exc.message) from None
        return self._outcome(_read(self._peer, msg.data))

    def _outcome(self, answer: RemoteAnswer) -> Contract:
        if answer.outcome == "responded" and answer.document is not None:
            expected = str(self.response_contract.contract_id())
            if answer.contract != expected:
                raise ProviderResponseInvalid(
                    f"region {self._peer} answered {answer.contract}, expected {expected}"
                )
            try:
                return validate_contract(self.response_contract, answer.document)
            except ContractError:
                # Minimised by the peer for the client's purpose: fields may be absent.
                return validate_contract(self._disclosed, answer.document)
        error = answer.error
        message = error.message if error else f"outcome {answer.outcome} without a reason"
        if answer.outcome == "timeout":
            raise ProviderUnavailable(f"region {self._peer}: {message}")
        issues = tuple(
            FieldIssue(
                path=str(i.get("path") or "$"),
                reason=str(i.get("reason") or ""),
                code=str(i.get("code") or "remote"),
                field=i.get("field"),
            )
            for i in (error.issues if error else [])
        )
        raise RemoteRefusal(self._peer, error.code if error else answer.outcome, message, issues)

    async def aclose(self) -> None:
        """Nothing to close: the link connection belongs to
        :class:`hub.bootstrap.peers.RegionLinks`."""


def _read(peer: str, data: bytes) -> RemoteAnswer:
    try:
        return RemoteAnswer.model_validate_json(data)
    except ValidationError as exc:
        raise ProviderResponseInvalid(
            f"region {peer} sent an unreadable answer: {exc.errors(include_url=False)[:2]}"
        ) from None
