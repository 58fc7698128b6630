"""Records, revocations and receipts carried between regions over NATS.

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
``recognition`` recognises attestations in batches (``recognise_many``),
honours revocations (``recognise_revocation``) and records receipts
(``record_receipt``), then publishes each receipt back into the issuer's domain.

A peer that cannot be reached (no responders, a timeout) leaves the record
issued-but-undelivered in the issuer's federation store, where it already is:
that gap is what reconciliation finds and repairs
(:mod:`hub.service_layer.federation.reconciliation`).
A receipt that cannot be sent back is likewise left for reconciliation (the
receiver holds it in its own history). Recognition is idempotent (a replay
returns the original receipt), so redelivery is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

import nats
import nats.errors
import nats.js.errors
import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import api

from contracts.errors import HubError
from federation.receipt import Receipt
from hub.adapters.nats.servers import servers
from hub.bootstrap.federation import RegionFederation, open_federation
from hub.service_layer.federation.app import FederationApp, IssuedRecord
from hub.settings import HubSettings

log = structlog.get_logger("hub.adapters.peers.transport")

STREAM = "FEDERATION"
DURABLE = "recognition"
ATTESTATIONS, REVOCATIONS, RECEIPTS = "attestations", "revocations", "receipts"
_KINDS = (ATTESTATIONS, REVOCATIONS, RECEIPTS)
_BATCH = 64
T = TypeVar("T")


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


@dataclass
class Sent:
    """What :meth:`RecognitionLink.issue` did: the record and which peers stored it."""

    record: IssuedRecord
    delivered: list[str] = field(default_factory=list)
    undelivered: dict[str, str] = field(default_factory=dict)  # peer -> why


class RecognitionLink:
    """One region's federation transport; use :meth:`connect`, :meth:`start`, :meth:`close`."""

    def __init__(self, app: FederationApp, nc: NatsClient, *, timeout_s: float) -> None:
        self.app = app
        self.region = app.region
        self._nc = nc
        self._timeout_s = timeout_s
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.handled = 0  # messages settled by this region's consumer
        self._app_lock = asyncio.Lock()  # one application call at a time, off the event loop

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` (a method of the application) in a thread, one call at a time."""
        async with self._app_lock:
            return await asyncio.to_thread(fn, *args, **kwargs)

    @classmethod
    async def connect(cls, url: str, app: FederationApp, *, timeout_s: float = 2.0,
                      auth: dict[str, Any] | None = None) -> RecognitionLink:
        """Connect to the region's own server (peers are reached across its leaf links)."""
        try:
            nc = await nats.connect(servers(url), name=f"interop-hub-{app.region}-federation",
                                    connect_timeout=5, max_reconnect_attempts=-1,
                                    reconnect_time_wait=0.5, error_cb=_log_error,
                                    **(auth or {}))
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            raise TransportError(f"cannot connect to NATS at {url}: {exc!r}") from exc
        return cls(app, nc, timeout_s=timeout_s)

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Make the stream and consumer in this region's domain; consume until :meth:`close`."""
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
        self._task = asyncio.create_task(self._consume(sub), name=f"federation-{self.region}")

    async def close(self) -> None:
        """Stop consuming (bounded: a batch in hand is finished) and close the connection."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=10)
        # Not drain(): draining a pull subscription waits out its pending fetch requests.
        with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError, OSError):
            await asyncio.wait_for(self._nc.close(), timeout=5)

    async def __aenter__(self) -> RecognitionLink:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- sending --------------------------------------------------------------------------------

    async def issue(
        self, department: str, contract: str, content: Mapping[str, Any], *,
        subject_ref: str, to: Sequence[str] | None = None, **kwargs: Any,
    ) -> Sent:
        """Issue a record here (Issued + Attested), then send its attestation to ``to``
        (by default: every peer whose accepted agreement covers it, as reconciliation expects)."""
        record = await self.call(self.app.issue_record, department, contract, content,
                                 subject=subject_ref, **kwargs)
        peers = to if to is not None else await self.call(self.recipients, department, contract)
        sent = Sent(record)
        for peer in peers:
            why = await self.send(peer, ATTESTATIONS, record.attestation,
                                  msg_id=str(record.record_id))
            if why is None:
                sent.delivered.append(peer)
            else:
                sent.undelivered[peer] = why
        return sent

    def recipients(self, department: str, contract: str) -> list[str]:
        """The peers whose agreement with this region covers ``department``'s ``contract`` now."""
        now, issuer = self.app.clock(), f"{self.region}/{department}"
        return sorted({other for agreement in self.app.agreements()
                       if self.region in agreement.terms.regions
                       and agreement.in_scope(contract, issuer, now)
                       for other in agreement.terms.regions if other != self.region})

    async def revoke(self, record_id: UUID, reason: str, *, to: Sequence[str] | None = None
                     ) -> dict[str, str | None]:
        """Revoke a record here, then send the revocation to ``to`` (by default the peers
        whose agreement covers the record): peer -> None when stored, else why not."""
        compact = await self.call(self.app.revoke, record_id, reason)
        if to is None:
            record = await self.call(self.app.get_record, record_id)
            to = await self.call(self.recipients, record.department, record.contract)
        return {peer: await self.send(peer, REVOCATIONS, compact,
                                      msg_id=f"revocation:{record_id}") for peer in to}

    async def send(self, peer: str, kind: str, compact: str, *, msg_id: str) -> str | None:
        """Store ``compact`` in ``peer``'s domain; None when stored, else why not (undelivered)."""
        js = self._nc.jetstream(domain=peer, timeout=self._timeout_s)
        try:
            await js.publish(subject(peer, kind, self.region), compact.encode("ascii"),
                             headers={"Nats-Msg-Id": msg_id})
        except (TimeoutError, nats.errors.Error) as exc:
            why = f"region {peer} unreachable: {type(exc).__name__}"
            log.warning("federation message not delivered", kind=kind, peer=peer, reason=why)
            return why
        return None

    # -- receiving ------------------------------------------------------------------------------

    async def idle(self) -> bool:
        """Whether this region's consumer has nothing pending or unacknowledged."""
        try:
            info = await self._nc.jetstream(timeout=2).consumer_info(STREAM, DURABLE)
        except (TimeoutError, nats.errors.Error):
            return False
        return not info.num_pending and not info.num_ack_pending

    async def _consume(self, sub: Any) -> None:
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
                await self._handle(msgs)
            except Exception:  # one bad batch must not stop the consumer
                log.exception("federation batch failed; redelivered later", region=self.region)
                for msg in msgs:
                    with contextlib.suppress(nats.errors.Error):
                        await msg.nak(delay=1.0)

    async def _handle(self, msgs: Sequence[Msg]) -> None:
        attestations: list[tuple[Msg, str, str]] = []
        for msg in msgs:
            parsed = parse_subject(msg.subject, self.region)
            if parsed is None:
                await msg.term()
                continue
            kind, sender = parsed
            compact = msg.data.decode("ascii", "replace")
            if kind == ATTESTATIONS:
                attestations.append((msg, compact, sender))
            elif kind == REVOCATIONS:
                receipt = await self.call(self.app.recognise_revocation, compact,
                                                  from_region=sender)
                await self._reply(sender, receipt)
                await self._settle(msg)
            else:
                try:
                    await self.call(self.app.record_receipt, compact, from_region=sender)
                except HubError as exc:
                    log.warning("receipt refused", region=self.region, peer=sender,
                                error=exc.message)
                await self._settle(msg)
        if attestations:
            receipts = await self.call(
                self.app.recognise_many, [(c, s) for _, c, s in attestations])
            for (msg, _, sender), receipt in zip(attestations, receipts, strict=True):
                await self._reply(sender, receipt)
                await self._settle(msg)

    async def _reply(self, issuer: str, receipt: Receipt) -> None:
        digest = hashlib.sha256(receipt.jws.encode("ascii")).hexdigest()
        await self.send(issuer, RECEIPTS, receipt.jws, msg_id=f"receipt:{digest}")

    async def _settle(self, msg: Msg) -> None:
        self.handled += 1
        with contextlib.suppress(nats.errors.Error):
            await msg.ack()


async def drained(links: Iterable[RecognitionLink], *, within_s: float = 15.0) -> bool:
    """True once every link's stream has nothing left for its consumer (bounded wait)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    links = list(links)
    while loop.time() < deadline:
        if all([await link.idle() for link in links]):
            return True
        await asyncio.sleep(0.1)
    return False


async def _log_error(exc: Exception) -> None:
    log.warning("federation nats connection error", error=repr(exc))


@dataclass
class FederationTransport:
    """A running region's federation (keys, trust, app) and its transport, as ``run_hub``
    starts them when the region has peers."""

    federation: RegionFederation
    link: RecognitionLink


@contextlib.asynccontextmanager
async def running_transport(settings: HubSettings, nats_url: str,
                            auth: dict[str, Any] | None = None,
                            ) -> AsyncIterator[FederationTransport]:
    """Open the region's federation from its data folder and run its transport in the block."""
    federation = await asyncio.to_thread(open_federation, settings)
    try:
        link = await RecognitionLink.connect(nats_url, federation.app,
                                             timeout_s=settings.link_timeout_s, auth=auth)
        try:
            await link.start()
            log.info("federation transport running", region=federation.region)
            yield FederationTransport(federation, link)
        finally:
            await link.close()
    finally:
        federation.close()
