"""Checkpoints: the C2SP tlog-checkpoint body (https://c2sp.org/tlog-checkpoint) in a signed note.

The body is four lines, each ending in a newline::

    interop-hub/north/ledger                      origin: names this log
    8                                             tree size, decimal
    XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=  root hash, standard base64
    timestamp 2025-06-01T12:00:00.123Z            extension line: signing time, RFC 3339 UTC

The origin doubles as the name of the key that signs it. Other extension lines
(from a future version) are kept in the text and ignored here; empty lines are
not allowed by the format.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

from hub.service_layer.audit.errors import NoteError
from hub.service_layer.audit.merkle import HASH_SIZE
from hub.service_layer.audit.note import (
    NoteSigner,
    NoteVerifier,
    open_note,
    sign_note,
    valid_key_name,
)

TIMESTAMP_PREFIX = "timestamp "


def log_origin(region: str) -> str:
    """The origin line (and signing key name) of a region's audit log."""
    return f"interop-hub/{region}/ledger"


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, e.g. ``2025-06-01T12:00:00.123Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class CheckpointBody:
    """What a checkpoint commits to: the log, its size, its root hash, and when."""

    origin: str
    size: int
    root_hash: bytes
    timestamp: datetime

    def text(self) -> str:
        """The checkpoint body as C2SP text."""
        if not valid_key_name(self.origin):
            raise NoteError(f"invalid origin {self.origin!r}: no spaces or '+' allowed")
        root = base64.b64encode(self.root_hash).decode()
        stamp = format_timestamp(self.timestamp)
        return f"{self.origin}\n{self.size}\n{root}\n{TIMESTAMP_PREFIX}{stamp}\n"

    @classmethod
    def parse(cls, text: str) -> CheckpointBody:
        """Read a checkpoint body; NoteError names what is wrong."""
        lines = text.split("\n")
        if len(lines) < 5 or lines[-1] != "" or "" in lines[:-1]:
            raise NoteError("checkpoint: expected origin, size, root and a timestamp line")
        origin, size_text, root_text, *extensions = lines[:-1]
        if not size_text.isdigit() or (size_text.startswith("0") and size_text != "0"):
            raise NoteError(f"checkpoint: tree size {size_text!r} is not a decimal number")
        try:
            root = base64.b64decode(root_text, validate=True)
        except binascii.Error:
            root = b""
        if len(root) != HASH_SIZE:
            raise NoteError(f"checkpoint: root hash {root_text!r} is not a base64 SHA-256")
        stamps = [line for line in extensions if line.startswith(TIMESTAMP_PREFIX)]
        if len(stamps) != 1:
            raise NoteError("checkpoint: expected exactly one timestamp extension line")
        try:
            moment = datetime.fromisoformat(stamps[0][len(TIMESTAMP_PREFIX) :])
        except ValueError:
            raise NoteError(f"checkpoint: malformed {stamps[0]!r}") from None
        if moment.tzinfo is None:
            raise NoteError(f"checkpoint: {stamps[0]!r} has no time zone")
        return cls(origin, int(size_text), root, moment)


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint body and the signed note that carries it (the note is the evidence)."""

    body: CheckpointBody
    note: str

    @property
    def size(self) -> int:
        """Tree size."""
        return self.body.size

    @property
    def root_hash(self) -> bytes:
        """Root hash at that size."""
        return self.body.root_hash

    @property
    def timestamp(self) -> datetime:
        """When it was signed."""
        return self.body.timestamp


def sign_checkpoint(body: CheckpointBody, signer: NoteSigner) -> Checkpoint:
    """Sign ``body`` with the log's key (whose name must be the origin)."""
    if signer.name != body.origin:
        raise NoteError(f"key {signer.name!r} cannot sign for origin {body.origin!r}")
    return Checkpoint(body, sign_note(body.text(), signer))


def open_checkpoint(note: str, verifier: NoteVerifier) -> Checkpoint:
    """Verify the note's signature by ``verifier`` and parse its checkpoint."""
    body = CheckpointBody.parse(open_note(note, verifier))
    if body.origin != verifier.name:
        raise NoteError(f"checkpoint origin {body.origin!r} is not {verifier.name!r}")
    return Checkpoint(body, note)
