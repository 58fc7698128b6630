"""The audit commands read the region from the data folder, and name an inserted row.

A folder run by the south hub, audited without ``HUB_REGION``, verifies clean under
south's key; with ``HUB_REGION=north`` every command refuses (exit 2) instead of
reporting tampering.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import structlog
from typer.testing import CliRunner

from hub.bootstrap.privacy import build_ledger
from hub.entrypoints.cli.main import app
from hub.entrypoints.serve import run_hub
from hub.settings import HubSettings
from tests.integration.audit_tampering import record

COMMANDS = (("key",), ("verify",), ("prove", "1"), ("checkpoint",))


def audit(data: Path, *args: str, region: str | None = None) -> Any:
    """``interop-hub audit ARGS --data DATA`` with HUB_REGION set to ``region`` (or unset)."""
    saved = structlog.get_config()
    try:
        return CliRunner().invoke(app, ["audit", *args, "--data", str(data)],
                                  env={"HUB_REGION": region}, catch_exceptions=False)
    finally:
        structlog.configure(**saved)


@pytest.fixture(scope="module")
def south_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder the south hub ran on, with events (it signs a checkpoint as it stops)."""
    data = tmp_path_factory.mktemp("regions") / "south"

    async def run() -> None:
        settings = HubSettings(data=data, region="south", log_format="json")
        async with run_hub(settings, []) as hub:
            await asyncio.to_thread(record, hub.ledger, 2)

    asyncio.run(run())
    return data


def test_without_hub_region_the_folder_names_its_region(south_folder: Path) -> None:
    """key, verify, prove and checkpoint on south's folder use south's key: no false alarm."""
    key = audit(south_folder, "key")
    assert key.exit_code == 0, key.output
    assert key.output.startswith("interop-hub/south/ledger+")
    verified = audit(south_folder, "verify")
    assert verified.exit_code == 0, verified.output
    assert "TAMPERED" not in verified.output
    proved = audit(south_folder, "prove", "1")
    assert proved.exit_code == 0, proved.output
    signed = audit(south_folder, "checkpoint")
    assert signed.exit_code == 0, signed.output
    assert "interop-hub/south/ledger\n" in signed.output


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_another_hub_region_is_a_clear_error_not_tampering(
    south_folder: Path, command: tuple[str, ...],
) -> None:
    """HUB_REGION=north on south's folder: exit 2 naming both regions, never TAMPERED."""
    result = audit(south_folder, *command, region="north")
    assert result.exit_code == 2, result.output
    assert "belongs to region 'south', not 'north'" in result.output
    assert "TAMPERED" not in result.output
    assert audit(south_folder, *command, region="south").exit_code == 0


def test_an_inserted_row_is_named_inserted(tmp_path: Path) -> None:
    """A row slipped in at a signed position (the rows after it renumbered): (inserted)."""
    data = tmp_path / "hub"
    ledger = build_ledger(HubSettings(data=data))
    record(ledger, 4)
    ledger.close()
    assert audit(data, "checkpoint").exit_code == 0
    with sqlite3.connect(data / "ledger.sqlite3") as conn:
        conn.execute("UPDATE stored_events SET rowid = rowid + 1000 WHERE rowid >= 5")
        conn.execute("UPDATE stored_events SET rowid = rowid - 999 WHERE rowid >= 1005")
        conn.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state)"
            " SELECT 5, 'ffffffffffffffffffffffffffffffff', 1, topic, state"
            " FROM stored_events WHERE rowid = 4")
    conn.close()
    result = audit(data, "verify")
    assert result.exit_code == 1, result.output
    assert ("first bad event: position 5, aggregate ffffffff-ffff-ffff-ffff-ffffffffffff, "
            "version 1 (leaf 4): stored but never signed (inserted)") in result.output
    assert "(modified)" not in result.output
