"""Many JetStream publishes in one write, each confirmed: what ingest's client and workers send.

nats-py queues each publish and a flusher task writes the queue to the socket
whenever the event loop runs it. ``publish_async(..., wait_stall=t)`` waits for
its in-flight slot through ``asyncio.wait_for``, which hands control to the loop
on every call even when a slot is free: the flusher then writes one message per
``send`` and the server reads one message per wake-up. Measured on one
machine: about 200 µs of client CPU and 130 µs of nats-server CPU per 700-byte
message, against about 45 and 18 when the messages are written together. So a
message is published without a stall limit while the context has room for it
(no wait can happen), and with the limit only when it is full (a wait can).

Every message is either confirmed or reported failed when :func:`publish_confirmed`
returns: a confirmation still missing after the timeout is cancelled, which also
gives its in-flight slot back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import nats.errors
from nats.aio.client import Client as NatsClient
from nats.js.api import PubAck

# Unconfirmed publishes one JetStream context allows: a client's submissions, a worker's
# notices (a batch is at most 4,096, HubSettings.ingest_batch).
WINDOW = 4096


@dataclass(frozen=True)
class Outgoing:
    """One message to publish: subject, body and headers (``Nats-Msg-Id`` among them)."""

    subject: str
    payload: bytes
    headers: dict[str, str]


def jetstream(nc: NatsClient, timeout_s: float) -> Any:
    """A JetStream context whose in-flight window is :data:`WINDOW`."""
    return nc.jetstream(timeout=timeout_s, publish_async_max_pending=WINDOW)


async def publish_confirmed(js: Any, messages: Iterable[Outgoing], *, timeout_s: float
                            ) -> list[PubAck | BaseException]:
    """Publish ``messages`` pipelined (``js`` from :func:`jetstream`); per message, its
    confirmation or why there is none (a publish error, a negative reply, a timeout)."""
    sent: list[asyncio.Future[PubAck] | BaseException] = []
    for message in messages:
        stall = None if js.publish_async_pending() < WINDOW else timeout_s
        try:
            sent.append(await js.publish_async(message.subject, message.payload,
                                               headers=message.headers, wait_stall=stall))
        except (TimeoutError, nats.errors.Error) as exc:
            sent.append(exc)
    waiting = [f for f in sent if isinstance(f, asyncio.Future)]
    if not waiting:
        return [_result(f, timeout_s) for f in sent]
    _, late = await asyncio.wait(waiting, timeout=timeout_s)
    results = [_result(f, timeout_s) for f in sent]
    if late:
        await asyncio.sleep(0)  # the cancelled ones' done-callbacks free their slots now
    return results


def _result(sent: asyncio.Future[PubAck] | BaseException, timeout_s: float
            ) -> PubAck | BaseException:
    if not isinstance(sent, asyncio.Future):
        return sent
    if not sent.done():
        sent.cancel()  # its done-callback frees the in-flight slot
        return TimeoutError(f"no confirmation from JetStream within {timeout_s} s")
    if sent.cancelled():
        return asyncio.CancelledError("the confirmation was cancelled")
    return sent.exception() or sent.result()
