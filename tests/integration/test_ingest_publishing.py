"""Pipelined, confirmed JetStream publishes (ingest's client and workers) on a real nats-server."""

from __future__ import annotations

import nats
import pytest
from nats.js import api
from nats.js.api import PubAck

from hub.adapters.nats.server import NatsServerProcess
from hub.service_layer.ingest.publishing import Outgoing, jetstream, publish_confirmed

pytestmark = pytest.mark.timeout(60)


def _messages(subject: str, count: int, prefix: str = "m") -> list[Outgoing]:
    return [Outgoing(subject, b"x" * 700, {"Nats-Msg-Id": f"{prefix}-{n}"}) for n in range(count)]


async def test_every_message_is_confirmed_in_order_and_a_resent_one_is_a_duplicate(
    nats_server: NatsServerProcess,
) -> None:
    """600 messages in one call: 600 confirmations with increasing sequences; sending the
    first 10 again (same message ids) is confirmed as duplicates, not stored twice."""
    nc = await nats.connect(nats_server.url)
    try:
        js = jetstream(nc, 5)
        await js.add_stream(api.StreamConfig(name="P", subjects=["p.>"]))
        results = await publish_confirmed(js, _messages("p.a", 600), timeout_s=10)
        assert all(isinstance(r, PubAck) for r in results)
        assert [r.seq for r in results if isinstance(r, PubAck)] == list(range(1, 601))
        again = await publish_confirmed(js, _messages("p.a", 10), timeout_s=10)
        assert all(isinstance(r, PubAck) and r.duplicate for r in again)
        assert (await js.stream_info("P")).state.messages == 600
        assert js.publish_async_pending() == 0
    finally:
        await nc.close()


async def test_a_message_no_stream_takes_fails_alone(nats_server: NatsServerProcess) -> None:
    """A message on a subject no stream captures is reported failed; the others are stored."""
    nc = await nats.connect(nats_server.url)
    try:
        js = jetstream(nc, 5)
        await js.add_stream(api.StreamConfig(name="P", subjects=["p.>"]))
        messages = _messages("p.a", 5)
        messages.insert(2, Outgoing("nowhere.a", b"{}", {"Nats-Msg-Id": "lost"}))
        results = await publish_confirmed(js, messages, timeout_s=10)
        assert [isinstance(r, PubAck) for r in results] == [True, True, False, True, True, True]
        assert (await js.stream_info("P")).state.messages == 5
    finally:
        await nc.close()


async def test_an_unconfirmed_message_times_out_and_gives_its_slot_back(
    nats_server: NatsServerProcess,
) -> None:
    """A subscriber that never answers (no stream): the call returns after the timeout with a
    TimeoutError for that message and nothing left in flight."""
    nc = await nats.connect(nats_server.url)
    try:
        silent = await nc.subscribe("silent.>")  # takes the message, never replies
        js = jetstream(nc, 5)
        results = await publish_confirmed(js, _messages("silent.a", 3), timeout_s=0.5)
        assert all(isinstance(r, TimeoutError) for r in results)
        assert js.publish_async_pending() == 0
        await silent.unsubscribe()
    finally:
        await nc.close()
