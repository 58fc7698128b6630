"""The subject cipher: personal fields sealed per data subject at the persistence boundary.

:class:`SubjectCipherMapper` is an eventsourcing ``Mapper``: the ledger builds
it in ``construct_mapper``, so the domain never sees ciphertext. Writing, each
personal field of an event listed in :mod:`hub.domain.personal` becomes an
envelope sealed under the subject's key — the key of the event's retention scope when it
states a purpose and a retention period (:mod:`hub.domain.retention`), sealed as of the
event's timestamp — (:mod:`hub.adapters.crypto.envelope`) before
the event is transcoded (and, if configured, compressed and encrypted as a
whole by the library's application cipher). Reading, envelopes are opened
again — or, when the subject's key was destroyed, replaced by an erased marker,
so that every aggregate still loads and replays: an exchange's lifecycle stays
visible, its personal payloads do not.

Forgetting never rewrites a stored event, so the stored bytes that audit
leaves cover stay exactly as they were.

Upcasters run on the stored shape, that is before fields are opened: they see
personal fields as envelopes and must leave them alone. A change of a personal
payload's shape is a contract change, handled by contract upcasters.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from eventsourcing.domain import CanSnapshotAggregate, DomainEventProtocol
from eventsourcing.persistence import Cipher, Compressor, Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from hub.adapters.crypto.envelope import (
    FieldPlace,
    erased,
    is_erased,
    is_sealed,
    open_sealed,
    scope_named,
    seal,
)
from hub.adapters.crypto.errors import TamperedFieldError
from hub.adapters.crypto.keyring import SubjectKeyring
from hub.domain.personal import (
    PERSONAL_EVENT_FIELDS,
    PERSONAL_SNAPSHOT_STATE,
    RETENTION_PERIOD,
    RETENTION_PURPOSE,
    SUBJECT_ATTRIBUTE,
)
from hub.domain.retention import KeyScope, scope_of

Event = DomainEventProtocol[UUID]


class SubjectCipherMapper(Mapper[UUID]):
    """A mapper that seals personal fields under per-subject keys and opens them on read."""

    def __init__(
        self,
        transcoder: Transcoder,
        compressor: Compressor | None = None,
        cipher: Cipher | None = None,
        *,
        keyring: SubjectKeyring,
    ) -> None:
        super().__init__(transcoder, compressor, cipher)
        self.keyring = keyring

    def to_stored_event(self, domain_event: Event) -> StoredEvent:
        """Seal the event's personal fields, then store it as the library would."""
        topic = get_topic(type(domain_event))
        state = dict(vars(domain_event))
        if topic in PERSONAL_EVENT_FIELDS:
            scope = _scope(state, state["timestamp"])
            self._seal(state, PERSONAL_EVENT_FIELDS[topic], _place(topic, state, ""), scope)
        elif _is_snapshot(domain_event) and state["topic"] in PERSONAL_SNAPSHOT_STATE:
            inner = dict(state["state"])
            fields = PERSONAL_SNAPSHOT_STATE[state["topic"]]
            # Sealed as of the aggregate's creation: its copy never outlives the originals.
            scope = _scope(inner, inner.get("_created_on") or state["timestamp"])
            self._seal(inner, fields, _place(topic, state, "state."), scope)
            state["state"] = inner
        else:
            return super().to_stored_event(domain_event)
        # A sealed copy: the caller's event (still held by the aggregate) stays as it was.
        sealed = object.__new__(type(domain_event))
        object.__setattr__(sealed, "__dict__", state)
        return super().to_stored_event(sealed)

    def to_domain_event(self, stored_event: StoredEvent) -> Event:
        """Load the event as the library would, then open (or mark erased) its sealed fields."""
        event = super().to_domain_event(stored_event)
        topic = stored_event.topic
        state = vars(event)
        if topic in PERSONAL_EVENT_FIELDS:
            self._open(state, PERSONAL_EVENT_FIELDS[topic], _place(topic, state, ""))
        elif _is_snapshot(event) and state["topic"] in PERSONAL_SNAPSHOT_STATE:
            inner = dict(state["state"])
            fields = PERSONAL_SNAPSHOT_STATE[state["topic"]]
            self._open(inner, fields, _place(topic, state, "state."))
            state["state"] = inner
        return event

    def _seal(
        self, state: dict[str, Any], fields: tuple[str, ...], place: _Place,
        scope: KeyScope | None,
    ) -> None:
        subject = state.get(SUBJECT_ATTRIBUTE) or ""
        if not subject:
            return  # the contract declares no data subject: nothing personal to seal
        key: tuple[str, bytes] | None = None
        for name in fields:
            value = state.get(name)
            if value is None or is_erased(value) or is_sealed(value):
                continue
            if key is None:
                key = self.keyring.encryption_key(subject, scope)
            kid, secret = key
            plaintext = self.transcoder.encode(value)
            state[name] = seal(secret, kid, subject, place.field(name), plaintext, scope)

    def _open(self, state: dict[str, Any], fields: tuple[str, ...], place: _Place) -> None:
        subject = state.get(SUBJECT_ATTRIBUTE) or ""
        for name in fields:
            envelope = state.get(name)
            if not is_sealed(envelope):
                continue  # written before sealing existed, or not personal
            where = place.field(name)
            if envelope["subject"] != subject:
                # Relabelling an envelope to another subject would make it read as erased.
                raise TamperedFieldError(where.describe(), where.field)
            scope = scope_named(envelope)
            key = self.keyring.decryption_key(envelope["subject"], envelope["kid"], scope)
            if key is None:
                state[name] = erased(envelope["subject"], scope)
            else:
                state[name] = self.transcoder.decode(open_sealed(key, envelope, where))


class _Place:
    """The place of one event; ``field`` names one of its fields."""

    def __init__(self, topic: str, originator_id: object, version: int, prefix: str) -> None:
        self._args = (topic, str(originator_id), version)
        self._prefix = prefix

    def field(self, name: str) -> FieldPlace:
        return FieldPlace(*self._args, field=self._prefix + name)


def _place(topic: str, state: dict[str, Any], prefix: str) -> _Place:
    return _Place(topic, state["originator_id"], int(state["originator_version"]), prefix)


def _scope(state: dict[str, Any], sealed_at: Any) -> KeyScope | None:
    """The retention scope of what ``state`` seals (its purpose and retention period)."""
    if isinstance(sealed_at, str):  # a snapshot's state as transcoded
        sealed_at = dt.datetime.fromisoformat(sealed_at)
    return scope_of(state.get(SUBJECT_ATTRIBUTE) or "", state.get(RETENTION_PURPOSE) or "",
                    state.get(RETENTION_PERIOD) or "", sealed_at)


def _is_snapshot(event: object) -> bool:
    return isinstance(event, CanSnapshotAggregate)


def sealed_reader(mapper: Mapper[UUID]) -> Mapper[UUID]:
    """A mapper for the same store that leaves personal fields sealed, as stored.

    For readers that never use personal payloads (read models counting outcomes
    and latencies): they skip a key lookup and a decryption per sealed field,
    and cannot copy personal data they never open.
    """
    return Mapper(mapper.transcoder, mapper.compressor, mapper.cipher)
