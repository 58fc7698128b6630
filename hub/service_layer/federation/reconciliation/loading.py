"""Building a region's :class:`~hub.service_layer.federation.reconciliation.history.History` from
its data folder.

The offline loader: reads the region's event store (federation events and
ledger exchanges) and its audit files (``DIR/audit/checkpoints.jsonl`` and the
peers' checkpoints it holds, ``DIR/audit/peers/<peer>.jsonl``). It opens no
key: attestations, receipts and checkpoints are public statements, and of the
ledger only digests are read, never the sealed payloads — so anyone allowed to
read a region's store can reconcile it.

The same History travels online (:meth:`History.to_json`): a region answers a
peer's history request with :func:`load_history` ``(...).concerning(peer)``.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from federation.keys import folder_region
from hub.adapters.store.federation_store import federation_environment
from hub.adapters.store.sealed_reader import SealedLedgerReader
from hub.adapters.store.selection import store_environment
from hub.domain.exchange import Exchange
from hub.service_layer.audit.checkpoint import CheckpointBody, format_timestamp
from hub.service_layer.audit.checkpoints import CheckpointLog
from hub.service_layer.audit.errors import NoteError
from hub.service_layer.audit.log import AuditPaths
from hub.service_layer.audit.note import split_note
from hub.service_layer.federation.app import utc_now
from hub.service_layer.federation.reconciliation.errors import ReconciliationError
from hub.service_layer.federation.reconciliation.federation_events import (
    FederationReader,
    fold_federation,
    stored_events,
)
from hub.service_layer.federation.reconciliation.history import (
    History,
    Query,
    SeenCheckpoint,
    region_part,
)
from hub.settings import HubSettings

PEERS_FOLDER = "peers"


def load_history(
    settings: HubSettings, *, clock: Callable[[], dt.datetime] = utc_now
) -> History:
    """The history of the region whose data folder (and store) ``settings`` name."""
    if settings.store is None and not (settings.data / "ledger.sqlite3").exists():
        raise ReconciliationError(f"no event store in {settings.data}: not a region's data "
                                  "folder (or give its store)")
    region = folder_region(settings.data, settings.region)
    as_of = clock()  # before reading: whatever is read happened no later than this
    reader = FederationReader(federation_environment(settings.store, settings.data))
    try:
        facts = fold_federation(reader)
    finally:
        reader.close()
    audit = AuditPaths(settings.data)
    return History(
        region=region, as_of=as_of,
        records=tuple(facts.records.values()), decisions=tuple(facts.decisions),
        scopes=tuple(facts.scopes.values()), queries=load_queries(settings, region),
        checkpoints=read_checkpoints(audit.checkpoints),
        peer_checkpoints=held_checkpoints(audit.folder / PEERS_FOLDER))


def load_queries(settings: HubSettings, region: str) -> tuple[Query, ...]:
    """The region's cross-region exchanges (client or service of another region)."""
    # No keyring: only digests are read, and sealed payloads stay sealed.
    ledger = SealedLedgerReader(store_environment(settings.store, settings.data))
    try:
        folded: dict[Any, Query] = {}
        for event in stored_events(ledger):
            _fold_exchange(folded, event, region)
        return tuple(folded.values())
    finally:
        ledger.close()


_STATUS: dict[type[Exchange.Event], str] = {
    Exchange.Rejected: "rejected",
    Exchange.Delivered: "delivering",
    Exchange.Responded: "responded",
    Exchange.Completed: "completed",
    Exchange.DeadLettered: "dead-lettered",
}


def _fold_exchange(folded: dict[Any, Query], event: Any, region: str) -> None:
    if isinstance(event, Exchange.Received):
        if region_part(event.client) != region or region_part(event.service) != region:
            folded[event.originator_id] = Query(
                str(event.originator_id), event.correlation_id, event.client, event.service,
                None, event.ingress, "received", event.timestamp)
        return
    query = folded.get(event.originator_id)
    if query is None:
        return
    changes: dict[str, Any] = {}
    if isinstance(event, Exchange.Translated):
        changes["request_digest"] = event.digest
    elif isinstance(event, Exchange.Routed):
        changes.update(provider=event.provider, status="routed")
    elif isinstance(event, Exchange.Responded):
        changes.update(response_digest=event.digest, status="responded")
    elif isinstance(event, Exchange.DeliveryFailed):
        changes["status"] = "routed" if event.retryable else "failed"
    elif type(event) in _STATUS:
        changes["status"] = _STATUS[type(event)]
    folded[event.originator_id] = replace(query, **changes)


def read_checkpoints(path: Path) -> tuple[SeenCheckpoint, ...]:
    """The checkpoints recorded in one ``.jsonl`` file (garbled lines skipped: `audit verify`
    names them), as signed bodies."""
    seen = []
    for _, note in CheckpointLog(path).notes():
        if note is None:
            continue
        try:
            body = CheckpointBody.parse(split_note(note)[0])
        except NoteError:
            continue
        seen.append(SeenCheckpoint(body.origin, body.size,
                                   base64.b64encode(body.root_hash).decode("ascii"),
                                   format_timestamp(body.timestamp), note))
    return tuple(seen)


def held_checkpoints(folder: Path) -> dict[str, tuple[SeenCheckpoint, ...]]:
    """The checkpoints this region holds of each peer (``<peer>.jsonl`` in ``folder``)."""
    if not folder.is_dir():
        return {}
    return {path.stem: read_checkpoints(path) for path in sorted(folder.glob("*.jsonl"))}
