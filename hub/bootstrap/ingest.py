"""Run the hub's ingest workers: N processes (``HUB_INGEST_WORKERS``), or one in-process.

Each worker process opens its own NATS connection, its own store connection
and its own keys, and pulls from the one shared durable consumer, so JetStream
spreads batches over them. With SQLite the writers take turns on the file
(WAL, eventsourcing's lock timeout); each batch is one short transaction, so a
turn costs one commit, not one per record.

The processes are started with ``spawn`` from the event-loop thread and tied to
the hub with ``PR_SET_PDEATHSIG`` (a ``kill -9`` of the hub stops them too). A
worker that dies while the hub runs is logged and started again: what it held
unacked is redelivered to the others and recorded once.
``HUB_INGEST_WORKERS=0`` runs one worker inside the hub process instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import signal
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as ProcessEvent

import nats
import nats.errors
import structlog

from contracts import ContractRegistry, default_registry
from hub.adapters.crypto.keyring import SubjectKeyring, open_keyring
from hub.adapters.nats.accounts import hub_connect_options
from hub.adapters.nats.servers import servers
from hub.bootstrap.federation import RegionFederation, open_federation
from hub.bootstrap.long_lived import freeze_startup
from hub.logs import configure_logging
from hub.service_layer.ingest.errors import IngestConfigError, IngestError
from hub.service_layer.ingest.pipeline import IngestPipeline
from hub.service_layer.ingest.sources import IngestSource, SourceBook
from hub.service_layer.ingest.store import RecordStore
from hub.service_layer.ingest.streams import ConsumerSettings, consumer_config, ensure_streams
from hub.service_layer.ingest.subjects import ingest_stream
from hub.service_layer.ingest.worker import IngestWorker, StepHook
from hub.settings import HubSettings

log = structlog.get_logger("hub.bootstrap.ingest")

_PR_SET_PDEATHSIG = 1
_START_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 15.0


@dataclass
class IngestRuntime:
    """The running workers (processes, or one in-process task) and how often they restarted."""

    region: str
    workers: int
    processes: list[BaseProcess] = field(default_factory=list)
    restarts: int = 0
    in_process: IngestWorker | None = None


def consumer_settings(settings: HubSettings) -> ConsumerSettings:
    """Redelivery of the shared consumer; enough unacked room for every worker's batch."""
    return ConsumerSettings(ack_wait_s=settings.ingest_ack_wait_s,
                            max_deliver=settings.max_deliver,
                            max_ack_pending=settings.ingest_batch * max(settings.ingest_workers,
                                                                        1) * 4)


@contextlib.asynccontextmanager
async def running_ingest(
    settings: HubSettings, sources: Sequence[IngestSource], nats_url: str, *,
    registry: ContractRegistry | None = None, on_step: StepHook | None = None,
) -> AsyncIterator[IngestRuntime]:
    """Ingest for the duration of the block: streams, consumer, then the workers."""
    registry = registry or default_registry()
    SourceBook(sources, registry, max_bytes=settings.ingest_max_bytes)  # refuse bad config now
    federation = await asyncio.to_thread(open_federation, settings, registry=registry)
    federation.close()  # made the region's keys if it had none, before any worker reads them
    await _prepare_bus(settings, nats_url)
    runtime = IngestRuntime(settings.region, settings.ingest_workers)
    stop = asyncio.Event()
    if settings.ingest_workers == 0:
        task = asyncio.create_task(_in_process(runtime, settings, sources, nats_url, registry,
                                               on_step, stop), name="ingest-worker")
        try:
            yield runtime
        finally:
            stop.set()
            await asyncio.wait([task], timeout=_STOP_TIMEOUT_S)
        return
    _check_default(registry, sources)
    args = (settings, list(sources), nats_url, on_step)
    for index in range(settings.ingest_workers):
        runtime.processes.append(await _spawn(index, args))
    supervisor = asyncio.create_task(_supervise(runtime, args, stop), name="ingest-supervisor")
    try:
        yield runtime
    finally:
        stop.set()
        await asyncio.wait([supervisor], timeout=_STOP_TIMEOUT_S)
        await asyncio.to_thread(_stop_all, runtime.processes)


async def _prepare_bus(settings: HubSettings, nats_url: str) -> None:
    keyring = await asyncio.to_thread(open_keyring, settings)
    try:
        auth = await asyncio.to_thread(hub_connect_options, settings, keyring)
    finally:
        keyring.close()
    try:
        nc = await nats.connect(servers(nats_url),
                                name=f"interop-hub-{settings.region}-ingest-setup",
                                connect_timeout=5, **auth)
    except (TimeoutError, nats.errors.Error, OSError) as exc:
        raise IngestError(f"cannot connect to NATS at {nats_url}: {exc!r}") from None
    try:
        js = nc.jetstream(timeout=10)
        await ensure_streams(js, settings.region)
        try:
            await js.add_consumer(ingest_stream(settings.region),
                                  consumer_config(settings.region, consumer_settings(settings)))
        except (TimeoutError, nats.errors.Error) as exc:
            raise IngestError(f"cannot create the ingest consumer: {exc!r}") from None
    finally:
        with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
            await asyncio.wait_for(nc.drain(), timeout=10)


def build_pipeline(settings: HubSettings, sources: Sequence[IngestSource],
                   registry: ContractRegistry
                   ) -> tuple[IngestPipeline, RegionFederation, SubjectKeyring]:
    """A worker's pipeline on its own store connection and keys (close both when done)."""
    book = SourceBook(sources, registry, max_bytes=settings.ingest_max_bytes)
    federation = open_federation(settings, registry=registry, create=False)
    try:
        keyring = open_keyring(settings)
    except BaseException:
        federation.close()
        raise
    pipeline = IngestPipeline(RecordStore(federation.app), federation.keys, keyring, book,
                              max_bytes=settings.ingest_max_bytes)
    return pipeline, federation, keyring


async def _in_process(runtime: IngestRuntime, settings: HubSettings,
                      sources: Sequence[IngestSource], nats_url: str,
                      registry: ContractRegistry, on_step: StepHook | None,
                      stop: asyncio.Event) -> None:
    pipeline, federation, keyring = await asyncio.to_thread(build_pipeline, settings, sources,
                                                            registry)
    worker = IngestWorker(pipeline, settings.region, batch=settings.ingest_batch,
                          consumer=consumer_settings(settings), on_step=on_step)
    runtime.in_process = worker
    worker.auth = await asyncio.to_thread(hub_connect_options, settings, keyring)
    try:
        await worker.run(nats_url, stop)
    finally:
        federation.close()
        keyring.close()


# -- worker processes ---------------------------------------------------------------------------

WorkerArgs = tuple[HubSettings, list[IngestSource], str, StepHook | None]


def _check_default(registry: ContractRegistry, sources: Sequence[IngestSource]) -> None:
    """Worker processes build the default registry (a registry does not pickle): every
    source's contract must be the default registry's."""
    default = default_registry()
    for source in sources:
        try:
            same = default.get(source.contract) is registry.get(source.contract)
        except LookupError:
            same = False
        if not same:
            raise IngestConfigError(
                f"ingest source {source.department}/{source.contract}: worker processes know "
                "only the shipped contracts; for another, run HUB_INGEST_WORKERS=0")


async def _spawn(index: int, args: WorkerArgs) -> BaseProcess:
    """Start worker ``index`` and wait until it is bound to the consumer."""
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    process = context.Process(target=worker_process_main, args=(index, ready, *args),
                              name=f"ingest-worker-{index}", daemon=True)
    process.start()  # from the loop's thread: PR_SET_PDEATHSIG follows the starting thread
    started = await asyncio.to_thread(ready.wait, _START_TIMEOUT_S)
    if not started or not process.is_alive():
        process.kill()
        raise IngestError(f"ingest worker {index} did not start (exit code {process.exitcode})")
    return process


async def _supervise(runtime: IngestRuntime, args: WorkerArgs, stop: asyncio.Event) -> None:
    """Start again any worker that died while the hub runs."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=0.5)
        if stop.is_set():
            return
        for index, process in enumerate(runtime.processes):
            if process.is_alive():
                continue
            log.error("ingest worker died; starting it again", worker=index,
                      exit_code=process.exitcode)
            try:
                runtime.processes[index] = await _spawn(index, args)
                runtime.restarts += 1
            except IngestError as exc:
                log.error("ingest worker could not be restarted", worker=index,
                          error=exc.message)
                await asyncio.sleep(1.0)


def _stop_all(processes: Sequence[BaseProcess]) -> None:
    for process in processes:
        if process.is_alive() and process.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
    for process in processes:
        process.join(_STOP_TIMEOUT_S)
        if process.is_alive():
            log.warning("ingest worker did not stop in time; killing it", pid=process.pid)
            process.kill()
            process.join(5)


def worker_process_main(index: int, ready: ProcessEvent, settings: HubSettings,
                        sources: list[IngestSource], nats_url: str,
                        on_step: StepHook | None) -> None:
    """The body of one worker process (the target of ``spawn``)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(_serve(index, ready.set, settings, sources, nats_url, default_registry(),
                       on_step))


async def _serve(index: int, ready: Callable[[], None], settings: HubSettings,
                 sources: list[IngestSource], nats_url: str, registry: ContractRegistry,
                 on_step: StepHook | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    pipeline, federation, keyring = build_pipeline(settings, sources, registry)
    worker = IngestWorker(pipeline, settings.region, batch=settings.ingest_batch,
                          consumer=consumer_settings(settings),
                          name=f"interop-hub-{settings.region}-ingest-{index}", on_step=on_step)
    worker.auth = hub_connect_options(settings, keyring)
    freeze_startup()  # the worker's modules and pipeline live as long as it does
    try:
        await worker.run(nats_url, stop, ready=ready)
    finally:
        federation.close()
        keyring.close()

