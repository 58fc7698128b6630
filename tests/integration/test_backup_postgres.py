"""Backup and restore of a region whose events live in PostgreSQL: ``pg_dump`` streamed into
the sealed backup, ``pg_restore`` into an empty database, then ``audit verify``; a database
that holds anything is refused."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.adapters.backup.errors import RestoreTargetError
from hub.adapters.crypto.kek import read_kek_file
from hub.bootstrap.privacy import build_ledger
from hub.service_layer.audit import Auditor
from hub.service_layer.backup import restore_backup, take_backup, verify_backup
from hub.settings import HubSettings
from tests.conftest import PG_HOST, PG_PORT, PG_USER
from tests.integration.backup_fixtures import add_events, region_folder

pytestmark = pytest.mark.postgres
KEY = os.urandom(32)


@pytest.fixture
def empty_database(postgres_url: str) -> Iterator[str]:
    """A second fresh database on the same server (postgres_url has skipped already if
    there is none), dropped afterwards."""
    import psycopg

    name = f"hub_restore_{uuid.uuid4().hex[:12]}"
    admin = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_a_postgresql_region_is_restored_into_an_empty_database_and_verifies(
    tmp_path: Path, postgres_url: str, empty_database: str
) -> None:
    """Six events and two checkpoints in PostgreSQL; the restored database holds the same
    ledger (and the subject keys, schema hub_privacy), and the audit proves it."""
    settings = region_folder(tmp_path / "north", store=postgres_url)
    kek = read_kek_file(settings.data / "keys" / "kek")
    report = await take_backup(settings.data, postgres_url, "north", tmp_path / "b", KEY,
                               kek=kek, nats=None)
    manifest = verify_backup(tmp_path / "b", KEY)
    assert manifest.store == "postgresql" and manifest.events == 6
    assert report.manifest.checkpoint is not None and report.manifest.checkpoint["size"] == 6
    assert {m.kind for m in manifest.members} >= {"pg-dump", "kek-sealed"}

    with pytest.raises(RestoreTargetError, match="is not empty"):
        await restore_backup(tmp_path / "b", KEY, tmp_path / "refused", postgres_url, kek=kek)
    assert not (tmp_path / "refused").exists()

    done = await restore_backup(tmp_path / "b", KEY, tmp_path / "restored", empty_database,
                                kek=kek)
    assert done.audit is not None and done.audit.ok, done.audit.problems
    assert done.audit.events == 6 and done.audit.checkpoints == 2
    restored = HubSettings(data=tmp_path / "restored", region="north", store=empty_database,
                           kek_file=settings.data / "keys" / "kek", log_format="json")
    ledger = build_ledger(restored)  # the subject keys came back too: events decode
    ledger.close()
    add_events(restored, 1, "after")
    assert Auditor.from_settings(restored).checkpoint().size == 7
    assert Auditor.from_settings(restored).verify().ok
