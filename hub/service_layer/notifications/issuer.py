"""The notifier: records an issued record and one routed exchange per subscriber.

The issuance itself is recorded by the region's federation when the hub has one
(:meth:`hub.service_layer.federation.recognition_link.RecognitionLink.issue`:
Issued + Attested, sent to the peers whose agreements cover it). Without a
federation the hub keeps no record aggregate: the record id is minted here and
the notification exchanges are the ledger's trace of the issuance (the record
id is their correlation id when the issuer sent none).

Completion: nobody waits on a notification, so the notifier itself listens for
the delivery worker's reply and records ``Completed`` once the subscriber's
acknowledgement is recorded (``Responded``), so a notification ends like any
other exchange. That wait lives in this process and is bounded: after a hub
restart, or past ``complete_within_s``, a delivered notification stays
``responded`` (its acknowledgement is recorded; only the closing event is missing).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

import structlog

from contracts import ContractRegistry
from contracts.identity import DepartmentId
from contracts.registry import UnknownContractError
from hub.adapters.bus.port import Inbox
from hub.adapters.store.ledger import Arrival, Ledger, Translation
from hub.domain.digest import digest
from hub.domain.errors import ExchangeConflictError, ExchangeStateError
from hub.service_layer.documents.cross_region import attested_digests
from hub.service_layer.exchanges.messages import DeliveryReply
from hub.service_layer.exchanges.routing import ServiceDefinition, ServiceDirectory
from hub.service_layer.federation.recognition_link import RecognitionLink
from hub.service_layer.notifications.errors import UnsubscribableContractError
from translation.json_codec import decode_json

log = structlog.get_logger("hub.service_layer.notifications")

INGRESS = "notification"


@dataclass(frozen=True)
class Issued:
    """What issuing one record produced: its id and one exchange per subscriber."""

    record_id: str
    contract: str
    exchanges: dict[str, UUID] = field(default_factory=dict)  # notification service -> exchange
    attested: bool = False  # recorded by the federation (Issued + Attested)


class Notifier:
    """Issues records and fans them out to the subscribers of their contract."""

    def __init__(
        self,
        ledger: Ledger,
        directory: ServiceDirectory,
        registry: ContractRegistry,
        notifications: Sequence[ServiceDefinition],
        wake_relay: Callable[[], None],
        *,
        inbox: Inbox | None = None,
        complete_within_s: float = 60.0,
        federation: RecognitionLink | None = None,
    ) -> None:
        self._ledger = ledger
        self._directory = directory
        self._registry = registry
        self._by_contract: dict[str, list[ServiceDefinition]] = {}
        for service in notifications:
            contract = str(service.request.contract_id())
            self._by_contract.setdefault(contract, []).append(service)
        self._wake_relay = wake_relay
        self._inbox = inbox
        self._complete_within_s = complete_within_s
        self._waiting: set[asyncio.Task[None]] = set()
        self.federation = federation

    async def aclose(self) -> None:
        """Stop waiting for acknowledgements (the exchanges stay as recorded)."""
        for task in list(self._waiting):
            task.cancel()
        await asyncio.gather(*self._waiting, return_exceptions=True)

    def subscribers(self, contract: str) -> list[ServiceDefinition]:
        """The notification services of ``contract``'s subscribers."""
        return list(self._by_contract.get(contract, ()))

    async def issue(
        self, client: str, contract: str, raw: bytes, *, correlation_id: str,
        documents: Sequence[str] = (),
    ) -> Issued:
        """Validate ``raw`` as ``contract``, record the issuance, route one exchange per subscriber.

        ``documents`` (ids of documents of this region) travel with the record: their digests
        are signed in its attestation, for peers to fetch. Raises UnsubscribableContractError
        for an unknown contract, ContractError / MalformedInput for a bad document,
        IdentifierError for a bad client, DocumentError for documents that cannot go with it.
        """
        issuer = DepartmentId.parse(client)
        try:
            model = self._registry.get(contract)
        except UnknownContractError:
            raise UnsubscribableContractError(
                contract, sorted(str(m.contract_id()) for m in self._registry)) from None
        document = decode_json(model, raw)
        body = document.model_dump_json().encode()
        content = document.model_dump(mode="json")
        data_subject = self._ledger.keyring.ref_of(document)
        record_id, attested = str(uuid.uuid4()), False
        digests = await asyncio.to_thread(
            attested_digests, self._ledger, client, data_subject if self.federation else "",
            documents) if documents else ()
        if self.federation is not None and data_subject:
            sent = await self.federation.issue(
                issuer.department, contract, content, subject_ref=data_subject,
                documents=digests)
            record_id, attested = str(sent.record.record_id), True
        issued = Issued(record_id, contract, attested=attested)
        started = time.perf_counter()
        accepted, tokens = [], []
        for service in self.subscribers(contract):
            token = uuid.uuid4().hex
            arrival = Arrival(
                client=str(issuer), service=str(service.id),
                correlation_id=correlation_id or record_id, ingress=INGRESS,
                payload_digest=digest(raw), payload_size=len(raw),
                reply_to=f"{self._inbox.prefix}.{token}" if self._inbox else "",
            )
            translation = Translation(
                contract=contract, document=content, digest=digest(body),
                provider=str(service.id.provider),
                subject=self._directory.delivery_subject(service), data_subject=data_subject,
            )
            accepted.append((arrival, translation))
            tokens.append((str(service.id), token))
        # Expect every reply before anything is recorded (the relay may publish at once),
        # and record every subscriber's exchange in one transaction: all or none.
        futures = {token: self._inbox.expect(token) for _, token in tokens} if self._inbox else {}
        exchange_ids = await asyncio.to_thread(self._ledger.record_accepted_many, accepted)
        for (service_id, token), exchange_id in zip(tokens, exchange_ids, strict=True):
            issued.exchanges[service_id] = exchange_id
            if self._inbox is not None:
                self._await_ack(self._inbox, token, exchange_id, futures[token], started)
        self._wake_relay()
        log.info("record issued", record_id=record_id, contract=contract, issuer=str(issuer),
                 subscribers=len(issued.exchanges), attested=attested)
        return issued

    def _await_ack(
        self, inbox: Inbox, token: str, exchange_id: UUID, future: asyncio.Future[bytes],
        started: float,
    ) -> None:
        task = asyncio.create_task(self._complete(inbox, token, exchange_id, future, started),
                                   name=f"notification-{exchange_id}")
        self._waiting.add(task)
        task.add_done_callback(self._waiting.discard)

    async def _complete(self, inbox: Inbox, token: str, exchange_id: UUID,
                        future: asyncio.Future[bytes], started: float) -> None:
        try:
            raw = await asyncio.wait_for(future, self._complete_within_s)
        except TimeoutError:
            inbox.forget(token)
            log.warning("notification not acknowledged in time; it stays as recorded",
                        exchange_id=str(exchange_id), within_s=self._complete_within_s)
            return
        reply = DeliveryReply.model_validate_json(raw)
        if reply.outcome != "responded" or reply.document is None:
            return  # failed or dead-lettered: already terminal in the ledger
        receipt = json.dumps(reply.document, sort_keys=True, separators=(",", ":")).encode()
        try:
            await asyncio.to_thread(
                self._ledger.record_completed, exchange_id, reply_digest=digest(receipt),
                latency_ms=(time.perf_counter() - started) * 1000)
        except (ExchangeStateError, ExchangeConflictError):
            return  # already completed (e.g. a re-sent reply after a redelivery)
        log.info("notification acknowledged", exchange_id=str(exchange_id))
