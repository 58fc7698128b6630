"""Peers' checkpoints as this region holds them: ``DIR/audit/peers/<peer>.jsonl`` and ``.key``.

``<peer>.jsonl`` has the same format as the region's own ``checkpoints.jsonl``
(one ``{"note": ...}`` per line, appended and fsynced), holding only
checkpoints that passed every check, in non-decreasing tree size: its last
line is what the next checkpoint of that peer must extend.

``<peer>.key`` pins the peer's audit verifier key (``name+keyid+base64``).
**Trust on first use**: the key is learnt from the peer's first checkpoint
offer and never replaced by a later offer; a checkpoint signed by any other
key raises an alarm. This stands in for the region's signed trust list,
which will name each peer's keys and replace the pin (an operator can pin a
key out of band meanwhile by writing the file, e.g. from ``audit key``).
"""

from __future__ import annotations

import os
from pathlib import Path

from hub.adapters.peers.errors import LinkError
from hub.service_layer.audit.checkpoint import Checkpoint, log_origin
from hub.service_layer.audit.checkpoints import CheckpointLog
from hub.service_layer.audit.errors import AuditError, NoteError
from hub.service_layer.audit.note import NoteVerifier


class PeerCheckpoints:
    """The checkpoints of each peer this region verified, and each peer's pinned key."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "audit" / "peers"

    def log(self, peer: str) -> CheckpointLog:
        """The held checkpoints of ``peer``."""
        return CheckpointLog(self.folder / f"{peer}.jsonl")

    def key_path(self, peer: str) -> Path:
        """Where ``peer``'s verifier key is pinned."""
        return self.folder / f"{peer}.key"

    def verifier(self, peer: str) -> NoteVerifier | None:
        """The pinned verifier of ``peer``; None before first contact."""
        path = self.key_path(peer)
        if not path.exists():
            return None
        try:
            return NoteVerifier.from_vkey(path.read_text())
        except (NoteError, OSError) as exc:
            raise LinkError(f"pinned audit key {path} is unusable: {exc}") from exc

    def pin(self, peer: str, vkey: str) -> NoteVerifier:
        """Pin ``vkey`` for ``peer`` unless a key is pinned already; the pinned verifier."""
        try:
            offered = NoteVerifier.from_vkey(vkey)
        except NoteError as exc:
            raise LinkError(f"region {peer} offered a malformed audit key: {exc.message}") \
                from None
        if offered.name != log_origin(peer):
            raise LinkError(f"region {peer} offered the audit key of {offered.name!r}")
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.key_path(peer), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            pinned = self.verifier(peer)
            if pinned is None:  # removed between the two calls: try once more next time
                raise LinkError(f"the pinned audit key of {peer} vanished while pinning") \
                    from None
            return pinned
        with os.fdopen(fd, "w") as handle:
            handle.write(offered.vkey() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return offered

    def held(self, peer: str, verifier: NoteVerifier) -> Checkpoint | None:
        """The last checkpoint of ``peer`` that passed every check; None when none yet."""
        try:
            return self.log(peer).latest(verifier)
        except AuditError as exc:
            raise LinkError(f"held checkpoints of {peer} are unreadable: {exc.message}") from exc

    def hold(self, peer: str, checkpoint: Checkpoint) -> None:
        """Append a checkpoint that passed every check."""
        self.log(peer).record(checkpoint)
