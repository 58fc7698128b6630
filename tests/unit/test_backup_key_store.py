"""Which key store a backup must dump beside the event store, which it copies with the folder
or the event store's dump, and which it refuses (the keys would be missing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.adapters.backup.errors import BackupError
from hub.service_layer.backup.key_store import same_database, separate_key_database

EVENTS = "postgresql://hub@127.0.0.1:5432/north"
KEYS = "postgresql://hub@127.0.0.1:5432/north_keys"


def test_one_database_is_told_by_host_port_and_name_only() -> None:
    assert same_database("postgresql://hub:secret@127.0.0.1/north?schema=s", EVENTS)
    assert not same_database(KEYS, EVENTS)
    assert not same_database("postgresql://hub@127.0.0.2:5432/north", EVENTS)
    assert not same_database("postgresql://hub@127.0.0.1:5433/north", EVENTS)


@pytest.mark.parametrize(("key_store", "store", "dumped"), [
    (None, None, None),  # DIR/keys/subject-keys.sqlite3: copied with the folder
    (None, EVENTS, None),  # hub_privacy in the event store's dump
    (EVENTS + "?schema=other", EVENTS, None),  # the same database, named again
    (KEYS, EVENTS, KEYS),  # a database of its own: dumped too
    (KEYS, None, KEYS),  # beside a SQLite event store: dumped too
])
def test_a_key_store_apart_from_what_is_copied_anyway_is_dumped(
    tmp_path: Path, key_store: str | None, store: str | None, dumped: str | None
) -> None:
    assert separate_key_database(key_store, store, tmp_path) == dumped


def test_a_sqlite_key_store_inside_the_folder_is_copied_with_it(tmp_path: Path) -> None:
    inside = f"sqlite:///{tmp_path / 'keys' / 'other.sqlite3'}"
    assert separate_key_database(inside, None, tmp_path) is None


@pytest.mark.parametrize(("key_store", "store", "setting"), [
    ("sqlite:///{outside}/keys.sqlite3", None, "HUB_KEY_STORE"),
    (None, "sqlite:///{outside}/ledger.sqlite3", "HUB_STORE (the keys beside it)"),
])
def test_a_sqlite_key_store_outside_the_folder_is_refused_naming_the_setting(
    tmp_path: Path, key_store: str | None, store: str | None, setting: str
) -> None:
    outside = tmp_path / "elsewhere"
    data = tmp_path / "data"
    with pytest.raises(BackupError) as refused:
        separate_key_database(key_store and key_store.format(outside=outside),
                              store and store.format(outside=outside), data)
    assert refused.value.message.startswith(setting)
    assert "outside the data folder" in refused.value.message
