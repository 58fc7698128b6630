"""The federation ingress: queries from other regions' hubs, over NATS request/reply.

It does for a peer hub what the JSON ingress does for a local client: the
request contract arrives as JSON on ``fed.<region>.query.<department>.<service>``,
the client department in the ``Hub-Client`` header, and the gateway records
the exchange in *this* region's ledger (ingress ``federation``, client the
remote department id) — so this region's access rights and consent, when they
come, apply to remote clients as they do to local ones. The reply is a
:class:`hub.adapters.peers.messages.RemoteAnswer`: the response contract, or the
refusal with its code and issues.

A peer hub speaks only for its own departments: the client must be a
department of the region named in ``Hub-Origin-Region``, which must be a peer,
and never of this region. (Nothing yet proves the origin: that comes with
per-region NATS credentials and the trust list.)

A query with the ``Hub-Attest-Answer`` header is one whose answer the asking region will
recognise (a case step that a later step recognises): when it is answered, the
:class:`~hub.service_layer.federation.answers.AnswerAttester` issues the answer as an
attested record and sends the attestation to the asker before the reply goes, so the
attestation is on its way when the asker reads the answer.
"""

from __future__ import annotations

import functools

import structlog

from contracts import Contract
from contracts.identity import DepartmentId, IdentifierError
from hub.adapters.peers import subjects
from hub.adapters.peers.connection import LinkConnection, Reply, Request
from hub.adapters.peers.errors import RemoteClientError
from hub.adapters.peers.messages import LinkProblem, RemoteAnswer
from hub.service_layer.exchanges.correlation import checked_correlation, correlation_or_new
from hub.service_layer.exchanges.gateway import Answer, Envelope, Gateway
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.service_layer.federation.answers import AnswerAttester
from hub.service_layer.security.minimise import disclosed_document
from translation.json_codec import decode_json

log = structlog.get_logger("hub.adapters.peers")

INGRESS = "federation"


class FederationIngress:
    """Answers peers' queries through this region's gateway."""

    def __init__(self, connection: LinkConnection, gateway: Gateway, peers: tuple[str, ...],
                 attester: AnswerAttester | None) -> None:
        self._connection = connection
        self._gateway = gateway
        self._region = gateway.directory.region
        self._peers = frozenset(peers)
        self._attester = attester  # None: the region runs no federation transport

    async def start(self) -> None:
        """Listen on ``fed.<region>.query.>`` (a queue group: several hub workers share it)."""
        await self._connection.serve(
            subjects.query_filter(self._region),
            self.answer,
            queue=f"interop-hub-{self._region}-federation",
        )

    async def answer(self, request: Request) -> bytes | Reply:
        """Record and run one peer's query; the reply bytes for the peer."""
        headers = request.headers
        client = headers.get(subjects.CLIENT_HEADER, "")
        origin = headers.get(subjects.ORIGIN_HEADER, "")
        named = headers.get(subjects.CORRELATION_HEADER)
        correlation_id = correlation_or_new(named)
        parsed = subjects.parse_query(request.subject, self._region)
        service = f"{self._region}/{parsed[0]}/{parsed[1]}" if parsed else request.subject
        envelope = Envelope(
            client or "unknown", service, correlation_id, INGRESS, request.data,
            purpose=headers.get(subjects.PURPOSE_HEADER, ""),
        )

        def decode(definition: ServiceDefinition) -> Contract:
            checked_correlation(named, path=f"header:{subjects.CORRELATION_HEADER}")
            self._check_client(client, origin)
            return decode_json(definition.request, request.data)

        with structlog.contextvars.bound_contextvars(
            origin_region=origin, peer_exchange_id=headers.get(subjects.EXCHANGE_HEADER, "")
        ):
            answer = await self._gateway.query(envelope, decode)
        reply = _remote_answer(answer).model_dump_json().encode()
        if answer.response is None:
            return reply
        if subjects.ATTEST_HEADER in headers and answer.service is not None:
            await self._attest(origin, headers.get(subjects.EXCHANGE_HEADER, ""),
                               answer.service.id.department, answer.response)
        # Completed ("the peer has its answer") once the reply is sent, off its latency.
        return Reply(reply, then=functools.partial(self._gateway.complete, answer, reply))

    async def _attest(self, origin: str, exchange_id: str, department: str,
                      response: Contract) -> None:
        if self._attester is None or not exchange_id or origin not in self._peers:
            log.warning("answer not attested: no federation transport, asking exchange or "
                        "peer", origin_region=origin, peer_exchange_id=exchange_id)
            return
        await self._attester.attest(origin, exchange_id, department, response)

    def _check_client(self, client: str, origin: str) -> None:
        if not client:
            raise RemoteClientError(client, f"is missing: name it in the {subjects.CLIENT_HEADER} "
                                            "header as region/department")
        try:
            department = DepartmentId.parse(client)
        except IdentifierError as exc:
            raise RemoteClientError(client, exc.message) from None
        if department.region == self._region:
            raise RemoteClientError(
                client, f"is a department of {self._region}: a peer may not speak for it"
            )
        if department.region not in self._peers:
            raise RemoteClientError(client, f"is of region {department.region}, not a peer")
        if department.region != origin:
            raise RemoteClientError(
                client, f"is not a department of the asking region {origin or '(unnamed)'}"
            )


def _remote_answer(answer: Answer) -> RemoteAnswer:
    if answer.response is not None:
        return RemoteAnswer(
            exchange_id=str(answer.exchange_id),
            outcome="responded",
            contract=str(answer.response.contract_id()),
            document=disclosed_document(answer.response),  # minimised (hub.service_layer.security)
        )
    error = answer.error
    outcome = answer.outcome if answer.outcome != "responded" else "failed"
    return RemoteAnswer(
        exchange_id=str(answer.exchange_id),
        outcome=outcome,  # type: ignore[arg-type]
        error=LinkProblem(
            code=error.code if error else "hub-error",
            message=error.message if error else "no answer",
            issues=error.issues if error else [],
        ),
    )
