"""``audit verify``: recompute the tree from the store and hold it against every checkpoint.

One streaming pass reads every stored row in position order, hashes it into a
leaf (hub.service_layer.audit.leaves) and grows a frontier; whenever the tree reaches the
size of a recorded checkpoint, its root must equal the signed one. Memory is
O(log n) hashes plus one page of rows, whatever the history's length.

When a checkpoint does not match, the first bad event lies before its size and
after the last checkpoint that matched. To name it, a second pass walks the
leaf index (hub.service_layer.audit.leaf_index) beside the store: the index is trusted only
if its own tree has the bad checkpoint's signed root; then the first record
that differs from the store is the first bad event — modified in place
(bytes or identity), deleted (the store skips it), or inserted (the store has
a row the signed log never had). Reordering shows up as the first moved row.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from uuid import UUID

from hub.service_layer.audit.checkpoint import Checkpoint
from hub.service_layer.audit.checkpoints import CheckpointLog
from hub.service_layer.audit.errors import AuditError
from hub.service_layer.audit.leaf_index import read_leaf_index
from hub.service_layer.audit.leaves import Leaf, iter_leaves, leaf_hash_pages
from hub.service_layer.audit.log import AuditPaths
from hub.service_layer.audit.merkle import EMPTY_ROOT, Frontier
from hub.service_layer.audit.note import NoteVerifier
from hub.service_layer.audit.store_reader import StoreReader


@dataclass(frozen=True)
class BadEvent:
    """The first event whose stored form differs from what was signed."""

    leaf_index: int
    position: int
    aggregate_id: str
    version: int
    kind: str  # "modified", "deleted" or "inserted"
    detail: str

    def describe(self) -> str:
        """``position N, aggregate <id>, version V``."""
        return f"position {self.position}, aggregate {self.aggregate_id}, version {self.version}"


@dataclass
class VerifyReport:
    """What ``audit verify`` found; ``ok`` when every checkpoint matches the store."""

    events: int = 0
    root: bytes = EMPTY_ROOT
    checkpoints: int = 0
    covered: int = 0
    later_mismatches: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad: BadEvent | None = None

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems


def verify_log(
    reader: StoreReader,
    checkpoints: CheckpointLog,
    verifier: NoteVerifier | None,
    paths: AuditPaths,
) -> VerifyReport:
    """Check every recorded checkpoint against the tree recomputed from ``reader``.

    ``verifier`` may be None only when no checkpoint is recorded (the tree is still
    recomputed, so the report gives its size and root).
    """
    report = VerifyReport()
    pending = _valid_in_order(checkpoints, verifier, report) if verifier else iter(())
    bad: Checkpoint | None = None
    frontier = Frontier()
    target = next(pending, None)
    for _, hashes in leaf_hash_pages(reader):
        while target is not None and frontier.size + len(hashes) >= target.size:
            # Grow exactly to the checkpoint's size, compare, then carry on with the rest.
            split = target.size - frontier.size
            frontier.extend(hashes[:split])
            hashes = hashes[split:]
            root = frontier.root()
            while target is not None and target.size == frontier.size:
                bad = _compare(target, root, report, bad)
                target = next(pending, None)
        frontier.extend(hashes)
    while target is not None and target.size == frontier.size:  # an empty store: size 0
        bad = _compare(target, frontier.root(), report, bad)
        target = next(pending, None)
    report.events, report.root = frontier.size, frontier.root()
    while target is not None:
        report.checkpoints += 1
        if bad is None:
            report.problems.append(
                f"checkpoint of size {target.size} signed at {_when(target)} covers more "
                f"events than the store holds ({frontier.size})"
            )
            bad = target
        else:
            report.later_mismatches += 1
        target = next(pending, None)
    if report.later_mismatches:
        report.problems.append(f"{report.later_mismatches} later checkpoint(s) do not match either")
    if bad is not None:
        report.first_bad = locate_first_bad(reader, paths, bad, report)
    return report


def _valid_in_order(
    checkpoints: CheckpointLog, verifier: NoteVerifier, report: VerifyReport
) -> Iterator[Checkpoint]:
    # Checkpoints are recorded in non-decreasing size; a line out of order was edited in.
    largest = 0
    for number, item in checkpoints.checked(verifier):
        if isinstance(item, AuditError):
            report.problems.append(item.message)
        elif item.size < largest:
            report.problems.append(
                f"{checkpoints.path}:{number}: checkpoint of size {item.size} recorded after "
                f"one of size {largest}"
            )
        else:
            largest = item.size
            yield item


def _compare(
    checkpoint: Checkpoint, root: bytes, report: VerifyReport, bad: Checkpoint | None
) -> Checkpoint | None:
    report.checkpoints += 1
    if root == checkpoint.root_hash:
        if bad is None:  # "covered": proven intact, so only sizes before the first mismatch
            report.covered = max(report.covered, checkpoint.size)
        return bad
    if bad is not None:  # one line for the first; after it every later root differs too
        report.later_mismatches += 1
        return bad
    report.problems.append(
        f"checkpoint of size {checkpoint.size} signed at {_when(checkpoint)} "
        "does not match the stored events"
    )
    return checkpoint


def _when(checkpoint: Checkpoint) -> str:
    return f"{checkpoint.body.timestamp:%Y-%m-%d %H:%M:%S}"


def locate_first_bad(
    reader: StoreReader, paths: AuditPaths, bad: Checkpoint, report: VerifyReport
) -> BadEvent | None:
    """Name the first event that differs, using the leaf index authenticated by ``bad``."""
    index_tree = Frontier()
    found: BadEvent | None = None
    store = iter_leaves(reader)
    for leaf_index, record in enumerate(read_leaf_index(paths.index, limit=bad.size)):
        index_tree.append(record.hash)
        if found is None:
            found = _differ(reader, leaf_index, record, store)
    if index_tree.size != bad.size or index_tree.root() != bad.root_hash:
        report.problems.append(
            f"the leaf index {paths.index} does not match the checkpoint of size {bad.size} "
            f"either, so the bad event cannot be named: it lies between leaf "
            f"{report.covered} and leaf {bad.size - 1}"
        )
        return None
    return found


def _differ(
    reader: StoreReader, leaf_index: int, signed: Leaf, store: Iterator[Leaf]
) -> BadEvent | None:
    """The bad event at ``leaf_index``, reading the store's next row(s) from ``store``."""
    stored = next(store, None)
    if stored is not None and stored == signed:
        return None
    name = _id_text(reader, signed.aggregate_id)
    if stored is None or stored.position > signed.position:
        detail = "missing from the store (deleted)"
        return BadEvent(leaf_index, signed.position, name, signed.version, "deleted", detail)
    # A row slipped in before the signed one: into a gap of positions, or at the signed
    # row's own position with the rows after it renumbered (the signed event follows it).
    if stored.position < signed.position or _same_event(next(store, None), signed):
        detail = "stored but never signed (inserted)"
        stored_name = _id_text(reader, stored.aggregate_id)
        return BadEvent(
            leaf_index, stored.position, stored_name, stored.version, "inserted", detail
        )
    detail = "stored bytes differ from the signed ones (modified)"
    if (stored.aggregate_id, stored.version) != (signed.aggregate_id, signed.version):
        detail += (
            f"; now labelled aggregate {_id_text(reader, stored.aggregate_id)}, "
            f"version {stored.version}"
        )
    return BadEvent(leaf_index, signed.position, name, signed.version, "modified", detail)


def _same_event(stored: Leaf | None, signed: Leaf) -> bool:
    """The same event and bytes, wherever it is stored now (positions are not signed)."""
    return stored is not None and (stored.aggregate_id, stored.version, stored.hash) == (
        signed.aggregate_id, signed.version, signed.hash)


def _id_text(reader: StoreReader, aggregate_id: bytes) -> str:
    if reader.uuid_ids and len(aggregate_id) == 16:
        return str(UUID(bytes=aggregate_id))
    return aggregate_id.decode(errors="replace")
