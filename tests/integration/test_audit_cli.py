"""The audit commands on a SQLite data folder, and the standalone proof verifier."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import structlog
from typer.testing import CliRunner

from hub.bootstrap.privacy import build_ledger
from hub.entrypoints.cli.main import app
from hub.settings import HubSettings
from tests.integration.audit_tampering import record, set_state, state_at

ROOT = Path(__file__).resolve().parents[2]
STANDALONE = ROOT / "simulations" / "audit_verify_standalone.py"


@pytest.fixture
def sqlite_folder(tmp_path: Path) -> tuple[Path, list[UUID]]:
    data = tmp_path / "hub"
    app_ = build_ledger(HubSettings(data=data))
    ids = record(app_, 4)
    app_.close()
    return data, ids


def cli(*args: str) -> Any:
    # The command configures structlog to print to its stderr, which CliRunner closes
    # afterwards: put the configuration back so later tests do not log into a closed file.
    saved = structlog.get_config()
    try:
        return CliRunner().invoke(app, ["audit", *args], catch_exceptions=False)
    finally:
        structlog.configure(**saved)


def standalone(proof: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(STANDALONE), "-", *args],
        input=proof,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_cli_checkpoint_then_verify_passes(sqlite_folder: tuple[Path, list[UUID]]) -> None:
    """`audit checkpoint` signs and `audit verify` exits 0 on an untouched store."""
    data, _ = sqlite_folder
    signed = cli("checkpoint", "--data", str(data))
    assert signed.exit_code == 0
    assert "interop-hub/north/ledger\n12\n" in signed.output
    verified = cli("verify", "--data", str(data))
    assert verified.exit_code == 0, verified.output
    assert "ok: the stored events match every signed checkpoint" in verified.output


def test_cli_verify_before_any_checkpoint_says_so(sqlite_folder: tuple[Path, list[UUID]]) -> None:
    """A folder that never signed passes verify but says nothing was held against it."""
    data, _ = sqlite_folder
    result = cli("verify", "--data", str(data))
    assert result.exit_code == 0, result.output
    assert "events       12" in result.output
    assert "no checkpoint recorded yet" in result.output


def test_cli_verify_names_the_tampered_event(sqlite_folder: tuple[Path, list[UUID]]) -> None:
    """On a flipped byte `audit verify` exits 1 naming position, aggregate and version."""
    data, ids = sqlite_folder
    cli("checkpoint", "--data", str(data))
    set_state(None, data, 9, state_at(None, data, 9).replace(b"{", b"[", 1))
    result = cli("verify", "--data", str(data))
    assert result.exit_code == 1
    assert f"first bad event: position 9, aggregate {ids[2]}, version 3" in result.output


def test_cli_verify_with_a_pinned_key_of_another_region_fails(
    sqlite_folder: tuple[Path, list[UUID]], tmp_path: Path
) -> None:
    """Verifying with a key that did not sign the checkpoints is refused, not passed."""
    data, _ = sqlite_folder
    cli("checkpoint", "--data", str(data))
    other = cli("key", "--data", str(tmp_path / "other")).output.strip()
    result = cli("verify", "--data", str(data), "--key", other)
    assert result.exit_code == 1
    assert "not signed by key" in result.output


def test_cli_proofs_pass_the_standalone_verifier(sqlite_folder: tuple[Path, list[UUID]]) -> None:
    """`prove --json` and `consistency --json` output checks out with the standalone script."""
    data, ids = sqlite_folder
    cli("checkpoint", "--data", str(data))
    key = cli("key", "--data", str(data)).output.strip()
    app_ = build_ledger(HubSettings(data=data))
    record(app_, 2)
    app_.close()
    cli("checkpoint", "--data", str(data))
    text = cli("prove", "5", "--data", str(data))
    assert "leaf index   4" in text.output and "tree size    18" in text.output
    inclusion = cli("prove", f"{ids[3]}:1", "--data", str(data), "--json").output
    checked = standalone(inclusion, "--key", key)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"aggregate {ids[3]}, version 1 is leaf 9" in checked.stdout
    consistency = cli("consistency", "12", "18", "--data", str(data), "--json").output
    assert standalone(consistency, "--key", key).returncode == 0
    forged = json.loads(inclusion)
    forged["event"]["version"] = 2
    refused = standalone(json.dumps(forged), "--key", key)
    assert refused.returncode == 1 and "does not hash to leaf_hash" in refused.stdout


def test_cli_prove_refuses_an_unknown_event(sqlite_folder: tuple[Path, list[UUID]]) -> None:
    """Proving an event that is not stored exits 2 with the reason."""
    data, _ = sqlite_folder
    cli("checkpoint", "--data", str(data))
    result = cli("prove", f"{UUID(int=1)}:1", "--data", str(data))
    assert result.exit_code == 2
    assert "no stored event is version 1" in result.output
