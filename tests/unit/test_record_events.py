"""A record's first two events, built directly for batch ingest, are the aggregate's own."""

from __future__ import annotations

import uuid

from eventsourcing.application import Application

from hub.domain.record import Record

ISSUED = {"record_id": str(uuid.uuid4()), "region": "north", "department": "pensions",
          "contract": "social-security.contribution-history@1.0", "subject": "ds-0123",
          "content_digest": "sha256:" + "ab" * 32, "issued_at": "2026-12-06T09:00:00Z"}
ATTESTED = {"attestation": "header.claims.signature", "digest": "sha256:" + "cd" * 32,
            "kid": "kid-1", "valid_until": "2027-12-06T09:00:00Z"}


def _fields(event: object) -> dict[str, object]:
    return {k: v for k, v in vars(event).items() if k != "timestamp"}


def test_the_direct_events_equal_those_the_aggregate_triggers() -> None:
    """Same classes, same fields (the timestamp aside), same ids and versions."""
    record = Record(**ISSUED)
    record.attest(**ATTESTED)
    by_aggregate = record.collect_events()
    direct = Record.issued_and_attested(**ATTESTED, **ISSUED)
    assert [type(e) for e in direct] == [type(e) for e in by_aggregate]
    assert [_fields(e) for e in direct] == [_fields(e) for e in by_aggregate]
    assert all(e.timestamp.tzinfo is not None for e in direct)


def test_a_record_stored_from_the_direct_events_loads_as_issued_and_attested() -> None:
    """Stored and read back through a repository, the events replay into an attested record."""
    app: Application[uuid.UUID] = Application(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    events = Record.issued_and_attested(**ATTESTED, **ISSUED)
    app.events.put(events)
    loaded = app.repository.get(events[0].originator_id)
    assert isinstance(loaded, Record)
    assert (loaded.record_id, loaded.subject, loaded.content_digest) == (
        ISSUED["record_id"], ISSUED["subject"], ISSUED["content_digest"])
    assert loaded.attestation == ATTESTED["attestation"]
    assert loaded.attestation_digest == ATTESTED["digest"]
    assert loaded.version == 2
