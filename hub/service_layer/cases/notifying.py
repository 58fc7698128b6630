"""Notifying the portal of every change of the cases it filed: a signed webhook.

The notifier follows the ledger's case events (its own :class:`CasesModel`, so it knows
each case's applicant and progress without reading a personal field). For every event of
a case whose applicant (the portal's department) has a webhook, it POSTs
``{"case_id", "change", "version", "at", "progress"}`` — the progress as
``GET /cases/{id}`` answers it — signed with the portal's secret
(:mod:`hub.adapters.webhooks`), in ledger order, retried with backoff and bounded. A
delivery that still fails is logged and dropped: the portal reads ``GET /cases/{id}``
to catch up; ``(case_id, version)`` lets it drop a duplicate.

At start the notifier reads what the ledger holds without notifying (those changes were
notified by the process that recorded them, or are read with ``GET /cases``); it notifies
what is recorded from then on.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog

from hub.adapters.readmodels.cases import CasesModel
from hub.adapters.readmodels.tail import LedgerTail
from hub.adapters.store.ledger import Ledger
from hub.adapters.webhooks import WebhookSender
from hub.service_layer.cases.progress import progress

log = structlog.get_logger(__name__)
NOTIFY_EVERY_S = 0.25


@dataclass(frozen=True)
class Webhook:
    """Where a portal department is notified, and the secret its deliveries are signed with."""

    url: str
    secret: str


class CaseNotifier:
    """Follows case events and notifies each case's portal of every change."""

    def __init__(self, ledger: Ledger, hooks: Mapping[str, Webhook], sender: WebhookSender,
                 ) -> None:
        self.hooks = dict(hooks)
        self.sender = sender
        self.model = CasesModel()
        self.tail = LedgerTail(ledger, CasesModel.topics)
        self._pending: list[tuple[UUID, str, int, str]] = []
        self._started = False

    def _apply(self, topic: str, event: Any) -> None:
        self.model.apply(topic, event)
        if self._started:
            self._pending.append((event.originator_id, topic.rsplit(":", 1)[-1],
                                  event.originator_version, event.at.isoformat()))

    async def round(self) -> int:
        """Notify what was recorded since the last round; returns deliveries attempted."""
        await asyncio.to_thread(self.tail.read, self._apply)
        if not self._started:
            self._started = True
            return 0
        pending, self._pending = self._pending, []
        sent = 0
        for case_id, change, version, at in pending:
            row = self.model.rows.get(case_id)
            hook = self.hooks.get(row.applicant) if row is not None else None
            if row is None or hook is None:
                continue
            body = json.dumps({"case_id": str(case_id), "change": change, "version": version,
                               "at": at, "progress": progress(row)}).encode()
            delivery = await self.sender.post(hook.url, hook.secret, body, event=change)
            sent += 1
            if not delivery.delivered:
                log.warning("case notification not delivered", case_id=str(case_id),
                            change=change, portal=row.applicant, attempts=delivery.attempts,
                            problem=delivery.problem)
        return sent

    async def run(self, stop: asyncio.Event, every_s: float = NOTIFY_EVERY_S) -> None:
        """Notify every ``every_s`` seconds until ``stop`` is set."""
        try:
            while not stop.is_set():
                await self.round()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=every_s)
        finally:
            await self.sender.aclose()
