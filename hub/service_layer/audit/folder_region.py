"""Which region a data folder belongs to: ``DIR/region``, written by the hub when it starts.

The audit log's origin and signing-key name contain the region, so the audit
commands must use the folder's own region: with another one every signature
check fails and an untouched folder reads as tampered. The hub writes the
marker the first time it runs on a folder; a folder from before the marker
existed still names its region in the origin of its recorded checkpoints.
A region that differs from the folder's is refused (:class:`RegionMismatchError`),
never reported as tampering.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from contracts.identity import REGION_CODE_PATTERN
from hub.service_layer.audit.checkpoint import CheckpointBody
from hub.service_layer.audit.checkpoints import CheckpointLog
from hub.service_layer.audit.errors import AuditError, NoteError
from hub.service_layer.audit.log import AuditPaths
from hub.service_layer.audit.note import split_note

REGION_FILE = "region"
_ORIGIN = re.compile(r"interop-hub/(?P<region>[^/]+)/ledger")


class RegionMismatchError(AuditError):
    """Raised when the configured region is not the region the data folder belongs to."""

    code = "audit-region"


def region_file(data_dir: Path) -> Path:
    """Where a data folder names its region."""
    return data_dir / REGION_FILE


def folder_region(data_dir: Path) -> str | None:
    """The folder's region: its marker, else its latest checkpoint's origin; None if neither."""
    path = region_file(data_dir)
    if path.exists():
        try:
            region = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditError(f"cannot read the region marker {path}: {exc}") from None
        if not re.fullmatch(REGION_CODE_PATTERN, region):
            raise AuditError(f"{path} names no valid region: {region[:40]!r}")
        return region
    return _checkpoint_region(data_dir)


def _checkpoint_region(data_dir: Path) -> str | None:
    # Unverified on purpose: the origin only tells which key to verify with.
    last = None
    for _, note in CheckpointLog(AuditPaths(data_dir).checkpoints).notes():
        last = note if note is not None else last
    if last is None:
        return None
    try:
        origin = CheckpointBody.parse(split_note(last)[0]).origin
    except NoteError:
        return None
    match = _ORIGIN.fullmatch(origin)
    return match["region"] if match else None


def resolve_region(data_dir: Path, configured: str, *, explicit: bool) -> str:
    """The region to use on ``data_dir``: the folder's own; ``configured`` when the folder
    names none; RegionMismatchError when ``explicit`` (set by the operator) and different."""
    own = folder_region(data_dir)
    if own is None:
        return configured
    if explicit and own != configured:
        raise _mismatch(data_dir, own, configured)
    return own


def check_region(data_dir: Path, region: str) -> None:
    """RegionMismatchError when ``data_dir`` belongs to another region than ``region``."""
    own = folder_region(data_dir)
    if own is not None and own != region:
        raise _mismatch(data_dir, own, region)


def claim_region(data_dir: Path, region: str) -> None:
    """Mark ``data_dir`` as ``region``'s (a hub starting on it); refuse another region's."""
    check_region(data_dir, region)
    path = region_file(data_dir)
    if path.exists():
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:  # another process claimed it at the same moment: check theirs
        check_region(data_dir, region)
        return
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(region + "\n")


def _mismatch(data_dir: Path, own: str, configured: str) -> RegionMismatchError:
    return RegionMismatchError(
        f"the data folder {data_dir} belongs to region {own!r}, not {configured!r}: "
        f"set HUB_REGION={own} (or unset it) for this folder")
