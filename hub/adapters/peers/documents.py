"""Attested documents carried between regions over NATS: served by the issuer, fetched by peers.

Why NATS and not HTTP: regions already reach each other only through their NATS leaf
links (catalogue, queries, reconciliation, audit checkpoints all ride request/reply
subjects under ``fed.<region>.``); no region knows another's HTTP address, and the leaf
link is the channel the regions' operators secured between them.

The protocol, on ``fed.<issuer>.documents`` (the attestation's ``link``):

- the fetcher subscribes to a fresh inbox and publishes one request to the subject with
  ``reply`` = the inbox and the headers ``Hub-Origin-Region`` (who asks) and
  ``Hub-Document`` (the document id);
- the issuer answers with the plain bytes as a run of messages to the inbox, each with
  ``Hub-Seq`` (0, 1, 2…), ending with an empty message carrying ``Hub-End``; a refusal is
  one message with ``Hub-Error`` (its problem code), ``Hub-Issue`` (the issue code, e.g.
  ``untrusted-region``) and the reason as the body.

Each message is at most one plain chunk (256 KiB), well under NATS's payload limit. The
fetcher checks the sequence (a lost or reordered message is refused, not mended) and
waits at most ``timeout_s`` for each message. What the bytes are — their size and
digest — is for the caller to check against the signed claims.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import nats.errors
import structlog
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from contracts.errors import HubError
from hub.adapters.peers import subjects
from hub.adapters.peers.errors import PeerDocumentError

log = structlog.get_logger("hub.adapters.peers.documents")

DOCUMENT_HEADER = "Hub-Document"
SEQ_HEADER = "Hub-Seq"
END_HEADER = "Hub-End"
ERROR_HEADER = "Hub-Error"
ISSUE_HEADER = "Hub-Issue"

_SENDING = 4
"""Documents sent at once; further requests wait their turn (a burst of fetches must not
open every document of the region at the same time)."""

Opener = Callable[[str, str], Awaitable[AsyncIterator[bytes]]]
"""``opener(document_id, peer_region)``: the plain bytes to send, or a HubError refusing."""


def documents_subject(region: str) -> str:
    """Request: one attested document of ``region`` (``fed.<region>.documents``)."""
    return f"fed.{region}.documents"


class DocumentServer:
    """Serves this region's attested documents to its peers; :meth:`start`, :meth:`close`."""

    def __init__(self, nc: NatsClient, region: str, opener: Opener) -> None:
        self._nc = nc
        self._region = region
        self._opener = opener
        self._sub: Subscription | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._sending = asyncio.Semaphore(_SENDING)

    async def start(self) -> None:
        self._sub = await self._nc.subscribe(documents_subject(self._region),
                                             cb=self._on_request)

    async def close(self) -> None:
        """Stop answering; sends in progress are cancelled (the fetcher sees no ``Hub-End``)."""
        if self._sub is not None:
            with contextlib.suppress(nats.errors.Error):
                await self._sub.unsubscribe()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _on_request(self, msg: Msg) -> None:
        task = asyncio.create_task(self._answer_in_turn(msg))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer_in_turn(self, msg: Msg) -> None:
        async with self._sending:
            await self._answer(msg)

    async def _answer(self, msg: Msg) -> None:
        headers = msg.headers or {}
        peer = headers.get(subjects.ORIGIN_HEADER, "")
        document_id = headers.get(DOCUMENT_HEADER, "")
        if not msg.reply:
            return
        try:
            if not peer or not document_id:
                raise PeerDocumentError("a document request names its region (Hub-Origin-"
                                        "Region) and document (Hub-Document)")
            seq = 0
            async for block in await self._opener(document_id, peer):
                await self._nc.publish(msg.reply, block, headers={SEQ_HEADER: str(seq)})
                seq += 1
            await self._nc.publish(msg.reply, b"", headers={SEQ_HEADER: str(seq),
                                                            END_HEADER: "1"})
        except HubError as refused:
            log.info("document request refused", peer=peer, document_id=document_id,
                     code=refused.code, reason=refused.message)
            issue = refused.issues[0].code if refused.issues else refused.code
            with contextlib.suppress(nats.errors.Error):
                await self._nc.publish(msg.reply, refused.message.encode(),
                                       headers={ERROR_HEADER: refused.code, ISSUE_HEADER: issue})
        except nats.errors.Error as exc:
            log.warning("document not sent", peer=peer, document_id=document_id,
                        error=repr(exc))


async def fetch_document(nc: NatsClient, subject: str, document_id: str, asker: str, *,
                         timeout_s: float) -> AsyncIterator[bytes]:
    """The bytes of ``document_id`` as the region at ``subject`` sends them to ``asker``.

    Raises :class:`PeerDocumentError` when the issuer refuses, a message is missing or out
    of order, or nothing arrives for ``timeout_s``.
    """
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox)
    try:
        await nc.publish(subject, b"", reply=inbox, headers={
            subjects.ORIGIN_HEADER: asker, DOCUMENT_HEADER: document_id})
        expected = 0
        while True:
            try:
                msg = await sub.next_msg(timeout=timeout_s)
            except (TimeoutError, nats.errors.TimeoutError):
                raise PeerDocumentError(
                    f"no answer from {subject} for document {document_id} within "
                    f"{timeout_s:g} s", issue="peer-timeout") from None
            headers = msg.headers or {}
            if ERROR_HEADER in headers:
                raise PeerDocumentError(
                    f"{subject} refused document {document_id}: "
                    f"{msg.data.decode('utf-8', 'replace')}",
                    issue=headers.get(ISSUE_HEADER) or headers[ERROR_HEADER])
            if headers.get(SEQ_HEADER) != str(expected):
                raise PeerDocumentError(
                    f"document {document_id}: message {headers.get(SEQ_HEADER)!r} arrived "
                    f"where {expected} was due", issue="peer-sequence")
            if END_HEADER in headers:
                return
            expected += 1
            yield msg.data
    finally:
        with contextlib.suppress(nats.errors.Error):
            await sub.unsubscribe()
