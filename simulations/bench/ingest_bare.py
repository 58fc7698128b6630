"""The bare ingest pipeline: the same library calls as the hub's ingest, without its structure.

Per record: hardened parse of the SOAP envelope (or the JSON bytes), libxml2
validation, the compiled mapping and pydantic (the decoder the hub compiles for
the source, so translation costs the same), a SHA-256 content digest of the
contract's JSON, an Ed25519 signature over a compact JWS of the claims with
``cryptography`` alone, one eventsourcing aggregate with one event; per batch
of :data:`BATCH`: one ``save`` of all the batch's aggregates to an
eventsourcing SQLite file store, then one pipelined JetStream publish of a
notice per record, awaiting every confirmation. No consumer, no acks, no
refusal events, no subject pseudonyms, no JCS of the content, no Record
aggregate with two events: that is the hub's structure this leaves out.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import nats
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from nats.js import api

from contracts import Contract
from hub.adapters.store.selection import sqlite_environment

BATCH = 256
STREAM = "BARE_INGEST"


class BareRecord(Aggregate):
    """One record, one event: the least an event store must hold about it."""

    TOPIC = "bench:bare-record"

    class Created(Aggregate.Created):
        TOPIC = "bench:bare-record.created"
        record_id: str
        content_digest: str
        attestation: str

    @event(Created)
    def __init__(self, record_id: str, content_digest: str, attestation: str) -> None:
        self.record_id = record_id
        self.content_digest = content_digest
        self.attestation = attestation


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class BarePipeline:
    """Decode, digest, sign, append, publish — with per-stage timings."""

    def __init__(self, folder: Path, decode: Callable[[bytes], Contract]) -> None:
        self._decode = decode
        self._key = Ed25519PrivateKey.generate()
        self._header = _b64(json.dumps({"alg": "Ed25519", "kid": "bare", "typ": "jws"},
                                       separators=(",", ":")).encode())
        self.app: Application[Any] = Application(sqlite_environment(folder / "bare.sqlite3"))
        self.seconds: dict[str, float] = {}

    def _tick(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - started
        return now

    def prepare(self, bodies: Sequence[bytes]) -> list[BareRecord]:
        """Everything up to the store, for one batch."""
        records = []
        for body in bodies:
            started = time.perf_counter()
            document = self._decode(body)
            started = self._tick("decode (parse, validate, map, pydantic)", started)
            content_digest = "sha256:" + hashlib.sha256(document.model_dump_json().encode()
                                                        ).hexdigest()
            started = self._tick("content digest (SHA-256)", started)
            record_id = str(uuid.uuid4())
            claims = json.dumps({"record_id": record_id, "content_digest": content_digest},
                                sort_keys=True, separators=(",", ":")).encode()
            signing_input = f"{self._header}.{_b64(claims)}"
            jws = f"{signing_input}.{_b64(self._key.sign(signing_input.encode()))}"
            started = self._tick("sign (raw Ed25519)", started)
            records.append(BareRecord(record_id, content_digest, jws))
            self._tick("aggregate (one event)", started)
        return records

    def close(self) -> None:
        self.app.close()


async def measure_bare(url: str, folder: Path, decode: Callable[[bytes], Contract],
                       bodies: Sequence[bytes], *, auth: dict[str, Any] | None = None
                       ) -> tuple[float, dict[str, float]]:
    """Records per second (wall) of the bare pipeline over ``bodies``, and µs per stage
    (``auth``: ``nats.connect`` options, for a server with users)."""
    pipeline = BarePipeline(folder, decode)
    nc = await nats.connect(url, **(auth or {}))
    js = nc.jetstream(timeout=10)
    await js.add_stream(api.StreamConfig(name=STREAM, subjects=["bare.>"],
                                         storage=api.StorageType.FILE))
    try:
        started = time.perf_counter()
        for first in range(0, len(bodies), BATCH):
            records = pipeline.prepare(bodies[first:first + BATCH])
            tick = time.perf_counter()
            pipeline.app.save(*records)
            tick = pipeline._tick("append (one save per batch)", tick)
            futures = [await js.publish_async(
                "bare.records", json.dumps({"record_id": r.record_id,
                                            "attestation": r.attestation}).encode(),
                headers={"Nats-Msg-Id": r.record_id}) for r in records]
            await asyncio.gather(*futures)
            pipeline._tick("publish (pipelined, confirmed)", tick)
        elapsed = time.perf_counter() - started
    finally:
        await js.delete_stream(STREAM)
        await nc.close()
        pipeline.close()
    return len(bodies) / elapsed, {k: v * 1e6 / len(bodies) for k, v in pipeline.seconds.items()}
