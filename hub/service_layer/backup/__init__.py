"""Backup, restore and verification of one region's data: the use cases.

:func:`take_backup` copies, online, what a region needs (event store, wrapped keys, audit
files, trust lists and agreements, Object Store buckets) into a sealed backup;
:func:`verify_backup` checks one without restoring it; :func:`restore_backup` restores it
into an empty folder (and database), optionally only up to a signed checkpoint, then proves
with the audit log that the ledger is the one the checkpoints signed.
"""

from hub.service_layer.backup.keys import backup_key_material
from hub.service_layer.backup.manifest import Manifest, Member
from hub.service_layer.backup.restore import RestoreReport, restore_backup, restore_objects
from hub.service_layer.backup.take import BackupReport, take_backup
from hub.service_layer.backup.verify import verify_backup

__all__ = [
    "BackupReport",
    "Manifest",
    "Member",
    "RestoreReport",
    "backup_key_material",
    "restore_backup",
    "restore_objects",
    "take_backup",
    "verify_backup",
]
