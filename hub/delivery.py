"""The delivery worker: a durable consumer per provider department.

For each delivery request it calls the provider through its adapter, records
the outcome in the ledger, and only then acknowledges the message (DESIGN §4),
so a crash before the ack means a redelivery, and a redelivery of an exchange
already answered is recognised from the ledger and not applied twice.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from uuid import UUID

import structlog

from adapters.errors import ProviderError
from adapters.port import ProviderAdapter
from contracts.errors import ContractError, HubError
from hub.bus.port import Bus, Delivery
from hub.digest import digest
from hub.domain.errors import ExchangeConflictError
from hub.domain.exchange import Exchange, Status
from hub.ledger import Ledger
from hub.messages import DeliveryReply, DeliveryRequest, ReplyError

log = structlog.get_logger("hub.delivery")


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
    ) -> None:
        self._ledger = ledger
        self._bus = bus
        self._adapters = adapters
        self._max_deliver = max_deliver
        self._backoff_s = backoff_s

    async def handle(self, delivery: Delivery) -> None:
        """Settle one delivery: answered, failed for good, or scheduled for retry."""
        request = DeliveryRequest.model_validate_json(delivery.data)
        exchange_id = UUID(request.exchange_id)
        with structlog.contextvars.bound_contextvars(
            correlation_id=request.correlation_id,
            exchange_id=request.exchange_id,
            region=request.service.split("/")[0],
            department=request.service.split("/")[1],
            contract=request.contract,
        ):
            exchange = await asyncio.to_thread(self._ledger.get, exchange_id)
            if exchange.status not in (Status.ROUTED, Status.DELIVERING):
                await self._settle_duplicate(exchange, request, delivery)
                return
            await self._deliver(request, delivery)

    async def _deliver(self, request: DeliveryRequest, delivery: Delivery) -> None:
        adapter = self._adapters[request.service]
        started = time.perf_counter()
        try:
            query = adapter.request_contract.model_validate(request.document)
            answer = await adapter.call(query, correlation_id=request.correlation_id)
        except (ProviderError, ContractError) as exc:
            await self._failed(request, delivery, exc)
            return
        provider_ms = (time.perf_counter() - started) * 1000
        try:
            await asyncio.to_thread(
                self._ledger.record_response,
                UUID(request.exchange_id),
                attempt=delivery.attempt,
                contract=str(answer.contract_id()),
                document=answer.model_dump(mode="json"),
                digest=digest(answer.model_dump_json().encode()),
                provider_ms=provider_ms,
            )
        except ExchangeConflictError:
            # A concurrent delivery of the same message recorded first: settle as duplicate.
            exchange = await asyncio.to_thread(self._ledger.get, UUID(request.exchange_id))
            await self._settle_duplicate(exchange, request, delivery)
            return
        log.info("exchange responded", attempt=delivery.attempt, provider_ms=round(provider_ms, 1))
        await self._reply(
            request,
            DeliveryReply(
                exchange_id=request.exchange_id,
                outcome="responded",
                contract=str(answer.contract_id()),
                document=answer.model_dump(mode="json"),
            ),
        )
        await delivery.ack()

    async def _failed(self, request: DeliveryRequest, delivery: Delivery, exc: HubError) -> None:
        retryable = bool(getattr(exc, "retryable", False))
        give_up = retryable and delivery.attempt >= self._max_deliver
        await asyncio.to_thread(
            self._ledger.record_failure,
            UUID(request.exchange_id),
            attempt=delivery.attempt,
            code=exc.code,
            reason=exc.message,
            retryable=retryable,
            give_up=give_up,
        )
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
        outcome = "dead-lettered" if give_up else "failed"
        await self._reply(
            request,
            DeliveryReply(
                exchange_id=request.exchange_id,
                outcome=outcome,
                error=ReplyError(
                    code=exc.code, message=exc.message, issues=[i.as_dict() for i in exc.issues]
                ),
            ),
        )
        await delivery.ack()

    async def _settle_duplicate(
        self, exchange: Exchange, request: DeliveryRequest, delivery: Delivery
    ) -> None:
        """A redelivery of an exchange already settled: re-send the answer, apply nothing."""
        log.info(
            "redelivery of a settled exchange ignored",
            status=exchange.status.value,
            attempt=delivery.attempt,
        )
        if exchange.status == Status.RESPONDED and exchange.response is not None:
            await self._reply(
                request,
                DeliveryReply(
                    exchange_id=request.exchange_id,
                    outcome="responded",
                    contract=exchange.response_contract,
                    document=exchange.response,
                ),
            )
        await delivery.ack()

    async def _reply(self, request: DeliveryRequest, reply: DeliveryReply) -> None:
        if request.reply_to:
            await self._bus.send(request.reply_to, reply.model_dump_json().encode())
