"""HUB_STORE_LOCK_TIMEOUT_S reaches the SQLite ledger's connections (and only SQLite's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.adapters.store.selection import store_environment
from hub.bootstrap.privacy import build_ledger
from hub.settings import HubSettings


def test_the_lock_timeout_is_the_sqlite_stores_busy_timeout(tmp_path: Path) -> None:
    assert store_environment(None, tmp_path)["SQLITE_LOCK_TIMEOUT"] == "10"
    assert store_environment(None, tmp_path, lock_timeout_s=3)["SQLITE_LOCK_TIMEOUT"] == "3"
    postgres = store_environment("postgresql://postgres@127.0.0.1:5432/x", tmp_path,
                                 lock_timeout_s=3)
    assert "SQLITE_LOCK_TIMEOUT" not in postgres


def test_the_setting_is_read_from_the_environment_and_bounded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_STORE_LOCK_TIMEOUT_S", "4")
    settings = HubSettings(data=tmp_path / "hub")
    assert settings.store_lock_timeout_s == 4
    ledger = build_ledger(settings)
    try:
        assert ledger.factory.datastore.pool.lock_timeout == 4  # type: ignore[attr-defined]
    finally:
        ledger.close()
    monkeypatch.setenv("HUB_STORE_LOCK_TIMEOUT_S", "0")
    with pytest.raises(ValueError, match="store_lock_timeout_s"):
        HubSettings(data=tmp_path / "hub")
