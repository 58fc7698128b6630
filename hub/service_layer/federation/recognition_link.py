"""A region's federation over its statement transport: issue and send, receive and recognise.

Sending: :meth:`RecognitionLink.issue` records a record here (Issued +
Attested) and sends its attestation to every peer whose accepted agreement
covers it; :meth:`~RecognitionLink.revoke` does the same for a revocation.
Receiving: what peers send this region arrives in batches from the transport
(:mod:`hub.adapters.peers.transport`); attestations are recognised together
(``recognise_many``), revocations honoured (``recognise_revocation``), receipts
recorded (``record_receipt``), and each recognition's signed receipt is sent
back into the issuer's domain.

A peer that cannot be reached leaves the record issued-but-undelivered in the
issuer's federation store, where it already is: that gap is what
reconciliation finds and repairs (:mod:`hub.service_layer.federation.reconciliation`).
A receipt that cannot be sent back is likewise left for reconciliation (the
receiver holds it in its own history). Recognition is idempotent (a replay
returns the original receipt), so redelivery is harmless.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

import structlog

from contracts.errors import HubError
from federation.receipt import Receipt
from hub.adapters.peers.transport import (
    ATTESTATIONS,
    RECEIPTS,
    REVOCATIONS,
    Statement,
    StatementTransport,
)
from hub.service_layer.federation.app import FederationApp, IssuedRecord

log = structlog.get_logger("hub.service_layer.federation.recognition_link")

T = TypeVar("T")
RECENT_RECEIPTS = 4096
"""How many receipts :meth:`RecognitionLink.receipt_for` remembers (the oldest go first)."""


@dataclass
class Sent:
    """What :meth:`RecognitionLink.issue` did: the record and which peers stored it."""

    record: IssuedRecord
    delivered: list[str] = field(default_factory=list)
    undelivered: dict[str, str] = field(default_factory=dict)  # peer -> why


class RecognitionLink:
    """One region's federation transport; use :meth:`connect`, :meth:`start`, :meth:`close`."""

    def __init__(self, app: FederationApp, transport: StatementTransport) -> None:
        self.app = app
        self.region = app.region
        self.transport = transport
        self._app_lock = asyncio.Lock()  # one application call at a time, off the event loop
        # The latest receipts by (issuer, record id), refusals of unverified statements
        # included (those open no recognition to look up): see :meth:`receipt_for`.
        self._receipts: OrderedDict[tuple[str, str], Receipt] = OrderedDict()

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` (a method of the application) in a thread, one call at a time."""
        async with self._app_lock:
            return await asyncio.to_thread(fn, *args, **kwargs)

    @classmethod
    async def connect(cls, url: str, app: FederationApp, *, timeout_s: float = 2.0,
                      auth: dict[str, Any] | None = None) -> RecognitionLink:
        """Connect to the region's own server (peers are reached across its leaf links)."""
        transport = await StatementTransport.connect(url, app.region, timeout_s=timeout_s,
                                                     auth=auth)
        return cls(app, transport)

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Receive what peers send this region until :meth:`close`."""
        await self.transport.start(self._handle)

    async def close(self) -> None:
        """Stop receiving (a batch in hand is finished) and close the connection."""
        await self.transport.close()

    async def __aenter__(self) -> RecognitionLink:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- sending --------------------------------------------------------------------------------

    async def issue(
        self, department: str, contract: str, content: Mapping[str, Any], *,
        subject_ref: str, to: Sequence[str] | None = None, **kwargs: Any,
    ) -> Sent:
        """Issue a record here (Issued + Attested), then send its attestation to ``to``
        (by default: every peer whose accepted agreement covers it, as reconciliation expects)."""
        record = await self.call(self.app.issue_record, department, contract, content,
                                 subject=subject_ref, **kwargs)
        peers = to if to is not None else await self.call(self.recipients, department, contract)
        sent = Sent(record)
        for peer in peers:
            why = await self.send(peer, ATTESTATIONS, record.attestation,
                                  msg_id=str(record.record_id))
            if why is None:
                sent.delivered.append(peer)
            else:
                sent.undelivered[peer] = why
        return sent

    def recipients(self, department: str, contract: str) -> list[str]:
        """The peers whose agreement with this region covers ``department``'s ``contract`` now."""
        now, issuer = self.app.clock(), f"{self.region}/{department}"
        return sorted({other for agreement in self.app.agreements()
                       if self.region in agreement.terms.regions
                       and agreement.in_scope(contract, issuer, now)
                       for other in agreement.terms.regions if other != self.region})

    async def revoke(self, record_id: UUID, reason: str, *, to: Sequence[str] | None = None
                     ) -> dict[str, str | None]:
        """Revoke a record here, then send the revocation to ``to`` (by default the peers
        whose agreement covers the record): peer -> None when stored, else why not."""
        compact = await self.call(self.app.revoke, record_id, reason)
        if to is None:
            record = await self.call(self.app.get_record, record_id)
            to = await self.call(self.recipients, record.department, record.contract)
        return {peer: await self.send(peer, REVOCATIONS, compact,
                                      msg_id=f"revocation:{record_id}") for peer in to}

    async def send(self, peer: str, kind: str, compact: str, *, msg_id: str) -> str | None:
        """Store ``compact`` in ``peer``'s domain; None when stored, else why not (undelivered)."""
        return await self.transport.send(peer, kind, compact, msg_id=msg_id)

    # -- receiving ------------------------------------------------------------------------------

    async def _handle(self, statements: Sequence[Statement]) -> None:
        attestations: list[Statement] = []
        for statement in statements:
            if statement.kind == ATTESTATIONS:
                attestations.append(statement)
            elif statement.kind == REVOCATIONS:
                receipt = await self.call(self.app.recognise_revocation, statement.compact,
                                          from_region=statement.sender)
                await self._reply(statement.sender, receipt)
                await statement.settle()
            else:
                try:
                    await self.call(self.app.record_receipt, statement.compact,
                                    from_region=statement.sender)
                except HubError as exc:
                    log.warning("receipt refused", region=self.region, peer=statement.sender,
                                error=exc.message)
                await statement.settle()
        if attestations:
            receipts = await self.call(
                self.app.recognise_many, [(s.compact, s.sender) for s in attestations])
            for statement, receipt in zip(attestations, receipts, strict=True):
                self._remember(receipt)
                await self._reply(statement.sender, receipt)
                await statement.settle()

    def receipt_for(self, issuer: str, record_id: str) -> Receipt | None:
        """The receipt this process last gave about an attestation of ``issuer``'s record
        (of the last :data:`RECENT_RECEIPTS`), even one refused before its claims could be
        trusted; the recorded decisions are the federation's (``decision_of``)."""
        return self._receipts.get((issuer, record_id))

    def _remember(self, receipt: Receipt) -> None:
        if receipt.issuer is None or receipt.record_id is None:
            return
        self._receipts[(receipt.issuer, receipt.record_id)] = receipt
        self._receipts.move_to_end((receipt.issuer, receipt.record_id))
        while len(self._receipts) > RECENT_RECEIPTS:
            self._receipts.popitem(last=False)

    async def _reply(self, issuer: str, receipt: Receipt) -> None:
        digest = hashlib.sha256(receipt.jws.encode("ascii")).hexdigest()
        await self.send(issuer, RECEIPTS, receipt.jws, msg_id=f"receipt:{digest}")
