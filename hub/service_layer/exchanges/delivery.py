"""The delivery worker: a durable consumer per provider department.

For each delivery request it loads the exchange from the ledger (where the
request is sealed under the data subject's key), calls the provider through
its adapter, records the outcome, and only then acknowledges the message
(consumers acknowledge only what they have recorded). A crash before the ack
means a redelivery; a redelivery of an
exchange already settled is recognised from the ledger and not applied twice,
and two deliveries racing on one exchange record one outcome (the loser's
save fails its version check or its state check and it settles as duplicate).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, cast
from uuid import UUID

import structlog

from contracts import Contract
from contracts.errors import HubError
from hub.adapters.bus.port import Bus, Delivery
from hub.adapters.crypto.envelope import is_erased
from hub.adapters.crypto.errors import PersonalDataErasedError
from hub.adapters.store.ledger import Ledger
from hub.domain.digest import digest
from hub.domain.errors import ExchangeConflictError, ExchangeStateError
from hub.domain.exchange import Exchange, Status
from hub.errors import UnknownServiceError
from hub.service_layer.exchanges.inline import InlineDelivery
from hub.service_layer.exchanges.messages import DeliveryReply, DeliveryRequest, ReplyError
from hub.service_layer.exchanges.routed import RoutedExchange
from hub.service_layer.exchanges.routing import ServiceDirectory
from hub.service_layer.security.decision import REMOTE, AccessPolicy, Decision
from hub.service_layer.security.minimise import disclosed_document, minimise
from hub.service_layer.security.recording import record_disclosed_response, record_notified
from hub.work import to_thread
from translation.attachments import CarriesDocuments, DocumentAttachments
from translation.port import ProviderAdapter

log = structlog.get_logger("hub.service_layer.exchanges.delivery")

_LOST_RACE = (ExchangeConflictError, ExchangeStateError)


class DeadLetterSink(Protocol):
    """Where exchanges that exhausted their attempts go
    (:class:`hub.service_layer.exchanges.dead_letters.DeadLetters`)."""

    async def publish(self, exchange: Exchange) -> None: ...


# The documents of one exchange as its provider's adapter sends and receives them
# (hub.service_layer.documents.attachments.ExchangeDocuments.of, wired by the bootstrap).
AttachmentsOf = Callable[[Exchange | RoutedExchange], DocumentAttachments]


class DeliveryWorker:
    """Delivers exchanges to providers; one instance serves every department of a hub."""

    def __init__(
        self,
        ledger: Ledger,
        bus: Bus,
        adapters: Mapping[str, ProviderAdapter],
        *,
        max_deliver: int,
        backoff_s: float,
        policy: AccessPolicy,
        directory: ServiceDirectory,
        dead_letters: DeadLetterSink,
        attachments: AttachmentsOf | None = None,
        inline: bool,
    ) -> None:
        self._ledger = ledger
        self._attachments = attachments
        # re-checks rights and consent before each call (hub.service_layer.security)
        self._policy = policy
        self._directory = directory
        self._bus = bus
        self._adapters = adapters
        self._max_deliver = max_deliver
        self._backoff_s = backoff_s
        self._dead_letters = dead_letters
        self._inline = inline  # deliver what this process accepts (HUB_INLINE_DELIVERY)

    async def handle(self, delivery: Delivery) -> None:
        """Settle one delivery: answered, failed for good, or scheduled for retry."""
        request = DeliveryRequest.model_validate_json(delivery.data)
        if delivery.attempt <= request.attempts_before:
            # An inline delivery made the first attempts: this delivery only waits out their
            # backoff, so the stream's count of deliveries is the attempt number after it.
            await delivery.retry(self._backoff_s * 2 ** (delivery.attempt - 1))
            return
        region, department, _ = request.service.split("/", 2)
        with structlog.contextvars.bound_contextvars(
            correlation_id=request.correlation_id,
            exchange_id=request.exchange_id,
            region=region,
            department=department,
        ):
            routed = await self._routed(request, delivery)
            if routed is not None:
                structlog.contextvars.bind_contextvars(contract=routed.contract)
                await self._deliver(routed, delivery)
                return
            exchange = await self._load(request)
            structlog.contextvars.bind_contextvars(contract=exchange.contract)
            if exchange.status is not Status.ROUTED:
                await self._settle_duplicate(exchange, delivery)
                return
            await self._deliver(exchange, delivery)

    def delivers_inline(self, service: str, decision: Decision) -> bool:
        """Whether the process accepting an exchange for ``service`` under ``decision`` may
        deliver it itself (:mod:`.inline`): a provider of this region with its adapter
        here, and nothing the worker would load (a consent to use, a subscription)."""
        return (self._inline and service in self._adapters and not decision.consent_id
                and decision.basis != REMOTE and self._subscription(service) is None
                and service.split("/", 1)[0] == self._directory.region)

    async def deliver_inline(self, request: DeliveryRequest, version: int,
                             document: dict[str, Any]) -> DeliveryReply | None:
        """Deliver an exchange this process just routed (``inline=True``) at ``version``,
        settling it as a first delivery would, and return its answer (None: handed over to
        the queue for another attempt, whose answer goes to the exchange's reply subject).
        The answer is handed back as it is: the caller waits in this process, so there is
        nothing to serialise."""
        subject = self._directory.delivery_subject(self._directory.get(request.service))
        delivery = InlineDelivery(request, self._bus, self._directory.region, subject)
        # bind + reset by token restores exactly what was bound before, as
        # bound_contextvars does, without copying the whole context to save it first
        # (a visible share of an inline query's CPU).
        tokens = structlog.contextvars.bind_contextvars(exchange_id=request.exchange_id)
        try:
            await self._deliver(RoutedExchange.of(request, version, document), delivery)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)
        return delivery.reply

    async def _routed(self, request: DeliveryRequest, delivery: Delivery) -> RoutedExchange | None:
        """The exchange at its routed version, without rebuilding it, for a first delivery
        whose request carries the version; None where the exchange must be loaded: a
        redelivery (it may be settled already), a consent to use, a notification."""
        if request.version is None or delivery.attempt != 1:
            return None
        if (request.authorisation or {}).get("consent_id") or self._subscription(
                request.service) is not None:
            return None
        document = await to_thread(self._ledger.request_document, UUID(request.exchange_id))
        if document is None:
            return None
        return RoutedExchange.of(request, request.version, document)

    async def _deliver(self, exchange: Exchange | RoutedExchange, delivery: Delivery) -> None:
        adapter = self._adapters.get(exchange.service)
        if adapter is None:
            known = sorted(self._adapters)
            await self._failed(exchange, delivery, UnknownServiceError(exchange.service, known))
            return
        try:
            decision = await self._recheck_access(exchange)
        except HubError as refusal:
            await self._failed(exchange, delivery, refusal)
            return
        if exchange.request is not None and is_erased(exchange.request):  # forgotten, or expired
            erased = PersonalDataErasedError(f"the request of exchange {exchange.id}",
                                             exchange.request)
            await self._failed(exchange, delivery, erased)
            return
        started = time.perf_counter()
        try:
            query = adapter.request_contract.model_validate(exchange.request)
            answer = await self._call(adapter, query, exchange)
        except HubError as exc:  # the provider's, the contract's, or a document's refusal
            await self._failed(exchange, delivery, exc)
            return
        provider_ms = (time.perf_counter() - started) * 1000
        try:
            shown = await self._record_response(exchange, delivery, answer, provider_ms, decision)
        except _LOST_RACE:
            await self._settle_duplicate(await self._reload(exchange), delivery)
            return
        log.info("exchange responded", attempt=delivery.attempt, provider_ms=round(provider_ms, 1))
        await self._reply(
            exchange, delivery,
            DeliveryReply(
                exchange_id=str(exchange.id),
                outcome="responded",
                contract=str(answer.contract_id()),
                document=shown,
                version=exchange.version if isinstance(exchange, RoutedExchange) else None,
            ),
        )
        await delivery.ack()

    async def _call(self, adapter: ProviderAdapter, query: Contract,
                    exchange: Exchange | RoutedExchange) -> Contract:
        """The provider's answer; an adapter carrying documents gets the exchange's."""
        # An attribute read, not isinstance on the runtime-checkable protocol: that checks
        # every member of the protocol on every call (0.8 % of a query's CPU in a profile).
        if self._attachments is not None and getattr(adapter, "carries_documents", False):
            carrier = cast(CarriesDocuments, adapter)
            return await carrier.call(query, correlation_id=exchange.correlation_id,
                                      attachments=self._attachments(exchange))
        return await adapter.call(query, correlation_id=exchange.correlation_id)

    async def _failed(
        self, exchange: Exchange | RoutedExchange, delivery: Delivery, exc: HubError
    ) -> None:
        retryable = exc.retryable
        give_up = retryable and delivery.attempt >= self._max_deliver
        try:
            settled = await to_thread(
                self._ledger.record_failure,
                exchange.id,
                attempt=delivery.attempt,
                code=exc.code,
                reason=exc.message,
                retryable=retryable,
                give_up=give_up,
            )
        except _LOST_RACE:
            await self._settle_duplicate(await self._reload(exchange), delivery)
            return
        log.warning(
            "delivery failed",
            attempt=delivery.attempt,
            code=exc.code,
            reason=exc.message,
            retryable=retryable,
            dead_lettered=give_up,
        )
        if retryable and not give_up:
            await delivery.retry(self._backoff_s * 2 ** (delivery.attempt - 1))
            return
        if give_up:
            await self._dead_letters.publish(settled)  # before the ack: a redelivery re-sends
        await self._reply(
            exchange, delivery,
            DeliveryReply(
                exchange_id=str(exchange.id),
                outcome="dead-lettered" if give_up else "failed",
                error=ReplyError(
                    code=exc.code, message=exc.message, issues=[i.as_dict() for i in exc.issues]
                ),
            ),
        )
        await delivery.ack()

    async def _settle_duplicate(self, exchange: Exchange, delivery: Delivery) -> None:
        """A redelivery of an exchange already settled: re-send the answer, apply nothing."""
        log.info(
            "redelivery of a settled exchange ignored",
            status=exchange.status.value,
            attempt=delivery.attempt,
        )
        if exchange.status is Status.DEAD_LETTERED:
            await self._dead_letters.publish(exchange)  # idempotent: same message id
        if exchange.status is Status.RESPONDED and exchange.response is not None:
            await self._reply(
                exchange, delivery,
                DeliveryReply(
                    exchange_id=str(exchange.id),
                    outcome="responded",
                    contract=exchange.response_contract,
                    document=_shown(exchange),
                ),
            )
        await delivery.ack()

    async def _record_response(
        self,
        exchange: Exchange | RoutedExchange,
        delivery: Delivery,
        answer: Contract,
        provider_ms: float,
        decision: Decision | None,
    ) -> dict[str, Any]:
        """Record the answer; return what the client may be sent (minimised when decided)."""
        document = disclosed_document(answer)  # a peer's answer may already be minimised
        body_digest = digest(answer.model_dump_json().encode())
        if isinstance(exchange, RoutedExchange):
            disclosed = decision if decision is not None and decision.basis != REMOTE else None
            events = exchange.responded(
                attempt=delivery.attempt, contract=str(answer.contract_id()), document=document,
                digest=body_digest, provider_ms=provider_ms, disclosed=disclosed)
            await self._ledger.writer.write(events)
            return document if disclosed is None else minimise(document, disclosed.fields)
        if decision is not None and decision.basis != REMOTE:
            return await to_thread(
                record_disclosed_response, self._ledger, exchange.id, decision,
                attempt=delivery.attempt, contract=str(answer.contract_id()),
                document=document, digest=body_digest, provider_ms=provider_ms,
            )
        subscription = self._subscription(exchange.service)
        if decision is None and exchange.data_subject and subscription is not None:
            await to_thread(
                record_notified, self._ledger, exchange.id, attempt=delivery.attempt,
                contract=str(answer.contract_id()), document=document, digest=body_digest,
                provider_ms=provider_ms, subscription=subscription,
            )
            return document
        await to_thread(
            self._ledger.record_response,
            exchange.id,
            attempt=delivery.attempt,
            contract=str(answer.contract_id()),
            document=document,
            digest=body_digest,
            provider_ms=provider_ms,
        )
        return document

    def _subscription(self, service: str) -> str | None:
        """For a subscriber's notification delivery (hub.service_layer.notifications): the
        subscription it
        receives the record under, as declared; None for every other service."""
        if not self._directory.is_internal(service):
            return None
        return self._directory.get(service).description

    async def _load(self, request: DeliveryRequest) -> Exchange:
        return await to_thread(self._ledger.get, UUID(request.exchange_id))

    async def _reload(self, exchange: Exchange | RoutedExchange) -> Exchange:
        return await to_thread(self._ledger.get, exchange.id)

    async def _reply(self, exchange: Exchange | RoutedExchange, delivery: Delivery,
                     reply: DeliveryReply) -> None:
        if isinstance(delivery, InlineDelivery):  # its caller waits for it here
            delivery.reply = reply
            return
        if exchange.reply_to:
            await self._bus.send(exchange.reply_to, reply.model_dump_json().encode())

    # --- access re-check (hub.service_layer.security): right and consent again, before the provider
    # ---
    async def _recheck_access(self, exchange: Exchange | RoutedExchange) -> Decision | None:
        """The decision as of now; raises AccessRevoked/ConsentRevoked (non-retryable).

        None for exchanges recorded without a decision (notification deliveries,
        exchanges from before access control), which are delivered as before.
        """
        authorisation = getattr(exchange, "authorisation", None)
        if authorisation is None:
            return None
        service = self._directory.get(exchange.service)
        if not authorisation.get("consent_id"):
            # Rights come from the in-memory read model: no store read, no thread hand-off.
            return self._policy.recheck(
                exchange.client, service, authorisation, exchange.data_subject)
        # A consent may have run out since: recording that it expired is a store write.
        return await to_thread(
            self._policy.recheck, exchange.client, service, authorisation, exchange.data_subject
        )
    # --- end access re-check ---


def _shown(exchange: Exchange) -> dict[str, Any] | None:
    """The recorded answer as the client may see it (its Disclosed fields only)."""
    fields = getattr(exchange, "disclosed_fields", None)
    if exchange.response is None or fields is None:
        return exchange.response
    return minimise(exchange.response, fields)
