"""The exchange gateway: what every ingress does with a query, whatever its format.

An ingress reads bytes and knows how to decode them; the gateway records the
arrival, the translation or the rejection in one transaction, waits for the
provider's answer, and records completion once the client has its reply.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import structlog

from contracts import Contract, ContractRegistry
from contracts.errors import HubError
from hub.adapters.bus.port import Inbox
from hub.adapters.store.ledger import Arrival, Ledger, Problem, Translation
from hub.domain.digest import digest
from hub.domain.exchange import Exchange
from hub.errors import UnknownServiceError
from hub.service_layer.exchanges.messages import DeliveryReply, DeliveryRequest, ReplyError
from hub.service_layer.exchanges.routed import completed, delivery_request
from hub.service_layer.exchanges.routing import ServiceDefinition, ServiceDirectory
from hub.service_layer.security.decision import AccessPolicy, Decision
from hub.service_layer.security.minimise import partial_model
from hub.service_layer.security.recording import authorised_events
from hub.work import to_thread

log = structlog.get_logger("hub.service_layer.exchanges.gateway")

Decoder = Callable[[ServiceDefinition], Contract]


@dataclass(frozen=True)
class Envelope:
    """Who asks what, as the ingress read it from headers before decoding the body."""

    client: str
    service: str
    correlation_id: str
    ingress: str
    raw: bytes
    purpose: str = ""  # what the client asks for (X-Hub-Purpose; hub.service_layer.security)
    credential: str = ""  # the id (hex) of the credential that proved ``client``, when known


class InlineDeliverer(Protocol):
    """Delivers, in the accepting process, what needs no queue
    (:class:`hub.service_layer.exchanges.delivery.DeliveryWorker`)."""

    def delivers_inline(self, service: str, decision: Decision) -> bool:
        """Whether an exchange for ``service`` under ``decision`` may be delivered here."""

    async def deliver_inline(self, request: DeliveryRequest, version: int,
                             document: dict[str, Any]) -> DeliveryReply | None:
        """Deliver the exchange routed at ``version``: its answer, or None when the answer
        goes to its inbox (the exchange was handed to the queue)."""


@dataclass(frozen=True)
class Answer:
    """The outcome of a query: a response contract, or an error with its code and issues."""

    exchange_id: UUID
    outcome: str  # responded | rejected | failed | dead-lettered | timeout
    service: ServiceDefinition | None
    response: Contract | None = None
    error: ReplyError | None = None
    started: float = 0.0
    version: int | None = None  # the exchange's version once answered (None: unknown)


class Gateway:
    """Runs queries through the ledger and the bus; shared by the JSON and SOAP ingress."""

    def __init__(
        self,
        ledger: Ledger,
        directory: ServiceDirectory,
        registry: ContractRegistry,
        inbox: Inbox,
        wake_relay: Callable[[], None],
        *,
        reply_timeout_s: float,
        policy: AccessPolicy,
        deliverer: InlineDeliverer,
    ) -> None:
        self.ledger = ledger
        # Access rights, purposes and consent (hub.service_layer.security)
        self.policy = policy
        self.directory = directory
        self._registry = registry
        self._inbox = inbox
        self._wake_relay = wake_relay
        self._deliverer = deliverer  # the delivery worker of this process
        self._reply_timeout_s = reply_timeout_s

    async def reject(self, envelope: Envelope, error: HubError) -> Answer:
        """Record a refusal met before the service was known (e.g. payload too large)."""
        started = time.perf_counter()
        exchange_id = await self._record_rejection(self._arrival(envelope, ""), error)
        return Answer(exchange_id, "rejected", None, error=_reply_error(error), started=started)

    async def query(self, envelope: Envelope, decode: Decoder) -> Answer:
        """Decode, record, route, and wait for the provider's answer.

        Every log line of the exchange carries correlation_id, region, department
        (the provider's) and contract (the request contract, once known).
        """
        department, contract = "-", "-"
        if envelope.service in self.directory:
            service = self.directory.get(envelope.service)
            department, contract = service.id.department, str(service.request.contract_id())
        # bind + reset by token restores exactly what was bound before, as
        # bound_contextvars does, without copying the whole context to save it first.
        tokens = structlog.contextvars.bind_contextvars(
            correlation_id=envelope.correlation_id, region=self.directory.region,
            department=department, contract=contract, client=envelope.client,
        )
        try:
            return await self._query(envelope, decode)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)

    async def _query(self, envelope: Envelope, decode: Decoder) -> Answer:
        started = time.perf_counter()
        token = os.urandom(16).hex()  # names the reply subject: unique, nothing more
        arrival = self._arrival(envelope, f"{self._inbox.prefix}.{token}")
        try:
            service = self._offered(envelope.service)
            request = decode(service)
            # The person the request is about, as a pseudonymous reference
            # (hub.adapters.crypto).
            data_subject = self.ledger.keyring.ref_of(request)
            decision = self._authorise(envelope, service, data_subject)
        except HubError as error:
            exchange_id = await self._record_rejection(arrival, error)
            return Answer(exchange_id, "rejected", None, error=_reply_error(error), started=started)
        body = request.model_dump_json().encode()
        translation = Translation(
            contract=str(request.contract_id()),
            document=request.model_dump(mode="json"),
            digest=digest(body),
            provider=str(service.id.provider),
            subject=self.directory.delivery_subject(service),
            data_subject=data_subject,
        )
        future = self._inbox.expect(token)
        inline = self._deliverer.delivers_inline(str(service.id), decision)
        events, routed = authorised_events(arrival, translation, decision, inline=inline)
        exchange_id = routed.originator_id
        await self.ledger.writer.write(events)
        log.info("exchange accepted", exchange_id=str(exchange_id), inline=inline)
        reply = None
        if inline:
            reply = await self._deliver_inline(routed, translation.document)
        else:
            self._wake_relay()
        # the request is sealed in the ledger; the inline delivery used it and is done
        del events, routed, translation
        if reply is not None:  # answered here, not through the inbox
            self._inbox.forget(token)
            return self._answer(exchange_id, service, reply, started)
        try:
            raw_reply = await asyncio.wait_for(future, self._reply_timeout_s)
        except TimeoutError:
            self._inbox.forget(token)
            unanswered = ReplyError(
                code="timeout",
                message=(
                    f"no answer within {self._reply_timeout_s} s; the exchange stays recorded "
                    f"as {exchange_id} and completes in the ledger when the provider answers"
                ),
            )
            return Answer(exchange_id, "timeout", service, error=unanswered, started=started)
        return self._answer(
            exchange_id, service, DeliveryReply.model_validate_json(raw_reply), started
        )

    async def _deliver_inline(self, routed: Exchange.Routed, document: dict[str, Any]
                              ) -> DeliveryReply | None:
        """Deliver the exchange just ``routed`` in this process (hub.service_layer.exchanges.
        inline): its answer, or None when it comes to the inbox like a queued one's (handed
        over to the queue for a retry). Should it break, the exchange stays claimed: the
        relay publishes it once the claim's grace period ends."""
        try:
            return await self._deliverer.deliver_inline(delivery_request(routed),
                                                        routed.originator_version, document)
        except Exception:
            log.exception("inline delivery broke; the relay publishes the exchange after "
                          "its grace period", exchange_id=str(routed.originator_id))
            return None

    def _authorise(
        self, envelope: Envelope, service: ServiceDefinition, data_subject: str
    ) -> Decision:
        """The access decision (hub.service_layer.security).

        Taken on the event loop: it reads only the in-memory read models, so a thread
        hand-off would cost more than the decision. The one store write it may make
        (recording a consent found expired) happens once per consent, like the
        authenticator's catch-up for a token not known yet.
        """
        return self.policy.decide(
            envelope.client, service, envelope.purpose, data_subject, ingress=envelope.ingress,
        )

    def _offered(self, service_id: str) -> ServiceDefinition:
        """A service clients may query; notification deliveries are reached only by issuing."""
        if self.directory.is_internal(service_id):
            raise UnknownServiceError(service_id, sorted(str(s.id) for s in self.directory))
        return self.directory.get(service_id)

    async def complete(self, answer: Answer, reply: bytes) -> None:
        """Record that the client received ``reply`` (its own format).

        Ingresses call it once the reply is written, off the client's latency. Where
        the answer gave the exchange's version, ``Completed`` is handed to the group-
        commit writer as the event after it (no load) and not waited for, so a
        keep-alive connection is free for its next request at once; it shares a
        transaction with other exchanges' writes, and a failure is logged.
        """
        latency_ms = (time.perf_counter() - answer.started) * 1000
        reply_digest = digest(reply)
        if answer.version is not None:
            event = completed(answer.exchange_id, answer.version, reply_digest=reply_digest,
                              latency_ms=latency_ms)
            self.ledger.writer.write_soon([event]).add_done_callback(
                lambda written: _log_unrecorded(answer.exchange_id, written.exception()))
            return
        try:
            await to_thread(self.ledger.record_completed, answer.exchange_id,
                            reply_digest=reply_digest, latency_ms=latency_ms)
        except HubError as error:  # e.g. completed already by a replayed answer
            _log_unrecorded(answer.exchange_id, error)

    def _answer(
        self, exchange_id: UUID, service: ServiceDefinition, reply: DeliveryReply, started: float
    ) -> Answer:
        if reply.outcome != "responded" or reply.document is None or reply.contract is None:
            return Answer(exchange_id, reply.outcome, service, error=reply.error, started=started)
        version = reply.version
        # The answer holds only what the purpose may see (hub.service_layer.security.minimise).
        model = partial_model(self._registry.get(reply.contract))
        return Answer(
            exchange_id,
            "responded",
            service,
            response=model.model_validate(reply.document),
            started=started,
            version=version,
        )

    async def _record_rejection(self, arrival: Arrival, error: HubError) -> UUID:
        problem = Problem(error.code, error.message, [i.as_dict() for i in error.issues])
        exchange = self.ledger.rejected(arrival, problem)
        await self.ledger.append(exchange)
        exchange_id = exchange.id
        log.info(
            "exchange rejected", exchange_id=str(exchange_id), code=error.code, reason=error.message
        )
        return exchange_id

    @staticmethod
    def _arrival(envelope: Envelope, reply_to: str) -> Arrival:
        return Arrival(
            client=envelope.client,
            service=envelope.service,
            correlation_id=envelope.correlation_id,
            ingress=envelope.ingress,
            payload_digest=digest(envelope.raw),
            payload_size=len(envelope.raw),
            reply_to=reply_to,
            credential=envelope.credential,
        )


def _log_unrecorded(exchange_id: UUID, error: BaseException | None) -> None:
    """Log a completion the ledger did not take (the client has its answer regardless)."""
    if error is None:
        return
    log.warning("completion not recorded", exchange_id=str(exchange_id),
                code=getattr(error, "code", type(error).__name__), reason=str(error))


def _reply_error(error: HubError) -> ReplyError:
    return ReplyError(
        code=error.code, message=error.message, issues=[i.as_dict() for i in error.issues]
    )
