"""Signed statements carried between regions over NATS: attestations, revocations, receipts.

Each region runs its own NATS server or cluster; leaf nodes join them.

Each region keeps one stream, ``FEDERATION``, in its **own** JetStream domain,
capturing what peers send it:

| subject | sent by | what |
|---|---|---|
| ``fed.<to>.attestations.<from>`` | the issuer | a signed attestation (msg id: record id) |
| ``fed.<to>.revocations.<from>`` | the issuer | a signed revocation |
| ``fed.<to>.receipts.<from>`` | the receiver | the signed receipt of either |

A sender publishes into the receiver's domain (``nc.jetstream(domain=<to>)``),
so the message is stored on the receiver's side of the leaf link, durably, and
the same ``Nats-Msg-Id`` twice is stored once. The receiver's durable consumer
``recognition`` hands what arrives to a handler in batches, as
:class:`Statement` values; each is acknowledged when the handler settles it,
and a batch whose handler raises is redelivered. What a region does with them
(recognise, answer with receipts) is
:class:`hub.service_layer.federation.recognition_link.RecognitionLink`'s.

A peer that cannot be reached (no responders, a timeout) is not an error here:
:func:`publish_statement` says why the statement was not stored, and the
caller leaves it for reconciliation to find.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors
import nats.js.errors
import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import api

from contracts.errors import HubError
from hub.adapters.nats.servers import servers

log = structlog.get_logger("hub.adapters.peers.transport")

STREAM = "FEDERATION"
DURABLE = "recognition"
ATTESTATIONS, REVOCATIONS, RECEIPTS = "attestations", "revocations", "receipts"
_KINDS = (ATTESTATIONS, REVOCATIONS, RECEIPTS)
_BATCH = 64


class TransportError(HubError):
    """The federation transport could not start or stop (its own region's NATS)."""

    code = "federation-transport"
    status = 503
    retryable = True
    http_status = 503


def subject(to: str, kind: str, sender: str) -> str:
    """``fed.<to>.<kind>.<sender>``: what ``sender`` sends ``to``."""
    return f"fed.{to}.{kind}.{sender}"


def parse_subject(value: str, region: str) -> tuple[str, str] | None:
    """(kind, sender) of a subject addressed to ``region``; None otherwise."""
    parts = value.split(".")
    if len(parts) != 4 or parts[:2] != ["fed", region] or parts[2] not in _KINDS:
        return None
    return parts[2], parts[3]


@dataclass(frozen=True)
class Statement:
    """One signed statement a peer sent this region; :meth:`settle` it once handled."""

    kind: str  # ATTESTATIONS, REVOCATIONS or RECEIPTS
    sender: str
    compact: str  # the JWS compact serialisation
    msg: Msg

    async def settle(self) -> None:
        """Acknowledge it: it will not be delivered again."""
        with contextlib.suppress(nats.errors.Error):
            await self.msg.ack()


StatementHandler = Callable[[Sequence[Statement]], Awaitable[None]]


async def publish_statement(nc: NatsClient, to: str, kind: str, sender: str, compact: str, *,
                            msg_id: str, timeout_s: float) -> str | None:
    """Store ``compact`` in ``to``'s domain, sent by ``sender``; None when stored, else why."""
    js = nc.jetstream(domain=to, timeout=timeout_s)
    try:
        await js.publish(subject(to, kind, sender), compact.encode("ascii"),
                         headers={"Nats-Msg-Id": msg_id})
    except (TimeoutError, nats.errors.Error) as exc:
        why = f"region {to} unreachable: {type(exc).__name__}"
        log.warning("federation message not delivered", kind=kind, peer=to, reason=why)
        return why
    return None


class StatementTransport:
    """One region's statement stream and its connection; :meth:`connect`, :meth:`start`,
    :meth:`close`."""

    def __init__(self, nc: NatsClient, region: str, *, timeout_s: float) -> None:
        self.region = region
        self._nc = nc
        self._timeout_s = timeout_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, url: str, region: str, *, timeout_s: float = 2.0,
                      auth: dict[str, Any] | None = None) -> StatementTransport:
        """Connect to the region's own server (peers are reached across its leaf links)."""
        try:
            nc = await nats.connect(servers(url), name=f"interop-hub-{region}-federation",
                                    connect_timeout=5, max_reconnect_attempts=-1,
                                    reconnect_time_wait=0.5, error_cb=_log_error,
                                    **(auth or {}))
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            raise TransportError(f"cannot connect to NATS at {url}: {exc!r}") from exc
        return cls(nc, region, timeout_s=timeout_s)

    async def start(self, handler: StatementHandler) -> None:
        """Make the stream and consumer in this region's domain; hand batches to ``handler``
        until :meth:`close`."""
        js = self._nc.jetstream(timeout=self._timeout_s * 5)
        config = api.StreamConfig(name=STREAM, subjects=[subject(self.region, k, "*")
                                                         for k in _KINDS],
                                  duplicate_window=24 * 3600.0)
        try:
            try:
                await js.add_stream(config)
            except nats.js.errors.BadRequestError:
                await js.update_stream(config)
            sub = await js.pull_subscribe(
                "", durable=DURABLE, stream=STREAM,
                config=api.ConsumerConfig(ack_wait=30, max_deliver=20))
        except (TimeoutError, nats.errors.Error) as exc:
            raise TransportError(f"{self.region}: cannot set up stream {STREAM}: {exc!r}"
                                 ) from exc
        self._task = asyncio.create_task(self._consume(sub, handler),
                                         name=f"federation-{self.region}")

    async def close(self) -> None:
        """Stop consuming (bounded: a batch in hand is finished) and close the connection."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=10)
        # Not drain(): draining a pull subscription waits out its pending fetch requests.
        with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError, OSError):
            await asyncio.wait_for(self._nc.close(), timeout=5)

    async def send(self, peer: str, kind: str, compact: str, *, msg_id: str) -> str | None:
        """Store ``compact`` in ``peer``'s domain; None when stored, else why not (undelivered)."""
        return await publish_statement(self._nc, peer, kind, self.region, compact,
                                       msg_id=msg_id, timeout_s=self._timeout_s)

    async def _consume(self, sub: Any, handler: StatementHandler) -> None:
        while not self._stop.is_set():
            try:
                msgs = await sub.fetch(_BATCH, timeout=0.5)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            except nats.errors.Error as exc:
                log.warning("federation fetch failed", region=self.region, error=repr(exc))
                await asyncio.sleep(0.5)
                continue
            try:
                await handler(await self._statements(msgs))
            except Exception:  # one bad batch must not stop the consumer
                log.exception("federation batch failed; redelivered later", region=self.region)
                for msg in msgs:
                    with contextlib.suppress(nats.errors.Error):
                        await msg.nak(delay=1.0)

    async def _statements(self, msgs: Sequence[Msg]) -> list[Statement]:
        """The batch as statements; a message on a subject not addressed here is dropped."""
        statements = []
        for msg in msgs:
            parsed = parse_subject(msg.subject, self.region)
            if parsed is None:
                await msg.term()
                continue
            kind, sender = parsed
            statements.append(Statement(kind, sender, msg.data.decode("ascii", "replace"), msg))
        return statements


async def _log_error(exc: Exception) -> None:
    log.warning("federation nats connection error", error=repr(exc))
