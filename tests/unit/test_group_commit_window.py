"""HUB_GROUP_COMMIT_WINDOW_MS reaches the ledger's group-commit writer, and a longer window
gathers writes that arrive apart into one transaction."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hub.adapters.store.group_commit import WINDOW_S
from hub.bootstrap.privacy import build_ledger
from hub.domain.exchange import Exchange
from hub.settings import HubSettings


def _received() -> list[Exchange.Event]:
    exchange = Exchange(client="north/tax", service="north/social-security/history",
                        correlation_id="c-1", ingress="json", payload_digest="a" * 64,
                        payload_size=10, reply_to="", credential="")
    return list(exchange.collect_events())


def test_the_default_is_half_a_millisecond(tmp_path: Path) -> None:
    ledger = build_ledger(HubSettings(data=tmp_path / "hub"))
    try:
        assert ledger.writer._window_s == WINDOW_S == 0.0005
    finally:
        ledger.close()


def test_the_setting_is_read_from_the_environment_and_bounded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_GROUP_COMMIT_WINDOW_MS", "2")
    ledger = build_ledger(HubSettings(data=tmp_path / "hub"))
    try:
        assert ledger.writer._window_s == pytest.approx(0.002)
    finally:
        ledger.close()
    for wrong in ("-1", "51"):
        monkeypatch.setenv("HUB_GROUP_COMMIT_WINDOW_MS", wrong)
        with pytest.raises(ValueError, match="group_commit_window_ms"):
            HubSettings(data=tmp_path / "hub")


def test_writes_inside_the_window_share_one_commit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three exchanges' writes a millisecond apart, with the longest window (50 ms): one
    transaction."""
    monkeypatch.setenv("HUB_GROUP_COMMIT_WINDOW_MS", "50")
    ledger = build_ledger(HubSettings(data=tmp_path / "hub"))
    try:
        futures = []
        for _ in range(3):
            futures.append(ledger.writer.submit(_received()))
            time.sleep(0.001)
        ids = [f.result(timeout=10) for f in futures]
        assert ledger.writer.batches == 1
        assert sorted(i for batch in ids for i in batch) == [1, 2, 3]
    finally:
        ledger.close()
