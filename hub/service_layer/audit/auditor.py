"""The audit log of one region, as entry points use it: checkpoint, verify, prove.

It composes the pieces of this package around one data folder and one event
store. Each operation opens its own store connection and closes it, so an
``Auditor`` can be used from any thread (the running hub checkpoints from a
worker thread) and holds nothing between calls.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import structlog

from hub.adapters.store.selection import store_environment
from hub.service_layer.audit.checkpoint import (
    Checkpoint,
    CheckpointBody,
    log_origin,
    sign_checkpoint,
)
from hub.service_layer.audit.checkpoints import CheckpointLog
from hub.service_layer.audit.errors import AuditError, ProofError
from hub.service_layer.audit.folder_region import check_region
from hub.service_layer.audit.keys import audit_verifier, load_or_create_audit_signer
from hub.service_layer.audit.log import (
    AuditPaths,
    TreeState,
    empty_state,
    extend,
    load_state,
    locked,
    save_state,
)
from hub.service_layer.audit.note import NoteVerifier
from hub.service_layer.audit.proofs import (
    ConsistencyProof,
    InclusionProof,
    prove_consistency,
    prove_inclusion,
)
from hub.service_layer.audit.store_reader import PAGE_SIZE, SQLiteStoreReader, StoreReader
from hub.service_layer.audit.verify import VerifyReport, verify_log
from hub.settings import HubSettings

log = structlog.get_logger("hub.service_layer.audit")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Auditor:
    """Checkpoints, verification and proofs for the ledger stored by ``store_url``."""

    def __init__(
        self,
        data_dir: Path,
        store_url: str | None,
        region: str,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.data_dir = data_dir
        self.store_url = store_url
        self.origin = log_origin(region)
        self.paths = AuditPaths(data_dir)
        self.checkpoints = CheckpointLog(self.paths.checkpoints)
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: HubSettings) -> Auditor:
        """The auditor of the region these settings describe (RegionMismatchError when the
        data folder belongs to another region: its signatures would all read as forged)."""
        check_region(settings.data, settings.region)
        return cls(settings.data, settings.store, settings.region)

    def open_reader(self) -> StoreReader:
        """A fresh reader of the stored event rows (close it, or use it in ``with``)."""
        return open_store_reader(self.store_url, self.data_dir)

    def verifier(self, vkey: str | None = None) -> NoteVerifier:
        """The pinned key ``vkey`` if given, else this data folder's own audit key."""
        return audit_verifier(self.data_dir, self.origin, vkey)

    def checkpoint(self) -> Checkpoint:
        """Cover every stored event and sign a checkpoint."""
        signed = self._checkpoint(force=True)
        if signed is None:  # pragma: no cover - force=True always signs
            raise AuditError("no checkpoint was signed")
        return signed

    def checkpoint_if_new(self) -> Checkpoint | None:
        """Like :meth:`checkpoint`, but sign nothing when no event arrived since the last one."""
        return self._checkpoint(force=False)

    def _checkpoint(self, *, force: bool) -> Checkpoint | None:
        try:
            return self._sign_checkpoint(force=force)
        except OSError as exc:
            raise AuditError(f"cannot write the audit files in {self.paths.folder}: {exc}") from exc

    def _sign_checkpoint(self, *, force: bool) -> Checkpoint | None:
        signer = load_or_create_audit_signer(self.data_dir, self.origin)
        with locked(self.paths), self.open_reader() as reader:
            latest = self.checkpoints.latest(signer.verifier())
            state = load_state(self.paths)
            loaded = state is not None and _continues(state, latest)
            if state is None or not loaded:
                state = self._rebuild(reader, latest)
            extended = extend(self.paths, state, reader)
            if not force and loaded and extended.size == state.size:
                return None
            body = CheckpointBody(
                self.origin, extended.size, extended.frontier.root(), self._clock()
            )
            checkpoint = sign_checkpoint(body, signer)
            self.checkpoints.record(checkpoint)
            save_state(self.paths, extended)
        log.info("audit checkpoint signed", size=checkpoint.size, root=checkpoint.root_hash.hex())
        return checkpoint

    def _rebuild(self, reader: StoreReader, latest: Checkpoint | None) -> TreeState:
        # No usable saved state (lost, or a crash between recording a checkpoint and
        # saving it): recompute it from the store, but never sign over a store that
        # no longer matches what was already signed.
        state = extend(self.paths, empty_state(), reader, limit=latest.size if latest else None)
        if latest is not None and (
            state.size != latest.size or state.frontier.root() != latest.root_hash
        ):
            raise AuditError(
                f"the stored events no longer match the latest checkpoint (size {latest.size}); "
                "refusing to sign over them: run `interop-hub audit verify`"
            )
        return state

    def verify(self, vkey: str | None = None) -> VerifyReport:
        """Recompute the tree from the store and check every recorded checkpoint."""
        # A folder that never signed a checkpoint has no key yet; that is not an error.
        never_signed = vkey is None and not any(True for _ in self.checkpoints.notes())
        verifier = None if never_signed else self.verifier(vkey)
        with self.open_reader() as reader:
            return verify_log(reader, self.checkpoints, verifier, self.paths)

    def prove(self, event: str, vkey: str | None = None) -> InclusionProof:
        """Inclusion proof of ``event`` (position or ``<aggregate-id>:<version>``)."""
        verifier = self.verifier(vkey)
        latest = self.checkpoints.latest(verifier)
        if latest is None:
            raise ProofError("no checkpoint recorded yet: run `interop-hub audit checkpoint`")
        with self.open_reader() as reader:
            return prove_inclusion(reader, latest, verifier.vkey(), event)

    def consistency(
        self, old_size: int, new_size: int, vkey: str | None = None
    ) -> ConsistencyProof:
        """Consistency proof between the recorded checkpoints of these tree sizes."""
        verifier = self.verifier(vkey)
        old = self.checkpoints.at_size(old_size, verifier)
        new = self.checkpoints.at_size(new_size, verifier)
        with self.open_reader() as reader:
            return prove_consistency(reader, old, new, verifier.vkey())


def _continues(state: TreeState, latest: Checkpoint | None) -> bool:
    """True when the saved tree is exactly the one the latest checkpoint signed.

    Every new checkpoint then extends the previous one by construction, and a
    tree state edited on disk is never signed into a root.
    """
    if latest is None:
        return state.size == 0
    return state.size == latest.size and state.frontier.root() == latest.root_hash


def open_store_reader(
    store_url: str | None, data_dir: Path, *, app_name: str = "ledger", page_size: int = PAGE_SIZE
) -> StoreReader:
    """A reader for the store the hub would use with these settings
    (see hub.adapters.store.selection)."""
    env = store_environment(store_url, data_dir)
    uuid_ids = env.get("ORIGINATOR_ID_TYPE", "uuid").lower() == "uuid"
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        return SQLiteStoreReader(Path(env["SQLITE_DBNAME"]), uuid_ids=uuid_ids, page_size=page_size)
    from hub.service_layer.audit.store_reader_pg import PostgresStoreReader  # optional extra

    return PostgresStoreReader(env, f"{app_name}_events", uuid_ids=uuid_ids, page_size=page_size)
