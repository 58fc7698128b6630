"""Answering a peer's history request (``fed.<region>.history``) for online reconciliation.

A peer asks with its own region name in the ``Hub-Origin-Region`` header (or
as the request body); the answer is this region's history concerning that peer
(:meth:`~.history.History.concerning`), as the JSON document of :mod:`.history`.
It is built by the offline loader (:mod:`.loading`) in a thread (the event store
is read synchronously), so the running hub is not held up.
A region that is not one of this hub's peers gets ``{"error": ...}`` instead.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable

import structlog

from contracts.errors import HubError
from hub.adapters.peers import subjects
from hub.adapters.peers.connection import LinkConnection, Request
from hub.service_layer.federation.reconciliation.loading import load_history
from hub.settings import HubSettings

log = structlog.get_logger("hub.service_layer.federation.reconciliation")


class HistoryResponder:
    """Answers ``fed.<region>.history`` for this region's peers."""

    def __init__(self, connection: LinkConnection, settings: HubSettings,
                 peers: Iterable[str]) -> None:
        self._connection = connection
        self._settings = settings
        self._peers = frozenset(peers)

    async def start(self) -> None:
        await self._connection.serve(subjects.history(self._settings.region), self._answer)

    async def _answer(self, request: Request) -> bytes:
        asker = request.headers.get(subjects.ORIGIN_HEADER) or request.data.decode(
            "utf-8", "replace").strip()
        if asker not in self._peers:
            return _error(f"region {asker or '(unnamed)'!r} is not a peer of "
                          f"{self._settings.region}")
        try:
            history = await asyncio.to_thread(load_history, self._settings)
        except HubError as exc:
            log.warning("history for a peer not loaded", peer=asker, error=exc.message)
            return _error(exc.message)
        return json.dumps(history.concerning(asker).to_json()).encode()


def _error(message: str) -> bytes:
    return json.dumps({"error": message}).encode()
