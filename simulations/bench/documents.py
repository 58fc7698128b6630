"""Documents benchmark: supply and read-back throughput against the raw Object Store, and
the memory a 200 MB upload costs.

- ``documents_put`` — MB/s of :meth:`Documents.supply` (door checks with the SHA-256,
  sealing, the streamed Object Store put, the ledger event) beside nats-py's
  ``ObjectStore.put`` of the same bytes in the same run (the reference);
- ``documents_get`` — MB/s of reading a document back (Object Store chunks, opening each
  chunk, the SHA-256 check) beside reading the raw object's chunks the same way (an
  ordered consumer, the Object Store digest checked). Not nats-py's ``ObjectStore.get``:
  it hands each chunk to a thread (``writeinto``) or grows one ``bytes`` by copying
  (without), 5x slower than the stream it would be measured against here;
- ``documents_upload_rss`` — a fresh process supplies a :data:`RSS_MB` MB document
  generated as it streams; its peak RSS (VmHWM) minus its RSS once everything is built
  and idle. Goal: < 64 MB above idle.
- ``documents_http_upload_rss`` — the same through the whole hub: ``interop-hub demo
  --keep-running`` in its own process, the document POSTed as ``multipart/form-data`` over
  HTTP; the hub process's peak RSS minus its idle RSS, read from ``/proc/<pid>/status``
  (its nats-server, a process of its own, not counted).

The document is a PDF whose bulk is one DCT (JPEG) image stream, as a scanned certificate
is: the PDF scanner skips pixels, so the figure is sealing and storing. One nats-server
(JetStream on a temporary folder) and a SQLite ledger, both on this machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from simulations.bench.figures import Figure, ratio_of

MB = 1024 * 1024
SIZE_MB = int(os.environ.get("BENCH_DOCUMENTS_MB", "64"))
RSS_MB = int(os.environ.get("BENCH_DOCUMENTS_RSS_MB", "200"))
ROUNDS = 5
BLOCK = 64 * 1024
SERVICE = "bench/registry/certificates"
PURPOSE = "bench"
SUBJECT = "19800101-1234"


def pdf_head(size: int) -> bytes:
    """The first bytes of a ``size``-byte PDF that is one image stream (see :func:`pdf_tail`)."""
    body = size - len(pdf_tail())
    return (b"%PDF-1.7\n1 0 obj\n<< /Type /XObject /Subtype /Image /Filter /DCTDecode "
            b"/Length " + str(body).encode() + b" >>\nstream\n")


def pdf_tail() -> bytes:
    return b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


async def pdf_blocks(size: int) -> AsyncIterator[bytes]:
    """A ``size``-byte PDF, generated block by block (never held whole)."""
    head, tail = pdf_head(size), pdf_tail()
    pixels = size - len(head) - len(tail)
    yield head
    block = os.urandom(BLOCK).replace(b"endstream", b"xndstream")
    while pixels > 0:
        yield block[:min(BLOCK, pixels)]
        pixels -= BLOCK
    yield tail


def run() -> list[Figure]:
    """Start a nats-server, measure, and return the figures (also printed)."""
    from hub.adapters.nats.server import NatsServerConfig, NatsServerProcess

    with tempfile.TemporaryDirectory(prefix="bench-documents-") as tmp:
        server = NatsServerProcess(NatsServerConfig(name="bench-documents",
                                                    workdir=Path(tmp) / "nats"))
        server.start()
        try:
            put, raw_put, get, raw_get = asyncio.run(_throughput(Path(tmp) / "hub", server.url))
            idle_mb, peak_mb = _upload_rss(Path(tmp) / "rss", server.url)
        finally:
            server.stop()
        hub_idle_mb, hub_peak_mb = asyncio.run(_hub_upload_rss(Path(tmp) / "demo"))
    figures = [
        Figure("documents_put", put, "MB/s", raw_put, ratio_of(put, raw_put),
               ">= 0.7 of a raw Object Store put of the same bytes"),
        Figure("documents_get", get, "MB/s", raw_get, ratio_of(get, raw_get),
               ">= 0.7 of a raw Object Store get of the same bytes"),
        Figure(f"documents_upload_rss_{RSS_MB}mb", round(peak_mb - idle_mb, 1), "MB above idle",
               round(idle_mb, 1), None, "< 64 MB above the idle process"),
        Figure(f"documents_http_upload_rss_{RSS_MB}mb", round(hub_peak_mb - hub_idle_mb, 1),
               "MB above idle", round(hub_idle_mb, 1), None,
               "< 64 MB above the idle hub (multipart over HTTP)"),
    ]
    for figure in figures:
        print(f"  {figure.key}: {figure.value:.1f} {figure.unit} (reference {figure.reference})")
    return figures


async def _throughput(data: Path, url: str) -> tuple[float, float, float, float]:
    """Best of ROUNDS, interleaved: supply vs raw put, open vs raw get (MB/s each)."""
    async with _parts(data, url) as documents:
        from hub.adapters.documents.object_store import DocumentStore
        store: DocumentStore = documents.store
        payload = b"".join([b async for b in pdf_blocks(SIZE_MB * MB)])
        best = [0.0, 0.0, 0.0, 0.0]
        for round_ in range(ROUNDS):
            started = time.perf_counter()
            document = await documents.supply(_supply(), _blocks_of(payload))
            best[0] = max(best[0], SIZE_MB / (time.perf_counter() - started))
            started = time.perf_counter()
            await store.objects.put(f"raw-{round_}", payload)
            best[1] = max(best[1], SIZE_MB / (time.perf_counter() - started))
            started = time.perf_counter()
            read = 0
            async for chunk in await documents.open(document):
                read += len(chunk)
            assert read == len(payload)
            best[2] = max(best[2], SIZE_MB / (time.perf_counter() - started))
            started = time.perf_counter()
            read = 0
            async for chunk in store.get(f"raw-{round_}"):
                read += len(chunk)
            best[3] = max(best[3], SIZE_MB / (time.perf_counter() - started))
            assert read == len(payload)
            await store.delete(document.document_id)
            await store.delete(f"raw-{round_}")
        return best[0], best[1], best[2], best[3]


async def _blocks_of(payload: bytes) -> AsyncIterator[bytes]:
    view = memoryview(payload)
    for start in range(0, len(payload), BLOCK):
        yield bytes(view[start:start + BLOCK])


def _supply():  # type: ignore[no-untyped-def]
    from hub.service_layer.documents.supply import Supply

    return Supply("bench/registry", SERVICE, PURPOSE, SUBJECT, "application/pdf")


def _parts(data: Path, url: str):  # type: ignore[no-untyped-def]
    """The document use cases over a fresh ledger and the server at ``url``."""
    from contracts.identity import ServiceId
    from contracts.social_security import ContributionHistory, ContributionHistoryQuery
    from hub.adapters.documents.object_store import DocumentStore
    from hub.adapters.readmodels import models_of
    from hub.bootstrap.privacy import build_ledger
    from hub.bootstrap.security import access_policy
    from hub.service_layer.documents.links import LINK_SECRET, LinkSigner
    from hub.service_layer.documents.policy import DocumentPolicies, DocumentPolicy
    from hub.service_layer.documents.supply import Documents
    from hub.service_layer.exchanges.routing import ServiceDefinition, ServiceDirectory
    from hub.settings import HubSettings

    @contextlib.asynccontextmanager
    async def parts() -> AsyncIterator[Documents]:
        ledger = build_ledger(HubSettings(data=data, region="bench"))
        models_of(ledger)
        store = await DocumentStore.connect(url, region="bench")
        service = ServiceDefinition(
            id=ServiceId.parse(SERVICE), request=ContributionHistoryQuery,
            response=ContributionHistory, operation="Certificates", adapter="x", endpoint="x")
        policy = DocumentPolicy(max_bytes=(max(SIZE_MB, RSS_MB) + 1) * MB)
        try:
            yield Documents(ledger, store, ServiceDirectory("bench", [service]),
                            access_policy(ledger, "bench"), DocumentPolicies({SERVICE: policy}),
                            LinkSigner(ledger.keyring.secret(LINK_SECRET)))
        finally:
            await store.close()
            ledger.close()

    return parts()


def _upload_rss(data: Path, url: str) -> tuple[float, float]:
    """(idle MB, peak MB) of a fresh process that supplies an RSS_MB MB document."""
    done = subprocess.run([sys.executable, "-m", "simulations.bench.documents", str(data), url],
                          capture_output=True, text=True, timeout=600, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    idle_kb, peak_kb = (int(v) for v in done.stdout.split()[-2:])
    return idle_kb / 1024, peak_kb / 1024


def _status_kb(field: str, pid: str = "self") -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split(f"{field}:")[1].split()[0])


def _reset_peak(pid: str = "self") -> None:
    """VmHWM is the high-water mark since start: reset it where the kernel allows (Linux)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


ROOT = Path(__file__).resolve().parents[2]


def _log_file(log: Path):  # type: ignore[no-untyped-def]
    log.parent.mkdir(parents=True, exist_ok=True)
    return log.open("wb")


async def _hub_upload_rss(data: Path) -> tuple[float, float]:
    """(idle MB, peak MB) of a demo hub process taking an RSS_MB MB multipart upload."""
    import signal
    import socket

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "HUB_HTTP_PORT": str(port), "HUB_LOG_LEVEL": "warning",
           "HUB_DOCUMENT_MAX_BYTES": str((RSS_MB + 1) * MB)}
    log = data / "demo.log"
    with _log_file(log) as sink:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "from hub.entrypoints.cli.main import main; main()", "demo",
            "--keep-running", "--data", str(data / "hub-data"), stdout=sink, stderr=sink,
            stdin=asyncio.subprocess.DEVNULL, env=env, start_new_session=True, cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while b"running; press Ctrl-C" not in log.read_bytes():
            if proc.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the demo hub did not start: {log.read_text()[-2000:]}")
            await asyncio.sleep(0.2)
        header = (data / "hub-data" / "demo-tokens" / "north-tax.header").read_text()
        name, value = header.strip().split(": ", 1)
        pid = str(proc.pid)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600,
                                     headers={name: value}) as client:
            await _post_multipart(client, 64 * 1024)  # warm every path once
            await asyncio.sleep(1.0)
            _reset_peak(pid)
            idle_kb = _status_kb("VmRSS", pid)
            await _post_multipart(client, RSS_MB * MB)
            peak_kb = max(_status_kb("VmHWM", pid), idle_kb)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
    return idle_kb / 1024, peak_kb / 1024


async def _post_multipart(client: object, size: int) -> None:
    """POST a ``size``-byte PDF to /documents as multipart/form-data, generated as it goes."""
    boundary = "bench-" + os.urandom(8).hex()
    fields = {"service": "north/social-security/contribution-history",
              "purpose": "benefit-eligibility", "subject": SUBJECT}
    head = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'
                   f"{v}\r\n" for k, v in fields.items())
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
             'filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n')
    tail = f"\r\n--{boundary}--\r\n".encode()

    async def body() -> AsyncIterator[bytes]:
        yield head.encode()
        async for block in pdf_blocks(size):
            yield block
        yield tail

    length = len(head.encode()) + size + len(tail)
    reply = await client.post(  # type: ignore[attr-defined]
        "/documents", content=body(), headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length)})
    if reply.status_code != 201:
        raise RuntimeError(f"upload refused: {reply.status_code} {reply.text[:500]}")


async def _probe(data: Path, url: str) -> None:
    """In the fresh process: build, settle, note RSS; upload; print idle and peak KiB."""
    async with _parts(data, url) as documents:
        document = await documents.supply(_supply(), pdf_blocks(16 * 1024))  # warm every path
        await documents.store.delete(document.document_id)
        idle_kb = _status_kb("VmRSS")
        _reset_peak()
        before_hwm = _status_kb("VmHWM")
        document = await documents.supply(_supply(), pdf_blocks(RSS_MB * MB))
        assert document.size == RSS_MB * MB
        peak_kb = max(_status_kb("VmHWM"), idle_kb)
        if before_hwm > idle_kb and peak_kb == before_hwm:
            peak_kb = before_hwm  # could not reset: the figure is an upper bound
    print(idle_kb, peak_kb)


if __name__ == "__main__":
    asyncio.run(_probe(Path(sys.argv[1]), sys.argv[2]))
