"""Backup and restore of a region whose events live in PostgreSQL: ``pg_dump`` streamed into
the sealed backup, ``pg_restore`` into an empty database, then ``audit verify``; a database
that holds anything is refused; ``--until-checkpoint`` cuts the restored ledger at a signed
checkpoint's tree size."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from eventsourcing.persistence import Tracking
from typer.testing import CliRunner, Result

from hub.adapters.backup import postgres_dump
from hub.adapters.backup.errors import BackupError, RestoreTargetError
from hub.adapters.crypto.kek import read_kek_file
from hub.adapters.crypto.keyring import open_keyring
from hub.bootstrap.privacy import build_ledger
from hub.entrypoints.cli.main import app
from hub.service_layer.audit import Auditor, claim_region
from hub.service_layer.audit.merkle import verify_consistency
from hub.service_layer.backup import restore_backup, take_backup, verify_backup
from hub.settings import HubSettings
from tests.integration.backup_fixtures import (
    add_events,
    backup_key,
    fresh_database,
    region_folder,
)

pytestmark = pytest.mark.postgres
KEY = os.urandom(32)


@pytest.fixture
def empty_database(postgres_url: str) -> Iterator[str]:
    """A second fresh database on the same server (postgres_url has skipped already if
    there is none), dropped afterwards."""
    with fresh_database() as url:
        yield url


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


def _skip_positions(url: str, count: int) -> None:
    """Burn ``count`` values of the ledger's notification id sequence, as rolled-back
    transactions do: positions then have a gap, and leaf i is no longer position i + 1."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(count):
            conn.execute("SELECT nextval(pg_get_serial_sequence('ledger_events', "
                         "'notification_id'))")


def _track(settings: HubSettings, application: str, position: int) -> None:
    """Record ``application``'s position in the ledger's tracking table, as the relay does."""
    ledger = build_ledger(settings)
    try:
        ledger.factory.tracking_recorder().insert_tracking(Tracking(application, position))
    finally:
        ledger.close()


def _rows(url: str, query: str) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return list(conn.execute(query).fetchall())


async def test_restore_until_a_checkpoint_cuts_a_postgresql_ledger_at_its_tree_size(
    tmp_path: Path, postgres_url: str, empty_database: str
) -> None:
    """Checkpoints at 3, 6 and 9 events, with a gap in the positions after the third event:
    --until-checkpoint 6 keeps the first six rows (up to position 11, not 6), lists the three
    after, drops tracked positions beyond the kept one, and the audit verifies; a size that
    was never signed is refused before the database is written."""
    settings = region_folder(tmp_path / "north", store=postgres_url, rounds=1)
    _skip_positions(postgres_url, 5)
    for round_ in (1, 2):
        add_events(settings, 3, f"dept{round_}")
        Auditor.from_settings(settings).checkpoint()
    _track(settings, "some-reader", 13)  # a reader of the ledger that had got past 11
    kek = read_kek_file(settings.data / "keys" / "kek")
    await take_backup(settings.data, postgres_url, "north", tmp_path / "b", KEY, kek=kek,
                      nats=None)

    with pytest.raises(BackupError, match="recorded sizes, last ten: 3, 6, 9"):
        await restore_backup(tmp_path / "b", KEY, tmp_path / "x", empty_database, kek=kek,
                             until_checkpoint=4)
    assert not (tmp_path / "x").exists()
    postgres_dump.ensure_empty(empty_database)  # untouched: the size is checked first

    done = await restore_backup(tmp_path / "b", KEY, tmp_path / "as-of-6", empty_database,
                                kek=kek, until_checkpoint=6)
    assert done.cut is not None
    assert (done.cut.kept_position, done.cut.dropped) == (11, 3)
    assert done.cut.topics == {"interop-hub:credential.issued": 3}
    assert len(done.cut.aggregates) == 3 and all(len(a) == 32 for a in done.cut.aggregates)
    assert done.audit is not None and done.audit.ok, done.audit.problems
    assert done.audit.events == 6 and done.audit.checkpoints == 2
    assert _rows(empty_database, "SELECT COUNT(*), MAX(notification_id) FROM ledger_events") \
        == [(6, 11)]
    assert _rows(empty_database, "SELECT application_name FROM ledger_tracking "
                                 "WHERE notification_id > 11") == []

    restored = HubSettings(data=tmp_path / "as-of-6", region="north", store=empty_database,
                           kek_file=settings.data / "keys" / "kek", log_format="json")
    add_events(restored, 2, "after")  # the region signs on over the cut ledger
    assert Auditor.from_settings(restored).checkpoint().size == 8
    auditor = Auditor.from_settings(restored)
    assert auditor.verify().ok
    proof = auditor.consistency(6, 8)
    assert verify_consistency(6, 8, proof.old.root_hash, proof.new.root_hash, proof.path)


@pytest.fixture
def key_database(postgres_url: str) -> Iterator[str]:
    """A database of its own for the region's subject keys (``HUB_KEY_STORE``)."""
    with fresh_database() as url:
        yield url


async def test_a_key_store_in_a_database_of_its_own_is_dumped_and_restored(
    tmp_path: Path, postgres_url: str, key_database: str, empty_database: str
) -> None:
    """HUB_KEY_STORE names another database than HUB_STORE: the backup dumps its hub_privacy
    schema too, and restore puts it into the empty database HUB_KEY_STORE names, where the
    same subject key and subject references come back under the KEK. A restore that names
    no key store, the event store's database, or a database holding tables is refused
    before anything is written."""
    settings = HubSettings(data=tmp_path / "north", region="north", store=postgres_url,
                           key_store=key_database, log_format="json")
    settings.data.mkdir()
    add_events(settings, 3, "dept")
    keyring = open_keyring(settings)
    try:
        kid, key = keyring.encryption_key("subject-1")
        ref = keyring.ref_for("NO12345678")
    finally:
        keyring.close()
    kek = read_kek_file(settings.data / "keys" / "kek")
    report = await take_backup(settings.data, postgres_url, "north", tmp_path / "b", KEY,
                               kek=kek, nats=None, key_store=key_database)
    assert [m.kind for m in report.manifest.members].count("pg-dump-keys") == 1

    with fresh_database() as other_keys:
        refusals = [
            (None, "set HUB_KEY_STORE to an empty database"),
            (empty_database, "the same database as HUB_STORE"),
            (postgres_url, "is not empty"),
        ]
        for named, said in refusals:
            with pytest.raises(RestoreTargetError, match=said):
                await restore_backup(tmp_path / "b", KEY, tmp_path / "x", empty_database,
                                     kek=kek, key_store=named)
            assert not (tmp_path / "x").exists()
            postgres_dump.ensure_empty(empty_database)

        done = await restore_backup(tmp_path / "b", KEY, tmp_path / "restored", empty_database,
                                    kek=kek, key_store=other_keys)
        assert done.audit is not None and done.audit.ok, done.audit.problems
        restored = HubSettings(data=tmp_path / "restored", region="north",
                               store=empty_database, key_store=other_keys,
                               kek_file=settings.data / "keys" / "kek", log_format="json")
        keyring = open_keyring(restored)
        try:
            assert keyring.decryption_key("subject-1", kid) == key
            assert keyring.ref_for("NO12345678") == ref
        finally:
            keyring.close()
        assert _rows(other_keys, "SELECT COUNT(*) FROM hub_privacy.subject_keys") == [(1,)]
        assert _rows(empty_database, "SELECT to_regclass('hub_privacy.subject_keys')") \
            == [(None,)]  # the keys are where HUB_KEY_STORE says, not beside the events


def test_the_cli_backs_up_and_restores_both_databases_until_a_checkpoint(
    tmp_path: Path, postgres_url: str, key_database: str, empty_database: str
) -> None:
    """Through ``interop-hub``: HUB_STORE and HUB_KEY_STORE name the databases on backup and
    on restore; ``--until-checkpoint 3`` lists the three events left out and verifies."""
    settings = HubSettings(data=tmp_path / "north", region="north", store=postgres_url,
                           key_store=key_database, log_format="json")
    settings.data.mkdir()
    claim_region(settings.data, "north")
    for round_ in range(2):
        add_events(settings, 3, f"dept{round_}")
        Auditor.from_settings(settings).checkpoint()
    key = backup_key(tmp_path)
    env = {"HUB_STORE": postgres_url, "HUB_KEY_STORE": key_database}
    done = _cli("backup", "--data", settings.data, "--to", tmp_path / "b", "--key-file", key,
                env=env)
    assert done.exit_code == 0, done.output
    assert "postgresql: 6 events" in done.output and "key store    its own database" \
        in done.output
    with fresh_database() as keys_restored:
        done = _cli("restore", "--from", tmp_path / "b", "--data", tmp_path / "as-of-3",
                    "--key-file", key, "--kek-file", settings.data / "keys" / "kek",
                    "--until-checkpoint", "3",
                    env={"HUB_STORE": empty_database, "HUB_KEY_STORE": keys_restored})
        assert done.exit_code == 0, done.output
        assert "left out     3 events" in done.output
        assert "3  interop-hub:credential.issued" in done.output
        assert "1 checkpoints over 3 events: verifies" in done.output


def _cli(*args: str | Path, env: dict[str, str]) -> Result:
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith("HUB_")}
    saved = structlog.get_config()  # the CLI configures structlog for the process
    try:
        return CliRunner().invoke(app, [str(a) for a in args], env={**clean, **env})
    finally:
        structlog.configure(**saved)


async def test_a_postgresql_ledger_shorter_than_its_checkpoint_is_not_backed_up(
    tmp_path: Path, postgres_url: str
) -> None:
    """The dump's own event count (taken in its snapshot) is checked against the latest
    signed checkpoint: a ledger that lost a row is refused, and no backup is left."""
    settings = region_folder(tmp_path / "north", store=postgres_url)
    _rows(postgres_url, "DELETE FROM ledger_events WHERE notification_id = "
                        "(SELECT MAX(notification_id) FROM ledger_events) RETURNING 1")
    kek = read_kek_file(settings.data / "keys" / "kek")
    with pytest.raises(BackupError, match="holds 5 events but the latest checkpoint covers 6"):
        await take_backup(settings.data, postgres_url, "north", tmp_path / "b", KEY, kek=kek,
                          nats=None)
    assert not (tmp_path / "b").exists()
