"""Online reconciliation: this region's folder against a running peer, over the region links.

``interop-hub reconcile --data DIR --peer REGION`` reads this region's history
from its data folder (the offline loader: SQLite readers are fine while the hub
runs) and asks the peer's running hub for its history concerning this region on
``fed.<peer>.history`` (:mod:`.responder`), through this region's own
nats-server — ``HUB_NATS_URL``, or the running embedded server found by its
ports file in ``DIR/nats/`` — and the leaf link. The comparison, report and
exit codes are the offline ones
(:func:`~hub.service_layer.federation.reconciliation.offline.reconcile`).

The repair (:class:`LinkedRegions`, a
:class:`~hub.service_layer.federation.reconciliation.repair.RepairPort`)
needs no key and opens no application: the running hubs do the work.

- ``present``: the issuer's attestation or revocation is published again into
  the receiver's JetStream domain exactly as the issuer's hub sends it
  (:func:`hub.adapters.peers.transport.publish_statement`, same subject, same
  idempotent ``Nats-Msg-Id``); the receiver's hub recognises it and sends its
  receipt back; we wait (bounded) until the receiver's history shows the decision.
- ``record-receipt``: we wait (bounded) until the issuer's hub recorded the
  receipt; if it does not come by itself (a receipt the receiver issued but
  never got across, as after a partition), the receipt — taken from the
  receiver's history — is published into the issuer's domain as the receiver's
  hub would have (``fed.<issuer>.receipts.<receiver>``, msg id ``receipt:<sha256>``).
  So a gap in either direction is closed from either side; nothing needs the
  peer to run a repair of its own.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from typing import Any, TypeVar

import nats
import nats.errors
from nats.aio.client import Client as NatsClient

from federation.jws import statement_digest
from federation.keys import folder_region
from hub.adapters.nats.accounts import hub_client_auth
from hub.adapters.nats.servers import servers
from hub.adapters.peers import subjects
from hub.adapters.peers.transport import (
    ATTESTATIONS,
    RECEIPTS,
    REVOCATIONS,
    publish_statement,
)
from hub.service_layer.federation.app import utc_now
from hub.service_layer.federation.reconciliation.compare import DEFAULT_GRACE
from hub.service_layer.federation.reconciliation.errors import ReconciliationError
from hub.service_layer.federation.reconciliation.history import History
from hub.service_layer.federation.reconciliation.loading import load_history
from hub.service_layer.federation.reconciliation.offline import Reconciliation, reconcile
from hub.service_layer.federation.reconciliation.repair import RepairAction, RepairPort
from hub.settings import HubSettings

T = TypeVar("T")

NATS_FOLDER = "nats"
_POLL_S = 0.2


class RegionNatsNotFound(ReconciliationError):
    """Raised when no running nats-server of this region can be found or reached."""

    code = "region-nats-not-found"


class PeerHistoryUnavailable(ReconciliationError):
    """Raised when the peer region's hub does not answer (or refuses) a history request."""

    code = "peer-history-unavailable"


class RepairNotConfirmed(ReconciliationError):
    """Raised when a re-sent statement or receipt is not recorded in time (or not sent)."""

    code = "repair-not-confirmed"


def local_nats_url(settings: HubSettings) -> str:
    """``HUB_NATS_URL``, else the URL in the ports file of this region's live nats-server."""
    if settings.nats_url:
        return settings.nats_url
    folder = settings.data / NATS_FOLDER
    for ports in sorted(folder.glob("nats-server_*.ports")):
        pid = ports.stem.rpartition("_")[2]
        if not pid.isdigit() or not _alive(int(pid)):
            continue
        try:
            urls = json.loads(ports.read_text())["nats"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if urls:
            return str(urls[0])
    raise RegionNatsNotFound(
        f"no running nats-server of this region: no live ports file in {folder} "
        "(is the hub running? or set HUB_NATS_URL)")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Portal:
    """An event loop in a thread, so the synchronous reconciliation can await NATS."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="reconcile-online",
                                        daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float) -> T:
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout_s)
        except FutureTimeout:
            future.cancel()
            raise

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()


class PeerLink:
    """This region's NATS connection to ask a peer's history and re-send statements."""

    def __init__(self, portal: _Portal, nc: NatsClient, region: str, peer: str,
                 timeout_s: float) -> None:
        self._portal, self._nc = portal, nc
        self.region, self.peer, self.timeout_s = region, peer, timeout_s

    def history(self) -> History:
        """The peer's history concerning this region; PeerHistoryUnavailable if it won't say."""
        try:
            msg = self._portal.run(self._nc.request(
                subjects.history(self.peer), self.region.encode(), timeout=self.timeout_s,
                headers={subjects.ORIGIN_HEADER: self.region}), self.timeout_s + 5)
        except nats.errors.NoRespondersError:
            raise PeerHistoryUnavailable(
                f"region {self.peer} did not answer: no hub of region {self.peer} is "
                "reachable (is it running, and linked?)") from None
        except (TimeoutError, FutureTimeout, nats.errors.TimeoutError):
            raise PeerHistoryUnavailable(
                f"region {self.peer} did not answer within {self.timeout_s:g} s") from None
        except nats.errors.Error as exc:
            raise PeerHistoryUnavailable(f"region {self.peer} did not answer: {exc!r}") from exc
        try:
            document = json.loads(msg.data)
        except ValueError:
            raise PeerHistoryUnavailable(
                f"region {self.peer} answered with something other than JSON") from None
        if isinstance(document, dict) and "error" in document:
            raise PeerHistoryUnavailable(f"region {self.peer} refused: {document['error']}")
        history = History.from_json(document)
        if history.region != self.peer:
            raise PeerHistoryUnavailable(
                f"region {self.peer} answered with the history of {history.region!r}")
        return history

    def send(self, to: str, kind: str, sender: str, compact: str, *, msg_id: str) -> None:
        """Publish as the sender's hub does (same subject, same msg id) into ``to``'s domain."""
        why = self._portal.run(publish_statement(self._nc, to, kind, sender, compact,
                                                 msg_id=msg_id, timeout_s=self.timeout_s),
                               self.timeout_s + 5)
        if why is not None:
            raise RepairNotConfirmed(f"{kind} not stored in region {to}: {why}")


class LinkedRegions(RepairPort):
    """A :class:`RepairPort` over the running hubs of this region and its peer (module doc)."""

    def __init__(self, link: PeerLink, histories: Callable[[str], History], *,
                 wait_s: float) -> None:
        self._link = link
        self._histories = histories
        self._wait_s = wait_s

    def present(self, step: RepairAction) -> str:
        kind = ATTESTATIONS if step.statement == "attestation" else REVOCATIONS
        msg_id = step.record_id if kind == ATTESTATIONS else f"revocation:{step.record_id}"
        self._link.send(step.receiver, kind, step.issuer, step.compact, msg_id=msg_id)
        digest = statement_digest(step.compact)

        def decided() -> str | None:
            return next((d.receipt for d in self._histories(step.receiver).decisions
                         if d.issuer == step.issuer and d.statement == digest
                         and d.receipt is not None), None)

        receipt = self._until(decided, self._wait_s)
        if receipt is None:
            raise RepairNotConfirmed(
                f"region {step.receiver} did not decide the re-sent {step.statement} of "
                f"record {step.record_id} within {self._wait_s:g} s")
        return receipt

    def record_receipt(self, step: RepairAction, receipt: str) -> None:
        def recorded() -> bool:
            return any(r.receipt == receipt and r.receiver == step.receiver
                       for record in self._histories(step.issuer).records
                       for r in record.receipts)

        # The receiver's hub sends the receipt back by itself; give it half the time first.
        if self._until(recorded, self._wait_s / 2):
            return
        msg_id = "receipt:" + hashlib.sha256(receipt.encode("ascii")).hexdigest()
        self._link.send(step.issuer, RECEIPTS, step.receiver, receipt, msg_id=msg_id)
        if not self._until(recorded, self._wait_s / 2):
            raise RepairNotConfirmed(
                f"region {step.issuer} did not record {step.receiver}'s receipt for record "
                f"{step.record_id} within {self._wait_s:g} s")

    def recover(self, step: RepairAction) -> str:
        raise RepairNotConfirmed(
            f"region {step.receiver} lost its decision about record {step.record_id} "
            f"(restored from an older backup): recover it offline, with both folders: "
            f"interop-hub reconcile --data DIR --peer-data PEER_DIR --repair")

    @staticmethod
    def _until(check: Callable[[], T], within_s: float) -> T | None:
        deadline = time.monotonic() + within_s
        while True:
            value = check()
            if value or time.monotonic() > deadline:
                return value or None
            time.sleep(_POLL_S)


@contextmanager
def peer_link(settings: HubSettings, peer: str, *, timeout_s: float) -> Iterator[PeerLink]:
    """Connected to this region's nats-server for the block (bounded connect)."""
    url = local_nats_url(settings)
    region = folder_region(settings.data, settings.region)
    portal = _Portal()
    try:
        try:
            auth = hub_client_auth(settings).options()  # the hub's own NATS user
            nc = portal.run(nats.connect(servers(url), name=f"interop-hub-{region}-reconcile",
                                         connect_timeout=3, allow_reconnect=False, **auth), 10)
        except (TimeoutError, FutureTimeout, nats.errors.Error, OSError) as exc:
            raise RegionNatsNotFound(f"cannot connect to this region's NATS at {url}: "
                                     f"{exc!r}") from exc
        try:
            yield PeerLink(portal, nc, region, peer, timeout_s)
        finally:
            try:
                portal.run(nc.close(), 5)
            except (TimeoutError, FutureTimeout, nats.errors.Error):
                pass
    finally:
        portal.close()


def reconcile_online(
    settings: HubSettings,
    peer: str,
    *,
    grace: dt.timedelta = DEFAULT_GRACE,
    repair: bool = False,
    timeout_s: float | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
) -> Reconciliation:
    """Compare this region's folder with ``peer``'s running hub; with ``repair``, re-send
    what is missing through the running hubs and compare again."""
    timeout_s = timeout_s or settings.link_timeout_s
    region = folder_region(settings.data, settings.region)
    if peer == region:
        raise ReconciliationError(f"--peer {peer} is this region: name another region")
    with peer_link(settings, peer, timeout_s=timeout_s) as link:

        def history(of: str) -> History:
            if of == region:
                return load_history(settings, clock=clock).concerning(peer)
            return link.history()

        def load() -> tuple[History, History]:
            return history(region), history(peer)

        @contextmanager
        def port() -> Iterator[RepairPort]:
            yield LinkedRegions(link, history, wait_s=max(2 * timeout_s, 10.0))

        return reconcile(load, grace=grace, repair=port if repair else None)


__all__ = ["LinkedRegions", "PeerHistoryUnavailable", "PeerLink",
           "RegionNatsNotFound", "RepairNotConfirmed", "local_nats_url", "reconcile_online"]
