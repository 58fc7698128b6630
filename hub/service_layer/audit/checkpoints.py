"""Where signed checkpoints are recorded: ``DIR/audit/checkpoints.jsonl``, append-only.

Each line is ``{"note": "<the signed note>"}``; the note is the whole record,
since everything in it is signed. Lines are appended and fsynced, in
non-decreasing tree size, before the tree state that produced them is saved.

Why a file beside the key and the leaf index, not an aggregate in the ledger or
a table in the same database:

- the evidence should not live only inside the thing it audits: whoever can
  rewrite rows of the event store (a database administrator, a restored
  backup) could otherwise drop the checkpoints in the same stroke. Here the
  store and the checkpoints are two separate places to tamper with (and peer
  regions keep copies besides, so a rewritten history is caught by any of them);
- checkpoint events in the ledger would be leaves that every projection,
  the outbox relay and `exchanges list` must learn to skip, and each
  checkpoint would change the tree it describes;
- one code path for SQLite and PostgreSQL, readable with any text tool.

The cost: with PostgreSQL and several hub workers, the data folder holding
``keys/`` and ``audit/`` must belong to the one worker that signs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

from hub.service_layer.audit.checkpoint import Checkpoint, CheckpointBody, open_checkpoint
from hub.service_layer.audit.errors import AuditError, NoteError, ProofError
from hub.service_layer.audit.note import NoteVerifier, split_note

_TAIL = 1 << 16


class CheckpointLog:
    """The recorded checkpoints of one region's audit log."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, checkpoint: Checkpoint) -> None:
        """Append one checkpoint durably."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"note": checkpoint.note}, ensure_ascii=False) + "\n"
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def notes(self) -> Iterator[tuple[int, str | None]]:
        """(line number, note) for each recorded line; note is None when the line is garbled."""
        if not self.path.exists():
            return
        with open(self.path, encoding="utf-8", errors="replace") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip() or not line.endswith("\n"):
                    continue  # blank, or the last line while a writer is still appending it
                yield number, _note_of(line)

    def _last_line(self) -> str | None:
        # Reads only the file's tail: the checkpointer asks at every interval, and a
        # year of minutely checkpoints is a file of a hundred megabytes or more.
        if not self.path.exists():
            return None
        with open(self.path, "rb") as handle:
            end = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, end - _TAIL))
            lines = handle.read().split(b"\n")[:-1]  # the last piece is unfinished
        if end > _TAIL:
            lines = lines[1:]  # the first piece may start mid-line
        lines = [line for line in lines if line.strip()]
        return lines[-1].decode("utf-8", errors="replace") if lines else None

    def checked(self, verifier: NoteVerifier) -> Iterator[tuple[int, Checkpoint | AuditError]]:
        """Each recorded line verified: the checkpoint, or the error that refuses it."""
        for number, note in self.notes():
            if note is None:
                yield number, NoteError(f"{self.path}:{number}: not a recorded checkpoint")
                continue
            try:
                yield number, open_checkpoint(note, verifier)
            except NoteError as exc:
                yield number, NoteError(f"{self.path}:{number}: {exc.message}")

    def latest(self, verifier: NoteVerifier) -> Checkpoint | None:
        """The last recorded checkpoint, verified; None when none is recorded.

        Only the last line is verified; a bad last line is an error (`audit verify`
        says more).
        """
        line = self._last_line()
        return None if line is None else self._open("last line", _note_of(line), verifier)

    def at_size(self, size: int, verifier: NoteVerifier) -> Checkpoint:
        """The last recorded checkpoint of tree size ``size``, verified."""
        found = None
        sizes: list[int] = []
        for number, note in self.notes():
            recorded = None if note is None else _unverified_size(note)
            if recorded is not None and recorded not in sizes:
                sizes.append(recorded)
            if note is not None and recorded == size:
                found = (number, note)
        if found is None:
            raise ProofError(f"no recorded checkpoint has tree size {size}; "
                             f"{_sizes_recorded(sizes)}")
        return self._open(*found, verifier)

    def _open(self, number: int | str, note: str | None, verifier: NoteVerifier) -> Checkpoint:
        if note is None:
            raise NoteError(f"{self.path}:{number}: not a recorded checkpoint")
        try:
            return open_checkpoint(note, verifier)
        except NoteError as exc:
            raise NoteError(f"{self.path}:{number}: {exc.message}") from None


def _sizes_recorded(sizes: list[int]) -> str:
    """The sizes one may ask for instead (the last ten when there are many)."""
    if not sizes:
        return "no checkpoint is recorded yet (`interop-hub audit checkpoint` signs one)"
    shown = ", ".join(str(n) for n in sizes[-10:])
    more = f" (last 10 of {len(sizes)})" if len(sizes) > 10 else ""
    return f"recorded sizes{more}: {shown}"


def _note_of(line: str) -> str | None:
    try:
        note = json.loads(line)["note"]
    except (ValueError, KeyError, TypeError):
        return None
    return note if isinstance(note, str) else None


def _unverified_size(note: str) -> int | None:
    # Reading the size before checking the signature only selects which line to check.
    try:
        return CheckpointBody.parse(split_note(note)[0]).size
    except NoteError:
        return None
