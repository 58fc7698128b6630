"""Checkpoint gossip between regions, and the alarm when a peer rewrites its history (#5 part 7)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import httpx
import nats
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from structlog.testing import capture_logs

from hub.adapters.peers import subjects
from hub.adapters.peers.messages import CheckpointOffer
from hub.domain.audit_alarm import BAD_SIGNATURE, INCONSISTENT
from hub.service_layer.audit import Auditor, CheckpointBody
from hub.service_layer.audit.checkpoint import log_origin, sign_checkpoint
from hub.service_layer.audit.note import NoteSigner
from hub.settings import HubSettings
from tests.integration.hub_fixtures import auth_headers
from tests.integration.links_fixtures import LinkedRegion, linked_regions
from tests.waiting import wait_until_async

HISTORY = {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}


@pytest.fixture
def base(tmp_path: Path) -> HubSettings:
    """Regions that pull each other's checkpoints every half second."""
    return HubSettings(
        data=tmp_path, reply_timeout_s=20, retry_backoff_s=0.05, link_timeout_s=2,
        gossip_interval_s=0.5, log_format="json",
    )


async def _local_query(region: LinkedRegion, correlation: str) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{region.hub.http_url}/services/{region.name}/social-security/contribution-history",
            content=json.dumps(HISTORY).encode(),
            headers=auth_headers(region.hub, f"{region.name}/tax",
                                 **{"X-Correlation-Id": correlation}),
        )
    assert response.status_code == 200, response.text


def _held_size(north: LinkedRegion, peer: str) -> int:
    gossip = north.hub.links.parts.gossip
    verifier = gossip.held.verifier(peer)
    held = gossip.held.held(peer, verifier) if verifier else None
    return held.size if held else -1


def _rewrite_history(data: Path) -> None:
    """Flip one byte of a stored event, and drop the audit files that would refuse to re-sign.

    The event is the first exchange's Received: early in the log, and never read
    again by the hub (the access rights recorded before it are, on every query).
    """
    with sqlite3.connect(data / "ledger.sqlite3") as db:
        rowid, state = db.execute(
            "SELECT rowid, state FROM stored_events WHERE topic = ? ORDER BY rowid LIMIT 1",
            ("interop-hub:exchange.received",),
        ).fetchone()
        forged = bytes([state[0] ^ 0x01]) + bytes(state[1:])
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (forged, rowid))
    for name in ("tree.json", "leaves.idx", "checkpoints.jsonl"):
        (data / "audit" / name).unlink()


async def test_a_peer_that_rewrites_and_resigns_its_history_raises_the_alarm(
    base: HubSettings,
) -> None:
    """north verifies south's checkpoints as they grow, then alarms on a re-signed forged one."""
    async with linked_regions(base, ["north", "south"]) as regions:
        north, south = regions["north"], regions["south"]
        auditor = Auditor.from_settings(south.settings)
        await _local_query(south, "g-1")
        first = await asyncio.to_thread(auditor.checkpoint)
        await wait_until_async(lambda: _held_size(north, "south") == first.size, timeout_s=20,
                               interval_s=0.1, message="north holding south's first checkpoint")
        await _local_query(south, "g-2")
        second = await asyncio.to_thread(auditor.checkpoint)
        await wait_until_async(  # proven consistent
            lambda: _held_size(north, "south") == second.size, timeout_s=20, interval_s=0.1,
            message="north holding south's second checkpoint")
        pinned = north.hub.links.parts.gossip.held.key_path("south").read_text().strip()
        assert pinned == auditor.verifier().vkey()

        await asyncio.to_thread(_rewrite_history, south.settings.data)
        await _local_query(south, "g-3")
        with capture_logs() as logs:
            forged = await asyncio.to_thread(auditor.checkpoint)
            alarms = north.hub.links.parts.alarms
            [alarm] = await wait_until_async(
                lambda: alarms.alarms("south"), timeout_s=20, interval_s=0.1,
                message="north's alarm about south's rewritten history")
        assert alarm.kind == INCONSISTENT
        assert (alarm.held_checkpoint, alarm.received_checkpoint) == (second.note, forged.note)
        assert alarm.detected_by == "north"
        assert _held_size(north, "south") == second.size  # the forged one is not held
        raised = [e for e in logs if e["event"] == "peer audit alarm raised"]
        assert raised and raised[0]["log_level"] == "error" and raised[0]["peer"] == "south"


async def test_a_checkpoint_not_signed_by_the_pinned_key_raises_the_alarm(
    base: HubSettings,
) -> None:
    """A checkpoint offered for south under another key is refused and recorded as evidence."""
    async with linked_regions(base, ["north", "south"]) as regions:
        north, south = regions["north"], regions["south"]
        await _local_query(south, "k-1")
        genuine = await asyncio.to_thread(Auditor.from_settings(south.settings).checkpoint)
        await wait_until_async(lambda: _held_size(north, "south") == genuine.size, timeout_s=20,
                               interval_s=0.1, message="north holding south's genuine checkpoint")
        impostor = NoteSigner(log_origin("south"), Ed25519PrivateKey.generate())
        body = CheckpointBody(log_origin("south"), genuine.size + 5, bytes(32), datetime.now(UTC))
        fake = sign_checkpoint(body, impostor)
        offer = CheckpointOffer(region="south", note=fake.note,
                                verifier_key=impostor.verifier().vkey())
        nc = await nats.connect(north.server.url)
        try:
            await nc.publish(subjects.audit_checkpoint("south"), offer.model_dump_json().encode())
            await nc.flush()
        finally:
            await nc.close()
        alarms = north.hub.links.parts.alarms
        [alarm] = await wait_until_async(
            lambda: alarms.alarms("south"), timeout_s=20, interval_s=0.1,
            message="north's alarm about the impostor's checkpoint")
        assert alarm.kind == BAD_SIGNATURE
        assert (alarm.held_checkpoint, alarm.received_checkpoint) == (genuine.note, fake.note)
