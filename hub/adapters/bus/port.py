"""The bus port the hub depends on; :mod:`hub.adapters.nats.bus` implements it over JetStream."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol


class Delivery(Protocol):
    """One durable message handed to a consumer; it must be settled exactly once."""

    subject: str
    data: bytes
    headers: Mapping[str, str]
    attempt: int  # 1 on first delivery

    async def ack(self) -> None:
        """The effect is recorded: never deliver again."""

    async def retry(self, delay: float) -> None:
        """Deliver again after ``delay`` seconds (counts towards ``max_deliver``)."""


Handler = Callable[[Delivery], Awaitable[None]]


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable consumer: its name, what it reads, and its redelivery policy."""

    name: str
    subject_filter: str
    max_deliver: int
    ack_wait_s: float
    concurrency: int = 16
    stream: str | None = None  # None: the bus's own (delivery) stream


class Inbox(Protocol):
    """A transient subscription on ``prefix.*`` for replies addressed to this process."""

    prefix: str

    def expect(self, token: str) -> asyncio.Future[bytes]:
        """A future resolved with the first reply sent to ``prefix.token``."""

    def forget(self, token: str) -> None:
        """Stop waiting for ``prefix.token`` (e.g. after a timeout)."""


class Bus(Protocol):
    """Durable publish/consume (JetStream) plus transient replies (core NATS)."""

    async def publish(
        self, subject: str, data: bytes, *, msg_id: str, headers: Mapping[str, str] | None = None
    ) -> None:
        """Store a message durably; returns once the stream acknowledged it.

        ``msg_id`` makes the publish idempotent within the stream's duplicate window.
        """

    async def send(
        self, subject: str, data: bytes, headers: Mapping[str, str] | None = None
    ) -> None:
        """Send a transient message (a reply); lost if nobody listens."""

    async def open_inbox(self, prefix: str) -> Inbox:
        """Subscribe to replies addressed to ``prefix.*``."""

    async def consume(self, spec: ConsumerSpec, handler: Handler, stop: asyncio.Event) -> None:
        """Run ``handler`` on each message for ``spec`` until ``stop`` is set."""
