"""The bus over NATS: JetStream for durable exchanges, core NATS for replies.

One connection per bus, owned here, drained on close. Every network await has
a timeout, and ``nats.errors`` are translated into :class:`hub.errors.BusError`
in this module only.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors
import nats.js.errors
import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import api

from hub.adapters.bus.port import ConsumerSpec, Handler
from hub.adapters.nats.servers import servers
from hub.errors import BusError

log = structlog.get_logger("hub.adapters.nats.bus")

_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class StreamSpec:
    """The stream holding one region's exchanges awaiting delivery."""

    name: str
    subjects: list[str]
    duplicate_window_s: float = 120.0
    max_age_s: float = 7 * 24 * 3600.0
    replicas: int = 1


_IDLE_S = 0.5  # a consumer with nothing to do long-polls this long for one message
_BURST_S = 0.002  # a busy consumer's pull for more returns after at most this


class _JsDelivery:
    """Adapts a JetStream message to the :class:`hub.adapters.bus.port.Delivery` port."""

    def __init__(self, msg: Msg) -> None:
        self._msg = msg
        self.subject = msg.subject
        self.data = msg.data
        self.headers: Mapping[str, str] = msg.headers or {}
        self.attempt = msg.metadata.num_delivered

    async def ack(self) -> None:
        # No round trip: the outcome is recorded before the ack, so a lost ack means a
        # redelivery that the worker recognises as settled and does not apply again.
        try:
            await self._msg.ack()
        except (TimeoutError, nats.errors.Error) as exc:
            raise BusError(f"ack of {self.subject} failed: {exc!r}") from exc

    async def retry(self, delay: float) -> None:
        try:
            await self._msg.nak(delay=delay)
        except nats.errors.Error as exc:
            raise BusError(f"nak of {self.subject} failed: {exc!r}") from exc


class _NatsInbox:
    """Futures keyed by token, resolved by one wildcard subscription."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._waiting: dict[str, asyncio.Future[bytes]] = {}
        self.subscription: Any = None

    def expect(self, token: str) -> asyncio.Future[bytes]:
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiting[token] = future
        return future

    def forget(self, token: str) -> None:
        self._waiting.pop(token, None)

    async def on_message(self, msg: Msg) -> None:
        self.resolve(msg.subject.rsplit(".", 1)[-1], msg.data)

    def resolve(self, token: str, data: bytes) -> None:
        """Hand ``data`` to whoever waits for ``token`` (nobody: dropped, as on NATS)."""
        future = self._waiting.pop(token, None)
        if future is not None and not future.done():
            future.set_result(data)


class JetStreamBus:
    """Implements :class:`hub.adapters.bus.port.Bus` over one NATS connection."""

    def __init__(self, nc: NatsClient, stream: StreamSpec) -> None:
        self._nc = nc
        self._js = nc.jetstream(timeout=_TIMEOUT_S)
        self.stream = stream
        self._inboxes: dict[str, _NatsInbox] = {}  # by prefix: replies that stay in process

    @classmethod
    async def connect(
        cls, url: str, stream: StreamSpec, *, name: str, auth: dict[str, Any] | None = None
    ) -> JetStreamBus:
        """Connect, and create or update the stream (``auth``: NatsAuth.options())."""
        try:
            nc = await nats.connect(
                servers(url),  # a cluster: every node's URL
                name=name,
                **(auth or {}),
                connect_timeout=5,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                error_cb=_log_error,
            )
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            raise BusError(f"cannot connect to NATS at {url}: {exc!r}") from exc
        bus = cls(nc, stream)
        await bus.ensure_stream(stream)
        return bus

    async def ensure_stream(self, spec: StreamSpec) -> None:
        """Create ``spec``'s stream, or update it to ``spec`` (e.g. more replicas)."""
        config = api.StreamConfig(
            name=spec.name,
            subjects=spec.subjects,
            storage=api.StorageType.FILE,
            retention=api.RetentionPolicy.LIMITS,
            duplicate_window=spec.duplicate_window_s,
            max_age=spec.max_age_s,
            num_replicas=spec.replicas,
        )
        try:
            try:
                await self._js.stream_info(spec.name)
                await self._js.update_stream(config)
            except nats.js.errors.NotFoundError:
                await self._js.add_stream(config)
        except (TimeoutError, nats.errors.Error) as exc:
            raise BusError(f"cannot create stream {spec.name}: {exc!r}") from exc

    async def stream_message(self, stream: str, sequence: int) -> bytes:
        """The data of message ``sequence`` of ``stream``."""
        try:
            return (await self._js.get_msg(stream, sequence)).data or b""
        except (TimeoutError, nats.errors.Error) as exc:
            raise BusError(f"cannot read message {sequence} of {stream}: {exc!r}") from exc

    async def stream_info(self, name: str) -> api.StreamInfo:
        """What JetStream reports of one stream (config, state, cluster)."""
        try:
            return await self._js.stream_info(name)
        except (TimeoutError, nats.errors.Error) as exc:
            raise BusError(f"cannot read stream {name}: {exc!r}") from exc

    async def publish(
        self, subject: str, data: bytes, *, msg_id: str, headers: Mapping[str, str] | None = None
    ) -> None:
        try:
            await self._js.publish(
                subject,
                data,
                timeout=_TIMEOUT_S,
                headers={**(headers or {}), "Nats-Msg-Id": msg_id},
            )
        except (TimeoutError, nats.errors.Error) as exc:
            raise BusError(f"publish to {subject} failed: {exc!r}") from exc

    async def send(
        self, subject: str, data: bytes, headers: Mapping[str, str] | None = None
    ) -> None:
        # A reply to an inbox of this connection (its prefix is unique to it) is handed
        # over in process: the round trip through the server would bring it back here.
        prefix, _, token = subject.rpartition(".")
        inbox = self._inboxes.get(prefix)
        if inbox is not None:
            inbox.resolve(token, data)
            return
        try:
            await self._nc.publish(subject, data, headers=dict(headers) if headers else None)
        except nats.errors.Error as exc:
            raise BusError(f"send to {subject} failed: {exc!r}") from exc

    async def listen(self, subject: str, on_message: Callable[[], None]) -> None:
        """Call ``on_message`` for every core NATS message on ``subject`` (a hint: the data
        is not read), for the connection's lifetime."""

        async def deliver(_: Msg) -> None:
            on_message()

        try:
            await self._nc.subscribe(subject, cb=deliver)
            await self._nc.flush(timeout=_TIMEOUT_S)
        except (TimeoutError, nats.errors.Error) as exc:
            raise BusError(f"cannot subscribe to {subject}: {exc!r}") from exc

    async def open_inbox(self, prefix: str) -> _NatsInbox:
        inbox = _NatsInbox(prefix)
        try:
            inbox.subscription = await self._nc.subscribe(f"{prefix}.*", cb=inbox.on_message)
            await self._nc.flush(timeout=_TIMEOUT_S)
        except (TimeoutError, nats.errors.Error) as exc:
            raise BusError(f"cannot subscribe to {prefix}.*: {exc!r}") from exc
        self._inboxes[prefix] = inbox
        return inbox

    async def consume(self, spec: ConsumerSpec, handler: Handler, stop: asyncio.Event) -> None:
        config = api.ConsumerConfig(
            durable_name=spec.name,
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=spec.ack_wait_s,
            max_deliver=spec.max_deliver,
            max_ack_pending=spec.concurrency * 4,
            filter_subject=spec.subject_filter,
        )
        try:
            sub = await self._js.pull_subscribe(
                spec.subject_filter, durable=spec.name, stream=spec.stream or self.stream.name,
                config=config,
            )
        except (TimeoutError, nats.errors.Error) as exc:
            raise BusError(f"cannot create consumer {spec.name}: {exc!r}") from exc
        slots = asyncio.Semaphore(spec.concurrency)
        running: set[asyncio.Task[None]] = set()
        busy = False
        try:
            while not stop.is_set():
                await slots.acquire()
                # Idle: wait (long poll) for one message. Busy: take what is there, as
                # many as there are free slots, waiting at most _BURST_S for it.
                want = max(1, spec.concurrency - len(running)) if busy else 1
                batch = await self._fetch(sub, spec, want, _BURST_S if busy else _IDLE_S)
                busy = bool(batch)
                if not batch:
                    slots.release()
                for index, msg in enumerate(batch):
                    if index:
                        await slots.acquire()
                    task = asyncio.create_task(self._handle(handler, msg, slots))
                    running.add(task)
                    task.add_done_callback(running.discard)
        finally:
            if running:
                await asyncio.wait(running, timeout=_TIMEOUT_S)
            with contextlib.suppress(nats.errors.Error):
                await sub.unsubscribe()

    async def _fetch(self, sub: Any, spec: ConsumerSpec, batch: int, wait_s: float
                     ) -> list[Msg]:
        # A pull for several messages waits, once its first message came, until the
        # batch fills or the pull expires: a long poll for 16 held a lone delivery for
        # up to 0.5 s. So a long poll asks for one, and a short pull for the rest.
        try:
            return list(await sub.fetch(batch=batch, timeout=wait_s))
        except (TimeoutError, nats.errors.TimeoutError):
            return []
        except nats.errors.Error as exc:
            log.warning("fetch failed, retrying", consumer=spec.name, error=repr(exc))
            await asyncio.sleep(0.5)
            return []

    @staticmethod
    async def _handle(handler: Handler, msg: Msg, slots: asyncio.Semaphore) -> None:
        try:
            await handler(_JsDelivery(msg))
        except Exception:
            # Unsettled: JetStream redelivers after ack_wait. Log, never swallow silently.
            log.exception(
                "delivery handler failed; message will be redelivered", subject=msg.subject
            )
        finally:
            slots.release()

    async def healthy(self) -> str | None:
        """None when connected and JetStream answers for the stream; else what is wrong."""
        if not self._nc.is_connected:
            return f"not connected to NATS ({self._nc.connected_url or 'no server'})"
        try:
            await self._js.stream_info(self.stream.name)
        except (TimeoutError, nats.errors.Error) as exc:
            return f"JetStream does not answer for stream {self.stream.name}: {exc!r}"
        return None

    async def close(self) -> None:
        """Drain the connection: pending publishes and acks are flushed first."""
        with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
            await asyncio.wait_for(self._nc.drain(), timeout=_TIMEOUT_S)


async def _log_error(exc: Exception) -> None:
    log.warning("nats connection error", error=repr(exc))
