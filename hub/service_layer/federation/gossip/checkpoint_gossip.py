"""Checkpoint gossip: each region publishes its signed checkpoints and checks its peers'.

Publishing: a new line in ``DIR/audit/checkpoints.jsonl`` (the hub signs one
every interval while events arrive, and at shutdown) is published on
``fed.<region>.audit.checkpoint``; the region also answers
``fed.<region>.audit.latest`` (its latest checkpoint and verifier key) and
``fed.<region>.audit.consistency`` (a proof between two of its tree sizes, by
:meth:`hub.service_layer.audit.Auditor.consistency`).

Checking: a peer's checkpoint — pushed, or pulled every ``pull_s`` to catch
up after a partition — is verified with the peer's pinned key
(:mod:`.held_checkpoints`), judged against the last one held
(:mod:`.judgement`) and, when it is newer, proven consistent with it.
Anything that fails raises an :class:`hub.domain.audit_alarm.AuditAlarm` with both
notes as evidence and logs an error. A peer that cannot be reached is simply
asked again later; nothing is held until it checks out.

Until per-region NATS credentials decide who may publish on ``fed.<peer>.>``,
a ``bad-signature`` alarm proves that *someone* offered a checkpoint not signed
by the peer's key, not that the peer did.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog
from nats.aio.msg import Msg
from pydantic import ValidationError

from hub.adapters.peers import subjects
from hub.adapters.peers.connection import LinkConnection, Request
from hub.adapters.peers.errors import LinkError, PeerAnswerInvalid
from hub.adapters.peers.messages import (
    CheckpointOffer,
    ConsistencyAnswer,
    ConsistencyRequest,
    LinkProblem,
)
from hub.domain.audit_alarm import BAD_SIGNATURE, INCONSISTENT
from hub.service_layer.audit import Auditor
from hub.service_layer.audit.checkpoint import Checkpoint, open_checkpoint
from hub.service_layer.audit.errors import AuditError, AuditKeyError, NoteError
from hub.service_layer.audit.note import NoteVerifier
from hub.service_layer.federation.gossip.alarms import AuditAlarms
from hub.service_layer.federation.gossip.held_checkpoints import PeerCheckpoints
from hub.service_layer.federation.gossip.judgement import Verdict, assess, judge_proof

log = structlog.get_logger("hub.service_layer.federation.gossip")

# Errors with which a peer refuses a proof because its log does not support it.
_PROOF_REFUSALS = frozenset({"audit-proof", "audit-note"})
_WATCH_S = 1.0


class CheckpointGossip:
    """Publishes this region's checkpoints; verifies and keeps its peers'."""

    def __init__(
        self,
        connection: LinkConnection,
        auditor: Auditor,
        alarms: AuditAlarms,
        peers: tuple[str, ...],
        *,
        timeout_s: float,
        pull_s: float,
    ) -> None:
        self._connection = connection
        self._auditor = auditor
        self._alarms = alarms
        self._region = connection.region
        self.peers = peers
        self.held = PeerCheckpoints(auditor.data_dir)
        self._timeout_s = timeout_s
        self._pull_s = pull_s
        self._locks = {peer: asyncio.Lock() for peer in peers}
        self._published: tuple[int, int] | None = None

    async def start(self) -> None:
        """Answer ``audit.latest`` and ``audit.consistency``; listen to the peers' pushes."""
        await self._connection.serve(subjects.audit_latest(self._region), self._answer_latest)
        await self._connection.serve(
            subjects.audit_consistency(self._region), self._answer_consistency
        )
        for peer in self.peers:
            await self._connection.listen(subjects.audit_checkpoint(peer), self._on_push)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish new own checkpoints (checked every second), pull peers' every ``pull_s``."""
        loop = asyncio.get_running_loop()
        next_pull = loop.time()
        while not stop.is_set():
            await self._publish_if_new()
            if loop.time() >= next_pull:
                for peer in self.peers:
                    await self.pull(peer)
                next_pull = loop.time() + self._pull_s
            try:
                await asyncio.wait_for(stop.wait(), timeout=_WATCH_S)
            except TimeoutError:
                continue

    # --- this region's side ---------------------------------------------------------

    def offer(self) -> CheckpointOffer:
        """This region's latest checkpoint and verifier key (no key yet: nothing signed)."""
        try:
            verifier = self._auditor.verifier()
        except AuditKeyError:
            return CheckpointOffer(region=self._region, note=None, verifier_key=None)
        latest = self._auditor.checkpoints.latest(verifier)
        note = latest.note if latest is not None else None
        return CheckpointOffer(region=self._region, note=note, verifier_key=verifier.vkey())

    async def _publish_if_new(self) -> None:
        stamp = _stamp(self._auditor.checkpoints.path)
        if stamp is None or stamp == self._published:
            return
        try:
            offer = await asyncio.to_thread(self.offer)
            if offer.note is not None:
                await self._connection.publish(
                    subjects.audit_checkpoint(self._region), offer.model_dump_json().encode()
                )
        except (AuditError, LinkError) as exc:
            log.warning("checkpoint not published", code=exc.code, reason=exc.message)
            return
        self._published = stamp

    async def _answer_latest(self, _: Request) -> bytes:
        try:
            offer = await asyncio.to_thread(self.offer)
        except AuditError as exc:
            # Say nothing rather than something unsigned: the peer asks again later.
            log.error("latest checkpoint unreadable", code=exc.code, reason=exc.message)
            offer = CheckpointOffer(region=self._region, note=None, verifier_key=None)
        return offer.model_dump_json().encode()

    async def _answer_consistency(self, request: Request) -> bytes:
        try:
            asked = ConsistencyRequest.model_validate_json(request.data)
        except ValidationError as exc:
            problem = LinkProblem(code="malformed", message=str(exc.errors(include_url=False)[:2]))
            return ConsistencyAnswer(old_size=0, new_size=0, error=problem).model_dump_json() \
                .encode()
        try:
            proof = await asyncio.to_thread(
                self._auditor.consistency, asked.old_size, asked.new_size
            )
        except AuditError as exc:
            answer = ConsistencyAnswer(
                old_size=asked.old_size,
                new_size=asked.new_size,
                error=LinkProblem(code=exc.code, message=exc.message),
            )
        else:
            answer = ConsistencyAnswer(
                old_size=asked.old_size,
                new_size=asked.new_size,
                proof=[node.hex() for node in proof.path],
            )
        return answer.model_dump_json().encode()

    # --- the peers' side --------------------------------------------------------------

    async def _on_push(self, msg: Msg) -> None:
        peer = msg.subject.split(".")[1]
        try:
            offer = CheckpointOffer.model_validate_json(msg.data)
        except ValidationError:
            log.warning("unreadable checkpoint offer ignored", peer=peer)
            return
        await self.receive(peer, offer, is_latest=False)

    async def pull(self, peer: str) -> None:
        """Ask ``peer`` for its latest checkpoint and check it (unreachable: try later)."""
        offer = await self._latest_of(peer)
        if offer is not None:
            await self.receive(peer, offer, is_latest=True)

    async def _latest_of(self, peer: str) -> CheckpointOffer | None:
        try:
            msg = await self._connection.request(
                peer, subjects.audit_latest(peer), b"", timeout_s=self._timeout_s
            )
            return CheckpointOffer.model_validate_json(msg.data)
        except LinkError as exc:
            log.info("peer checkpoint not pulled", peer=peer, reason=exc.message)
        except ValidationError:
            log.warning("unreadable checkpoint offer ignored", peer=peer)
        return None

    async def receive(self, peer: str, offer: CheckpointOffer, *, is_latest: bool) -> None:
        """Check one offered checkpoint of ``peer``; hold it, or raise an alarm."""
        if peer not in self._locks or offer.region != peer or offer.note is None:
            return
        async with self._locks[peer]:
            try:
                await self._receive(peer, offer, is_latest)
            except LinkError as exc:
                log.warning("peer checkpoint not checked", peer=peer, code=exc.code,
                            reason=exc.message)

    async def _receive(self, peer: str, offer: CheckpointOffer, is_latest: bool) -> None:
        verifier = await asyncio.to_thread(self._verifier, peer, offer)
        if verifier is None:
            return
        held = await asyncio.to_thread(self.held.held, peer, verifier)
        note = offer.note or ""
        try:
            received = open_checkpoint(note, verifier)
        except NoteError as exc:
            await self._alarm(peer, BAD_SIGNATURE, exc.message, held, note)
            return
        verdict = assess(held, received, is_latest=is_latest)
        if verdict.action == "older":
            await self._pull_unlocked(peer)
        elif verdict.action == "prove" and held is not None:
            verdict = await self._prove(peer, held, received)
        await self._settle(peer, verdict, held, received)

    async def _settle(
        self, peer: str, verdict: Verdict, held: Checkpoint | None, received: Checkpoint
    ) -> None:
        if verdict.action == "accept":
            await asyncio.to_thread(self.held.hold, peer, received)
            log.info("peer checkpoint verified", peer=peer, size=received.size)
        elif verdict.action == "alarm":
            await self._alarm(peer, verdict.kind, verdict.reason, held, received.note)

    async def _pull_unlocked(self, peer: str) -> None:
        # A stale copy arrived (pushes and pulls can cross): what counts is the latest.
        offer = await self._latest_of(peer)
        if offer is not None and offer.note is not None and offer.region == peer:
            await self._receive(peer, offer, is_latest=True)

    async def _prove(self, peer: str, held: Checkpoint, received: Checkpoint) -> Verdict:
        asked = ConsistencyRequest(old_size=held.size, new_size=received.size)
        msg = await self._connection.request(
            peer,
            subjects.audit_consistency(peer),
            asked.model_dump_json().encode(),
            timeout_s=self._timeout_s,
        )
        try:
            answer = ConsistencyAnswer.model_validate_json(msg.data)
            proof = [bytes.fromhex(node) for node in answer.proof]
        except (ValidationError, ValueError) as exc:
            raise PeerAnswerInvalid(peer, "consistency proof", str(exc)[:200]) from None
        if answer.error is None:
            return judge_proof(held, received, proof)
        if answer.error.code in _PROOF_REFUSALS:
            return Verdict(
                "alarm",
                INCONSISTENT,
                f"{peer} cannot prove that its checkpoint of size {received.size} extends the "
                f"one of size {held.size}: {answer.error.message}",
            )
        raise LinkError(f"{peer} could not prove consistency now: {answer.error.message}")

    def _verifier(self, peer: str, offer: CheckpointOffer) -> NoteVerifier | None:
        pinned = self.held.verifier(peer)
        if pinned is not None:
            return pinned
        if offer.verifier_key is None:
            return None
        verifier = self.held.pin(peer, offer.verifier_key)
        log.warning("peer audit key pinned on first use", peer=peer, key=verifier.vkey())
        return verifier

    async def _alarm(
        self, peer: str, kind: str, reason: str, held: Checkpoint | None, received: str
    ) -> None:
        held_note = held.note if held is not None else ""
        alarm_id, new = await asyncio.to_thread(
            self._alarms.raise_alarm, peer, kind, reason, held=held_note, received=received
        )
        if new:
            log.error("peer audit alarm raised", peer=peer, kind=kind, reason=reason,
                      alarm_id=str(alarm_id))


def _stamp(path: Path) -> tuple[int, int] | None:
    """(size, mtime) of the checkpoint file, or None while there is none."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns
