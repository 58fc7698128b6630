"""One ingest worker: pull a batch, run the pipeline off the loop, publish notices, ack.

The order is the durability argument: a batch's messages are acked only after
its events are recorded (one transaction) AND its notices are confirmed by
JetStream. A worker killed anywhere before the ack leaves the batch unacked;
JetStream redelivers it after ``ack_wait`` to whichever worker pulls next, and
the pipeline's derived ids make that redelivery a duplicate (re-announced under
the same message id), never a second record. Notices are published pipelined and
written together (:mod:`hub.service_layer.ingest.publishing`); acks are sent without waiting
for each, then flushed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import nats
import nats.errors
import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from hub.adapters.nats.servers import servers
from hub.service_layer.ingest.errors import IngestError
from hub.service_layer.ingest.pipeline import IngestPipeline, Outcome, Submission
from hub.service_layer.ingest.publishing import Outgoing, jetstream, publish_confirmed
from hub.service_layer.ingest.streams import CONSUMER, ConsumerSettings, consumer_config
from hub.service_layer.ingest.subjects import FORMAT, SUBMISSION_ID, ingest_filter, ingest_stream

log = structlog.get_logger("hub.service_layer.ingest.worker")

_TIMEOUT_S = 10  # whole seconds: nats-py types flush()'s timeout as an int
# Called after each step of a batch ("recorded", "published"): the fault tests stop here.
StepHook = Callable[[str, Sequence[Outcome]], None]


class IngestWorker:
    """Pulls batches from the shared ingest consumer until ``stop`` is set."""

    def __init__(self, pipeline: IngestPipeline, region: str, *, batch: int,
                 consumer: ConsumerSettings, name: str = "ingest-worker",
                 on_step: StepHook | None = None) -> None:
        self._pipeline = pipeline
        self._region = region
        self._batch = batch
        self._consumer = consumer
        self._name = name
        self._on_step = on_step
        self.counts = {"recorded": 0, "duplicate": 0, "rejected": 0, "retried": 0}
        # The I/O behind those counts (fetches, thread hand-offs, notices, acks, flushes),
        # so that the work per record can be read off a running worker.
        self.work: Counter[str] = Counter()
        self.auth: dict[str, Any] = {}  # nats.connect credentials (hub_connect_options)

    async def run(self, nats_url: str, stop: asyncio.Event,
                  ready: Callable[[], None] | None = None) -> None:
        """Connect, bind to the consumer, and work until ``stop``; then drain."""
        nc = await _connect(nats_url, self._name, self.auth)
        try:
            js = jetstream(nc, _TIMEOUT_S)
            try:
                sub = await js.pull_subscribe(
                    ingest_filter(self._region), durable=CONSUMER,
                    stream=ingest_stream(self._region),
                    config=consumer_config(self._region, self._consumer))
            except (TimeoutError, nats.errors.Error) as exc:
                raise IngestError(f"cannot bind to the ingest consumer: {exc!r}") from None
            if ready is not None:
                ready()
            log.info("ingest worker running", worker=self._name, batch=self._batch)
            # One batch is announced and acked while the next is fetched and recorded.
            announcing: asyncio.Task[None] | None = None
            try:
                while not stop.is_set():
                    msgs = await self._fetch(sub)
                    if not msgs:
                        continue
                    outcomes = await self._record_safely(nc, msgs)
                    if announcing is not None:
                        await announcing
                        announcing = None
                    if outcomes is not None:
                        announcing = asyncio.create_task(
                            self._announce_safely(nc, js, msgs, outcomes))
            finally:
                if announcing is not None:
                    await asyncio.wait([announcing], timeout=_TIMEOUT_S * 2)
        finally:
            # Every batch's acks were flushed already; a drain would wait on the pull
            # subscription's queue, which fetch() never marks done, so flush and close.
            with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
                await nc.flush(timeout=_TIMEOUT_S)
            with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
                await asyncio.wait_for(nc.close(), timeout=_TIMEOUT_S)
            log.info("ingest worker stopped", worker=self._name, **self.counts)

    async def _fetch(self, sub: Any) -> list[Msg]:
        self.work["fetch_requests"] += 1
        try:
            return list(await sub.fetch(batch=self._batch, timeout=0.25))
        except (TimeoutError, nats.errors.TimeoutError):
            return []
        except nats.errors.Error as exc:
            log.warning("ingest fetch failed, retrying", worker=self._name, error=repr(exc))
            await asyncio.sleep(0.5)
            return []

    async def _record_safely(self, nc: NatsClient, msgs: list[Msg]) -> list[Outcome] | None:
        """Record the batch (off the loop); None when nothing was (it will be redelivered)."""
        submissions = [_submission(m) for m in msgs]
        self.work["batches"] += 1
        self.work["thread_handoffs"] += 1
        try:
            outcomes = await asyncio.to_thread(self._pipeline.process, submissions)
            self._step("recorded", outcomes)
            return outcomes
        except IngestError as exc:  # nothing recorded: let JetStream redeliver the batch
            log.error("ingest batch not recorded; it will be redelivered",
                      worker=self._name, size=len(msgs), error=exc.message)
            await _settle(nc, msgs, [False] * len(msgs), self.work)
        except Exception:
            # Unsettled: JetStream redelivers after ack_wait. Log, never swallow silently.
            log.exception("ingest batch failed; it will be redelivered", worker=self._name,
                          size=len(msgs))
        self.counts["retried"] += len(msgs)
        return None

    async def _announce_safely(self, nc: NatsClient, js: Any, msgs: list[Msg],
                               outcomes: list[Outcome]) -> None:
        """Publish the batch's notices, then ack what was announced (nak the rest)."""
        try:
            published = await self._publish(js, outcomes)
            self._step("published", outcomes)
            await _settle(nc, msgs, published, self.work)
        except Exception:
            log.exception("ingest batch not acked; it will be redelivered", worker=self._name,
                          size=len(msgs))
            self.counts["retried"] += len(msgs)
            return
        for outcome, ok in zip(outcomes, published, strict=True):
            self.counts[outcome.status if ok else "retried"] += 1

    async def _publish(self, js: Any, outcomes: Sequence[Outcome]) -> list[bool]:
        """Publish every notice at once and wait for JetStream's confirmations."""
        self.work["notice_publishes"] += len(outcomes)
        results = await publish_confirmed(
            js, [Outgoing(o.notice_subject, o.notice_bytes(), {"Nats-Msg-Id": o.msg_id})
                 for o in outcomes], timeout_s=_TIMEOUT_S)
        for failed in {repr(r) for r in results if isinstance(r, BaseException)}:
            log.warning("ingest notice not published", error=failed)
        return [not isinstance(r, BaseException) for r in results]

    def _step(self, step: str, outcomes: Sequence[Outcome]) -> None:
        if self._on_step is not None:
            self._on_step(step, outcomes)


def _submission(msg: Msg) -> Submission:
    headers = msg.headers or {}
    submission_id = headers.get(SUBMISSION_ID) or f"seq-{msg.metadata.sequence.stream}"
    return Submission(msg.subject, msg.data, submission_id, headers.get(FORMAT, "json"))


async def _settle(nc: NatsClient, msgs: Sequence[Msg], done: Sequence[bool],
                  work: Counter[str]) -> None:
    """Ack what is recorded and announced, nak the rest (redelivered soon); then flush."""
    try:
        for msg, ok in zip(msgs, done, strict=True):
            if ok:
                await msg.ack()
            else:
                await msg.nak(delay=1.0)
        work["acks"] += sum(done)
        work["naks"] += len(done) - sum(done)
        work["flushes"] += 1
        await nc.flush(timeout=_TIMEOUT_S)
    except (TimeoutError, nats.errors.Error) as exc:
        # Unacked messages come back after ack_wait and are recognised as duplicates.
        log.warning("ingest acks not confirmed; the batch may be redelivered", error=repr(exc))


async def _connect(url: str, name: str, auth: dict[str, Any]) -> NatsClient:
    try:
        return await nats.connect(servers(url), name=name, connect_timeout=5, error_cb=_log_error,
                                  **auth,
                                  max_reconnect_attempts=-1, reconnect_time_wait=0.5)
    except (TimeoutError, nats.errors.Error, OSError) as exc:
        raise IngestError(f"cannot connect to NATS at {url}: {exc!r}") from None


async def _log_error(exc: Exception) -> None:
    log.warning("nats connection error", error=repr(exc))
