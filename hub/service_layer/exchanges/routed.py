"""A routed exchange as its delivery request describes it, at a known version.

The delivery step needs who asks, what, where the answer goes, under which
decision (all in the ``Routed`` event, hence in the delivery request) and the
request document (sealed in ``Translated``). With the version the exchange had
once routed, the worker records its outcome as the next events of the stream
without rebuilding the exchange: the event store's version check does what the
aggregate's state check did, since ``version + 1`` is free only while nothing
happened to the exchange after it was routed. A worker that loses that race gets
:class:`ExchangeConflictError` and settles as a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from hub.domain.exchange import Exchange
from hub.service_layer.exchanges.messages import DeliveryRequest
from hub.service_layer.security.decision import Decision


@dataclass
class RoutedExchange:
    """What the deliver step carries; ``request`` is opened for this step only."""

    id: UUID
    version: int
    service: str
    correlation_id: str
    client: str
    reply_to: str
    contract: str
    data_subject: str
    authorisation: dict[str, str] | None
    request: dict[str, Any]

    @classmethod
    def of(cls, message: DeliveryRequest, version: int, request: dict[str, Any]
           ) -> RoutedExchange:
        """The exchange named by ``message``, routed at ``version``, asking ``request``."""
        return cls(UUID(message.exchange_id), version, message.service, message.correlation_id,
                   message.client, message.reply_to, message.contract, message.data_subject,
                   message.authorisation, request)

    def responded(
        self, *, attempt: int, contract: str, document: dict[str, Any], digest: str,
        provider_ms: float, disclosed: Decision | None,
    ) -> list[Exchange.Event]:
        """Delivered + Responded (+ Disclosed under ``disclosed``) as the next events; moves
        ``version`` past them."""
        timestamp = Exchange.Event.create_timestamp()
        v = self.version
        events: list[Exchange.Event] = [
            Exchange.Delivered(originator_id=self.id, originator_version=v + 1,
                               timestamp=timestamp, attempt=attempt),
            Exchange.Responded(originator_id=self.id, originator_version=v + 2,
                               timestamp=timestamp, contract=contract, document=document,
                               digest=digest, provider_ms=provider_ms,
                               data_subject=self.data_subject,
                               # kept as long as the decided purpose says (hub.domain.retention)
                               purpose=disclosed.purpose if disclosed else "",
                               retention=disclosed.retention if disclosed else ""),
        ]
        if disclosed is not None:
            events.append(Exchange.Disclosed(
                originator_id=self.id, originator_version=v + 3, timestamp=timestamp,
                purpose=disclosed.purpose, basis=disclosed.basis,
                legal_basis=disclosed.legal_basis, consent_id=disclosed.consent_id,
                recipient=self.client, fields=list(disclosed.fields),
                data_subject=self.data_subject,
            ))
        self.version = events[-1].originator_version
        return events


def delivery_request(routed: Exchange.Routed, ledger_position: int = 0) -> DeliveryRequest:
    """The delivery request a ``Routed`` event describes, at its version (``ledger_position``
    0: not read from the ledger, e.g. an inline delivery's own)."""
    return DeliveryRequest(
        exchange_id=str(routed.originator_id), ledger_position=ledger_position,
        service=routed.service, correlation_id=routed.correlation_id,
        version=routed.originator_version, client=routed.client, reply_to=routed.reply_to,
        contract=routed.contract, data_subject=routed.data_subject,
        authorisation=routed.authorisation,
    )


def completed(exchange_id: UUID, version: int, *, reply_digest: str, latency_ms: float
              ) -> Exchange.Completed:
    """``Completed`` as the event after ``version`` (the answered exchange's version)."""
    return Exchange.Completed(
        originator_id=exchange_id, originator_version=version + 1,
        timestamp=Exchange.Event.create_timestamp(), reply_digest=reply_digest,
        latency_ms=latency_ms,
    )
