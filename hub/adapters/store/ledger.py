"""The ledger: an eventsourcing application that records every exchange.

It is the hub's event store and repository (and each method one unit of work),
so it sits with the other storage adapters; the use cases that drive it live in
the service layer. The ledger is also the outbox: the relay publishes from its
notification log, so nothing reaches the bus that was not recorded first.
Methods are synchronous (eventsourcing is); async callers run them in a thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    Mapper,
    Notification,
    Transcoder,
)

from hub.adapters.crypto.keyring import SubjectKeyring
from hub.adapters.crypto.mapper import SubjectCipherMapper
from hub.adapters.store.group_commit import WINDOW_S, GroupCommitWriter
from hub.adapters.store.transcoder import PlainJSONTranscoder
from hub.adapters.store.write_turn import write_turn
from hub.adapters.store.writer_connection import writer_connection
from hub.domain.errors import ExchangeConflictError, ExchangeNotFoundError
from hub.domain.exchange import Exchange
from hub.domain.originator import originator_uuid
from hub.work import WORK, CountingRecorder


@dataclass(frozen=True)
class Problem:
    """Why an input was refused: a stable code, a message and field issues (as dicts)."""

    code: str
    message: str
    issues: list[dict[str, Any]]


@dataclass(frozen=True)
class Arrival:
    """What an ingress knows about a message before it is parsed."""

    client: str
    service: str
    correlation_id: str
    ingress: str
    payload_digest: str
    payload_size: int
    reply_to: str = ""
    credential: str = ""  # the credential that proved the client (hex), when known


@dataclass(frozen=True)
class Translation:
    """A valid contract instance ready to route."""

    contract: str
    document: dict[str, Any]
    digest: str
    provider: str
    subject: str
    # pseudonymous reference of the person it is about (hub.adapters.crypto)
    data_subject: str = ""
    # the purpose it is asked for and how long that keeps it (hub.domain.retention); "" for
    # both: kept until the subject is forgotten
    purpose: str = ""
    retention: str = ""


class Ledger(Application[UUID]):
    """Records exchanges; every method is one atomic transaction."""

    name = "ledger"

    # Snapshot every N events, per aggregate type (the library takes them on save and
    # loads from the latest). None here yet: an Exchange lives about ten events, fewer
    # than a snapshot saves. Long-lived aggregates (Record, Consent, Agreement) belong
    # here; tests/integration/test_upcasting.py exercises it with Exchange at interval 3.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {}

    def __init__(self, env: Mapping[str, str] | None, *, keyring: SubjectKeyring,
                 commit_window_s: float = WINDOW_S) -> None:
        # Set before the library builds the mapper, which seals personal fields with it.
        # Entry points build the ledger with hub.bootstrap.privacy.build_ledger; a reader
        # that must leave them sealed is hub.adapters.store.sealed_reader.
        self.keyring = keyring
        super().__init__(env)
        # The hot path's steps write through one group-commit writer
        # (hub.adapters.store.group_commit).
        # On SQLite its transactions take turns with other processes' writers of the same
        # file (hub.adapters.store.write_turn).
        # On SQLite the writer has a connection of its own, whose page cache its commits
        # keep valid (hub.adapters.store.writer_connection).
        self._writer_connection = writer_connection(self.factory)
        recorder = (self.recorder if self._writer_connection is None
                    else CountingRecorder(self._writer_connection.recorder))
        # ``commit_window_s``: how long a batch waits for company (HUB_GROUP_COMMIT_WINDOW_MS).
        self.writer = GroupCommitWriter(self.mapper, recorder, window_s=commit_window_s,
                                        turn=write_turn(env))

    def construct_recorder(self) -> ApplicationRecorder:
        """The library's recorder, counting its transactions (hub.work)."""
        return CountingRecorder(super().construct_recorder())  # type: ignore[return-value]

    def construct_transcoder(self) -> Transcoder:
        """The library's JSON, written by pydantic-core where it can (hub.adapters.store.
        transcoder): the same bytes; mapping and sealing a query's eight events took
        63.7 µs with the library's encoder and 56.6 µs with this one."""
        transcoder = PlainJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def construct_mapper(self) -> Mapper[UUID]:
        """The subject cipher: the library's mapper, sealing personal fields per subject."""
        return SubjectCipherMapper(
            self.construct_transcoder(),
            self.factory.compressor(),
            self.factory.cipher(),
            keyring=self.keyring,
        )

    def close(self) -> None:
        """Write what is queued, then close the event store and the key store (the ledger
        owns its keyring)."""
        self.writer.close()
        if self._writer_connection is not None:
            self._writer_connection.close()
        super().close()
        self.keyring.close()

    def record_rejected(self, arrival: Arrival, problem: Problem) -> UUID:
        """Received + Rejected, in one transaction."""
        exchange = self.rejected(arrival, problem)
        self._save(exchange)
        return exchange.id

    def rejected(self, arrival: Arrival, problem: Problem) -> Exchange:
        """A new, unsaved exchange: Received + Rejected."""
        exchange = self.receive(arrival)
        exchange.reject(problem.code, problem.message, problem.issues)
        return exchange

    def accepted(self, arrival: Arrival, translation: Translation) -> Exchange:
        """A new, unsaved exchange: Received + Translated (+ what the caller adds before
        routing it with :meth:`Exchange.route`)."""
        exchange = self.receive(arrival)
        exchange.translate(translation.contract, translation.document, translation.digest,
                           translation.data_subject, translation.purpose, translation.retention)
        return exchange

    async def append(self, *aggregates: Aggregate) -> None:
        """Record the pending events of ``aggregates`` (exchanges, cases) through the
        group-commit writer (from the event loop: one transaction shared with concurrent
        writes; a version already taken raises ExchangeConflictError)."""
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        await self.writer.write(events)

    def request_document(self, exchange_id: UUID) -> dict[str, Any] | None:
        """The translated request of an exchange (opened under its subject's key), read
        from its ``Translated`` event alone; None if that is not its second event."""
        for event in self.events.get(exchange_id, gt=1, lte=2):
            if isinstance(event, Exchange.Translated):
                return event.document
        return None

    def record_accepted(self, arrival: Arrival, translation: Translation) -> UUID:
        """Received + Translated + Routed, in one transaction (the outbox entry)."""
        return self.record_accepted_many([(arrival, translation)])[0]

    def record_accepted_many(
        self, accepted: list[tuple[Arrival, Translation]]
    ) -> list[UUID]:
        """Several accepted exchanges in ONE transaction (e.g. one per subscriber of a record)."""
        exchanges = []
        for arrival, translation in accepted:
            exchange = self.accepted(arrival, translation)
            exchange.route(translation.provider, translation.subject)
            exchanges.append(exchange)
        if exchanges:
            try:
                self.save(*exchanges)
            except IntegrityError:
                raise ExchangeConflictError(exchanges[0].id) from None
        return [exchange.id for exchange in exchanges]

    def record_response(
        self,
        exchange_id: UUID,
        *,
        attempt: int,
        contract: str,
        document: dict[str, Any],
        digest: str,
        provider_ms: float,
        also: Callable[[Exchange], None] | None = None,
    ) -> Exchange:
        """Delivered + Responded (+ what ``also`` adds to the exchange), in one transaction."""
        exchange = self.get(exchange_id)
        exchange.deliver(attempt)
        exchange.respond(contract, document, digest, provider_ms, exchange.data_subject)
        if also is not None:
            also(exchange)
        self._save(exchange)
        return exchange

    def record_failure(
        self,
        exchange_id: UUID,
        *,
        attempt: int,
        code: str,
        reason: str,
        retryable: bool,
        give_up: bool,
    ) -> Exchange:
        """DeliveryFailed, plus DeadLettered when ``give_up`` (retries exhausted)."""
        exchange = self.get(exchange_id)
        exchange.fail_delivery(attempt, code, reason, retryable)
        if give_up and retryable:
            exchange.dead_letter(attempt, reason)
        self._save(exchange)
        return exchange

    def record_requeued(self, exchange_id: UUID, *, by: str, reason: str) -> Exchange:
        """Requeued: back to routed, for the relay to publish again (``dlq requeue``)."""
        exchange = self.get(exchange_id)
        exchange.requeue(by, reason)
        self._save(exchange)
        return exchange

    def record_completed(self, exchange_id: UUID, *, reply_digest: str, latency_ms: float) -> None:
        """Completed: the client has its answer."""
        exchange = self.get(exchange_id)
        exchange.complete(reply_digest, latency_ms)
        self._save(exchange)

    def get(self, exchange_id: UUID, version: int | None = None) -> Exchange:
        """Load an exchange (optionally as of ``version``)."""
        WORK.add("aggregate_loads")
        try:
            exchange: object = self.repository.get(exchange_id, version=version)
        except AggregateNotFoundError:
            raise ExchangeNotFoundError(str(exchange_id)) from None
        if not isinstance(exchange, Exchange):
            raise ExchangeNotFoundError(str(exchange_id))
        return exchange

    def history(self, exchange_id: UUID) -> list[Exchange.Event]:
        """Every recorded event of one exchange, oldest first."""
        # Everything stored under an exchange's id is one of its events.
        events = [e for e in self.events.get(exchange_id) if isinstance(e, Exchange.Event)]
        if not events:
            raise ExchangeNotFoundError(str(exchange_id))
        return events

    def notifications(
        self, start: int, limit: int, topics: tuple[str, ...] = ()
    ) -> list[Notification]:
        """Stored notifications from position ``start`` (inclusive)."""
        return list(self.recorder.select_notifications(start=start, limit=limit, topics=topics))

    def exchange_ids(self, batch: int = 1000) -> Iterator[UUID]:
        """Every exchange id in the order the exchanges were received."""
        start = 1
        topics = (Exchange.Received.TOPIC,)
        while True:
            page = self.notifications(start, batch, topics)
            if not page:
                return
            for notification in page:
                yield originator_uuid(notification.originator_id)
            start = page[-1].id + 1

    def _save(self, exchange: Exchange) -> None:
        """Save, turning a lost optimistic-concurrency race into a domain error."""
        try:
            self.save(exchange)
        except IntegrityError:
            raise ExchangeConflictError(exchange.id) from None

    def receive(self, arrival: Arrival) -> Exchange:
        """A new, unsaved exchange for ``arrival`` (its Received event only)."""
        return Exchange(
            client=arrival.client,
            service=arrival.service,
            correlation_id=arrival.correlation_id,
            ingress=arrival.ingress,
            payload_digest=arrival.payload_digest,
            payload_size=arrival.payload_size,
            reply_to=arrival.reply_to,
            credential=arrival.credential,
        )
