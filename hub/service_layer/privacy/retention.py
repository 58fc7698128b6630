"""Retention, enforced: destroy the keys of expiry buckets that are over, and record it.

Personal data kept for a purpose's retention period is sealed under the key of
its scope ``(subject, purpose, bucket)`` (:mod:`hub.domain.retention`). Once a
bucket's month is over, :class:`RetentionEnforcer` destroys that key, which
makes exactly the data whose period ended in that month unreadable: it reads
back as an erased marker naming the purpose and bucket. Stored events are never
rewritten, so the audit log still verifies.

What expired is found in the key store's own expiry index (the keys carry the
instant they expire at), never by reading the ledger: the work of a pass grows
with what expired since the last one, not with history.

Each destroyed key is recorded as ``RetentionExpired`` — subject *reference*,
purpose, bucket, key id; no personal data — in an aggregate whose id derives from
the key id. A pass records, tells the sinks, and only then destroys: should it
die in between, the key is still in the index, the next pass finds it again, the
record already exists (the same id: it is not recorded twice) and the key is
destroyed. Running twice, or after a crash, therefore does nothing more.

Other stores of personal data (documents in the object store) follow through an
:class:`ExpiredDataSink`: told, before the key goes, what expired. A sink must be
idempotent (it may be told twice after a crash) and raise if it could not do its
part, so the key waits for the next pass.

Not recorded: how many exchanges a destroyed key sealed. Counting would take a
write per sealing on the hot path or a read of history here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

import structlog
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from contracts.errors import HubError
from hub.adapters.crypto.keyring import SubjectKeyring
from hub.adapters.crypto.keystore import ExpiringKey, ScheduledExpiry

if TYPE_CHECKING:
    from hub.adapters.store.ledger import Ledger

log = structlog.get_logger("hub.service_layer.privacy.retention")

Clock = Callable[[], dt.datetime]
"""The time the enforcer goes by: :func:`utc_now` in the hub and the CLI."""

_NAMESPACE = uuid.UUID("6f0d9a62-3c5e-4b8e-9a51-2f7c1d0e4b13")
DEFAULT_BATCH = 200
DEFAULT_MAX_KEYS = 100_000  # a bound on one pass; the next pass carries on


def utc_now() -> dt.datetime:
    """The current time, UTC."""
    return dt.datetime.now(dt.UTC)


class RetentionExpiry(Aggregate):
    """The expiry of one retention scope's key: that data's period is over."""

    TOPIC = "interop-hub:retention-expiry"

    class Event(Aggregate.Event):
        """Base of every retention expiry event."""

        TOPIC = "interop-hub:retention-expiry.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event (the library requires one per aggregate)."""

        TOPIC = "interop-hub:retention-expiry.created"

    class RetentionExpired(Created):
        """The key of (subject, purpose, bucket) was (about to be) destroyed: what it sealed
        reads as erased. ``expired_at`` is when the bucket ended (ISO 8601, UTC)."""

        TOPIC = "interop-hub:retention-expiry.expired"
        class_version = 1
        data_subject: str
        purpose: str
        bucket: str
        key_id: str
        expired_at: str

    @staticmethod
    def create_id(key_id: str) -> UUID:
        """One record per key: a second pass over the same key finds it recorded."""
        return uuid.uuid5(_NAMESPACE, key_id)

    @event(RetentionExpired)
    def __init__(
        self, data_subject: str, purpose: str, bucket: str, key_id: str, expired_at: str
    ) -> None:
        self.data_subject = data_subject
        self.purpose = purpose
        self.bucket = bucket
        self.key_id = key_id
        self.expired_at = expired_at


@dataclass(frozen=True)
class ExpiredData:
    """What one pass made unreadable: one scope's data (no personal data)."""

    subject: str
    purpose: str
    bucket: str
    key_id: str
    expired_at: dt.datetime

    def as_dict(self) -> dict[str, str]:
        return {"subject": self.subject, "purpose": self.purpose, "bucket": self.bucket,
                "key_id": self.key_id, "expired_at": self.expired_at.isoformat()}


class ExpiredDataSink(Protocol):
    """Another store of personal data that follows retention (e.g. the document store)."""

    def on_expired(self, subject_ref: str, purpose: str, bucket: str) -> None:
        """Delete what ``subject_ref``'s data for ``purpose`` in ``bucket`` left in this store.

        Called before the key is destroyed; idempotent; raise if it could not be done.
        """


@dataclass
class RetentionEnforcer:
    """Destroys the keys whose bucket is over, recording each; shared by the hub and the CLI."""

    ledger: Ledger
    keyring: SubjectKeyring
    clock: Clock
    sinks: list[ExpiredDataSink] = field(default_factory=list)
    batch: int = DEFAULT_BATCH
    max_keys: int = DEFAULT_MAX_KEYS

    def add_sink(self, sink: ExpiredDataSink) -> None:
        """Tell ``sink`` too of what expires from the next pass on."""
        self.sinks.append(sink)

    def run_once(self) -> list[ExpiredData]:
        """One pass: every key expired by now, at most ``max_keys``; what it destroyed."""
        now = self.clock()
        done: list[ExpiredData] = []
        seen: set[str] = set()
        while len(done) < self.max_keys:
            page = [k for k in self.keyring.expired(now, self.batch) if k.kid not in seen]
            if not page:
                break  # nothing left (or nothing the store would delete: no busy loop)
            seen.update(k.kid for k in page)
            expired = [_expired(key) for key in page]
            self._record(expired)
            for item in expired:
                for sink in self.sinks:
                    sink.on_expired(item.subject, item.purpose, item.bucket)
            destroyed = set(self.keyring.destroy(page))
            done += [item for item in expired if item.key_id in destroyed]
        if done:
            log.info("retention expired", keys=len(done), as_of=now.isoformat())
        return done

    async def run(self, stop: asyncio.Event, interval_s: float) -> None:
        """A pass now and every ``interval_s`` until ``stop``; a failed pass is logged and
        retried at the next interval (the keys wait in the index meanwhile)."""
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.run_once)
            except HubError as exc:
                log.error("retention pass failed", error=exc.message, code=exc.code)
            try:
                await asyncio.wait_for(stop.wait(), timeout=interval_s)
            except TimeoutError:
                pass

    def _record(self, expired: Sequence[ExpiredData]) -> None:
        """One RetentionExpired per key, in one transaction; one by one if some exist."""
        try:
            self.ledger.save(*(_record_of(item) for item in expired))
        except IntegrityError:
            for item in expired:  # resumed after a crash: some were recorded already
                try:
                    self.ledger.save(_record_of(item))
                except IntegrityError:
                    continue


def retention_schedule(keyring: SubjectKeyring, limit: int = 1000) -> list[ScheduledExpiry]:
    """What expires when: the keys still held, by purpose and bucket, the earliest first."""
    return keyring.schedule(limit)


def _expired(key: ExpiringKey) -> ExpiredData:
    scope = key.scope
    return ExpiredData(scope.subject, scope.purpose, scope.bucket, key.kid, key.expires_at)


def _record_of(item: ExpiredData) -> RetentionExpiry:
    return RetentionExpiry(data_subject=item.subject, purpose=item.purpose, bucket=item.bucket,
                           key_id=item.key_id, expired_at=item.expired_at.isoformat())
