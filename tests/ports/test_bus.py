"""One bus suite (the :mod:`hub.adapters.bus.port` port), run against every NATS shape the
hub runs on: the embedded single nats-server, and a 3-node JetStream cluster with R3
streams (:mod:`simulations.cluster`, the production shape).

What the hub relies on: a durable publish is stored once per message id (the relay may
publish a ledger position twice), a consumer gets each message with its headers and an
acknowledged one never again, a message retried or left unsettled comes back up to
``max_deliver`` times and no more, and a transient reply reaches the inbox expecting it.

The servers live for the module (a cluster takes seconds to elect its leaders); every
test has a stream and subjects of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from hub.adapters.bus.port import ConsumerSpec, Delivery, Inbox
from hub.adapters.nats.bus import JetStreamBus, StreamSpec
from hub.adapters.nats.server import NatsServerConfig, NatsServerProcess
from simulations.cluster import running_cluster
from tests.waiting import wait_until_async

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(180)]

ACK_WAIT_S = 1.0


@dataclass(frozen=True)
class Nats:
    """Where a bus connects, and the stream replication that shape calls for."""

    url: str
    replicas: int


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["single", "cluster"])
async def nats_shape(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Nats]:
    workdir: Path = tmp_path_factory.mktemp(f"bus-{request.param}")
    if request.param == "single":
        server = NatsServerProcess(NatsServerConfig(name="bus-port", workdir=workdir))
        await asyncio.to_thread(server.start)
        try:
            yield Nats(server.url, replicas=1)
        finally:
            await asyncio.to_thread(server.stop)
    else:
        async with running_cluster("north", workdir) as cluster:
            yield Nats(cluster.url, replicas=3)


@dataclass
class Buses:
    """Two bus connections (two hub processes) on one fresh stream."""

    one: JetStreamBus
    two: JetStreamBus
    subjects: str  # the stream's subjects are f"{subjects}.>"


@pytest_asyncio.fixture(loop_scope="module")
async def buses(nats_shape: Nats) -> AsyncIterator[Buses]:
    tag = uuid.uuid4().hex[:10]
    stream = StreamSpec(f"PORT_{tag}", [f"port.{tag}.>"], replicas=nats_shape.replicas)
    one = await JetStreamBus.connect(nats_shape.url, stream, name=f"bus-one-{tag}")
    two = await JetStreamBus.connect(nats_shape.url, stream, name=f"bus-two-{tag}")
    try:
        yield Buses(one, two, f"port.{tag}")
    finally:
        await one.close()
        await two.close()


@dataclass
class Received:
    """What one delivery carried, and when it came."""

    data: bytes
    headers: dict[str, str]
    attempt: int
    at: float


Settle = Callable[[Delivery], Awaitable[None]]


@contextlib.asynccontextmanager
async def consuming(bus: JetStreamBus, spec: ConsumerSpec, settle: Settle
                    ) -> AsyncIterator[list[Received]]:
    """Run ``bus.consume`` for the block, recording each delivery before ``settle`` runs;
    the consumer must return once stopped."""
    received: list[Received] = []

    async def handler(delivery: Delivery) -> None:
        received.append(Received(delivery.data, dict(delivery.headers), delivery.attempt,
                                 time.monotonic()))
        await settle(delivery)

    stop = asyncio.Event()
    task = asyncio.create_task(bus.consume(spec, handler, stop))
    try:
        yield received
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def _spec(buses: Buses, max_deliver: int = 3) -> ConsumerSpec:
    return ConsumerSpec(f"consumer-{uuid.uuid4().hex[:8]}", f"{buses.subjects}.>",
                        max_deliver=max_deliver, ack_wait_s=ACK_WAIT_S, concurrency=4)


async def _ack(delivery: Delivery) -> None:
    await delivery.ack()


async def test_a_message_id_published_twice_is_stored_once(buses: Buses) -> None:
    """The duplicate window: a second publish with the same id (from either connection)
    is acknowledged but not stored again; another id is."""
    subject = f"{buses.subjects}.deliver"
    await buses.one.publish(subject, b"first", msg_id="position-1")
    await buses.two.publish(subject, b"first again", msg_id="position-1")
    await buses.one.publish(subject, b"second", msg_id="position-2")
    info = await buses.one.stream_info(buses.one.stream.name)
    assert info.state.messages == 2
    assert info.config.num_replicas == buses.one.stream.replicas
    async with consuming(buses.two, _spec(buses), _ack) as received:
        await wait_until_async(lambda: len(received) == 2, timeout_s=10,
                               message="both stored messages consumed")
    assert [r.data for r in received] == [b"first", b"second"]


async def test_consumed_messages_carry_their_headers_and_acked_ones_stay_acked(
    buses: Buses,
) -> None:
    """Each message reaches the consumer once, with its headers, on its first attempt;
    after an ack nothing is redelivered, not even past the ack wait."""
    for n in range(5):
        await buses.one.publish(f"{buses.subjects}.deliver.{n}", f"m{n}".encode(),
                                msg_id=f"m{n}", headers={"Hub-Correlation-Id": f"c-{n}"})
    async with consuming(buses.two, _spec(buses), _ack) as received:
        await wait_until_async(lambda: len(received) == 5, timeout_s=10,
                               message="the five published messages consumed")
        await asyncio.sleep(ACK_WAIT_S * 2)  # an unacked one would be back by now
    assert sorted(r.data for r in received) == [f"m{n}".encode() for n in range(5)]
    assert {r.attempt for r in received} == {1}
    assert all(r.headers["Hub-Correlation-Id"] == f"c-{r.data.decode()[1:]}"
               for r in received)
    assert all(r.headers["Nats-Msg-Id"] == r.data.decode() for r in received)


async def test_a_retried_message_comes_back_up_to_max_deliver_times(buses: Buses) -> None:
    """retry(delay) redelivers after the delay, counting attempts; after max_deliver
    attempts JetStream stops delivering it."""

    async def retry(delivery: Delivery) -> None:
        await delivery.retry(0.1)

    await buses.one.publish(f"{buses.subjects}.deliver", b"doomed", msg_id="doomed")
    async with consuming(buses.two, _spec(buses, max_deliver=3), retry) as received:
        await wait_until_async(lambda: len(received) == 3, timeout_s=10,
                               message="three attempts of the retried message")
        await asyncio.sleep(ACK_WAIT_S * 2)  # a fourth would come within this
    assert [r.attempt for r in received] == [1, 2, 3]
    gaps = [b.at - a.at for a, b in itertools.pairwise(received)]
    assert all(gap >= 0.09 for gap in gaps), gaps


async def test_an_unsettled_message_comes_back_after_the_ack_wait(buses: Buses) -> None:
    """A handler that fails (or a consumer that dies) leaves the message unsettled: it is
    redelivered once the ack wait has passed, and acked on that attempt it stays acked."""

    async def fail_first(delivery: Delivery) -> None:
        if delivery.attempt == 1:
            raise RuntimeError("worker crashed before recording anything")
        await delivery.ack()

    await buses.one.publish(f"{buses.subjects}.deliver", b"again", msg_id="again")
    async with consuming(buses.two, _spec(buses, max_deliver=5), fail_first) as received:
        await wait_until_async(lambda: len(received) == 2, timeout_s=15,
                               message="the unsettled message delivered again")
        await asyncio.sleep(ACK_WAIT_S * 2)
    assert [r.attempt for r in received] == [1, 2]
    assert received[1].at - received[0].at >= ACK_WAIT_S * 0.9


async def test_a_reply_reaches_the_inbox_expecting_it(buses: Buses) -> None:
    """send() on one connection resolves the future of the token expected on the other's
    inbox; a forgotten token, or a subject nobody listens on, takes the reply silently."""
    prefix = f"_reply.{uuid.uuid4().hex[:8]}"
    inbox = await buses.one.open_inbox(prefix)
    await _until_visible(inbox, buses.two)
    answer, dropped = inbox.expect("t-1"), inbox.expect("t-2")
    inbox.forget("t-2")
    await buses.two.send(f"{prefix}.t-2", b"too late")
    await buses.two.send(f"{prefix}.t-1", b"the answer", headers={"Hub-Outcome": "ok"})
    await buses.two.send("_reply.nobody.t-3", b"lost")  # transient: no error, no trace
    assert await asyncio.wait_for(answer, 5) == b"the answer"
    await asyncio.sleep(0.2)
    assert not dropped.done()
    info = await buses.one.stream_info(buses.one.stream.name)
    assert info.state.messages == 0  # replies are never stored


async def _until_visible(inbox: Inbox, sender: JetStreamBus) -> None:
    """Probe until another connection's send reaches the inbox. open_inbox returns once its
    own server acknowledged the subscription, yet nats-server 2.15.1 dropped a reply sent
    from another connection right then in 6 of 15 tries here (0 of 15 after 0.1 s)."""
    probes = iter(range(1_000_000))

    async def probe_arrives() -> bool:
        token = f"probe-{next(probes)}"
        arrived = inbox.expect(token)
        await sender.send(f"{inbox.prefix}.{token}", b"")
        try:
            await asyncio.wait_for(arrived, 0.05)
            return True
        except TimeoutError:
            inbox.forget(token)
            return False

    await wait_until_async(probe_arrives, timeout_s=5, interval_s=0.01,
                           message=f"a send from another connection reaching {inbox.prefix}.*")
