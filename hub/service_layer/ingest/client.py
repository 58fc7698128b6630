"""A department's side of ingest: submit records to its region's hub over NATS.

    async with await IngestClient.connect(url, region="north", department="social-security",
                                          seed=nats_seed) as client:
        receipt = await client.submit(contract, soap_bytes, fmt="soap")
        receipts = await client.submit_many(contract, [(id1, b1), (id2, b2)], fmt="json")

A submission is durable once :meth:`~IngestClient.submit` returns (JetStream
confirmed it); the hub records it later and announces the outcome on the
records stream (:meth:`~IngestClient.outcomes`). The submission id is the
dedupe key end to end: submitting the same id again (a retry after a lost
confirmation) is dropped by JetStream's duplicate window and, beyond it, by the
hub, which records one record per submission id.

On the hub's embedded server the client authenticates with the department's
NATS nkey seed (``nats_seed`` of ``interop-hub credentials issue``), which may
publish only to its own ingest subjects; its replies use the department's
inbox prefix. :meth:`~IngestClient.outcomes` reads the records stream through
the JetStream API, which a department's NATS user may not use: it is for the
hub's own tools and for servers without users.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import nats
import nats.errors
import nats.js.errors
import structlog
from nats.aio.client import Client as NatsClient
from nats.js import api

from hub.adapters.nats.accounts import inbox_prefix
from hub.adapters.nats.servers import servers
from hub.service_layer.ingest.errors import IngestClientError
from hub.service_layer.ingest.publishing import Outgoing, jetstream, publish_confirmed
from hub.service_layer.ingest.subjects import (
    FORMAT,
    FORMATS,
    SUBMISSION_ID,
    ingest_subject,
    records_stream,
)

log = structlog.get_logger("hub.ingest.client")

_TIMEOUT_S = 10.0
_ERRORS_NAMED = 3  # a refused connect names the first few distinct errors (the cause first)


@dataclass(frozen=True)
class SubmissionReceipt:
    """JetStream's confirmation: the submission is durable (``duplicate``: sent before)."""

    submission_id: str
    sequence: int
    duplicate: bool


class IngestClient:
    """Publishes one department's submissions; one connection, owned here."""

    def __init__(self, nc: NatsClient, region: str, department: str) -> None:
        self._nc = nc
        self._js = jetstream(nc, _TIMEOUT_S)
        self.region = region
        self.department = department

    @classmethod
    async def connect(cls, url: str, *, region: str, department: str,
                      seed: str | None = None, auth: dict[str, Any] | None = None
                      ) -> IngestClient:
        """Connect as ``department`` (its nkey ``seed``), or with other ``nats.connect``
        ``auth`` options (the hub's own), or without credentials."""
        options = dict(auth or {})
        if seed:
            options.update(nkeys_seed_str=seed, inbox_prefix=inbox_prefix(department))
        said: list[str] = []  # the distinct errors while connecting, for the refusal

        async def on_error(exc: Exception) -> None:
            # nats-py's own callback prints a traceback for each; a line is enough.
            if str(exc) not in said and len(said) < _ERRORS_NAMED:
                said.append(str(exc))
            log.warning("nats connection error", error=repr(exc))

        try:
            nc = await nats.connect(servers(url), name=f"ingest-client-{region}-{department}",
                                    connect_timeout=5, max_reconnect_attempts=3,
                                    error_cb=on_error, **options)
        except (TimeoutError, nats.errors.Error, OSError) as exc:
            errors = f" (errors: {'; '.join(said)})" if said else ""
            raise IngestClientError(f"cannot connect to NATS at {url}: {exc!r}{errors}") from None
        return cls(nc, region, department)

    async def __aenter__(self) -> IngestClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def submit(self, contract: str, body: bytes, *, fmt: str,
                     submission_id: str | None = None) -> SubmissionReceipt:
        """Submit one record and wait until JetStream holds it."""
        [receipt] = await self.submit_many(contract, [(submission_id or _new_id(), body)],
                                           fmt=fmt)
        return receipt

    async def submit_many(self, contract: str, items: Iterable[tuple[str, bytes]], *,
                          fmt: str) -> list[SubmissionReceipt]:
        """Submit ``(submission_id, body)`` pairs pipelined; returns once all are confirmed."""
        if fmt not in FORMATS:
            raise IngestClientError(f"format {fmt!r} is neither 'soap' nor 'json'")
        subject = ingest_subject(self.region, self.department, contract)
        messages = [Outgoing(subject, body, {SUBMISSION_ID: submission_id, FORMAT: fmt})
                    for submission_id, body in items]
        results = await publish_confirmed(self._js, messages, timeout_s=_TIMEOUT_S * 3)
        failed = next((r for r in results if isinstance(r, BaseException)), None)
        if failed is not None:
            raise IngestClientError(f"submission to {subject} not confirmed: {failed!r}")
        return [SubmissionReceipt(m.headers[SUBMISSION_ID], r.seq, bool(r.duplicate))
                for m, r in zip(messages, results, strict=True)
                if not isinstance(r, BaseException)]

    async def outcomes(self, expect: int, *, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """The hub's notices about this department's submissions (issued and rejected), read
        from the start of the records stream until ``expect`` arrived or ``timeout_s`` passed."""
        found: list[dict[str, Any]] = []
        subject = f"hub.{self.region}.records.*.{self.department}.>"
        try:
            sub = await self._js.subscribe(subject, stream=records_stream(self.region),
                                           ordered_consumer=True,
                                           deliver_policy=api.DeliverPolicy.ALL)
        except (TimeoutError, nats.errors.Error) as exc:
            raise IngestClientError(f"cannot read the records stream: {exc!r}") from None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        try:
            while len(found) < expect and loop.time() < deadline:
                try:
                    msg = await sub.next_msg(timeout=max(0.05, deadline - loop.time()))
                except (TimeoutError, nats.errors.TimeoutError):
                    break
                found.append({"kind": msg.subject.split(".")[3], **json.loads(msg.data)})
        finally:
            with contextlib.suppress(nats.errors.Error):
                await sub.unsubscribe()
        return found

    async def close(self) -> None:
        with contextlib.suppress(nats.errors.Error, asyncio.TimeoutError):
            await asyncio.wait_for(self._nc.drain(), timeout=_TIMEOUT_S)


def _new_id() -> str:
    return uuid.uuid4().hex

