"""``interop-hub documents list|show|get`` over a region whose hub took a document, then
stopped: the real command line, its embedded nats-server on the same data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from hub.settings import HubSettings
from tests.integration.console_fixtures import PASSWORD, ConsoleOperator, enrol
from tests.integration.documents_fixtures import ANDERSSON, BRANDT, pdf
from tests.integration.hub_fixtures import PURPOSE, department_token, running_region

# The command line of this checkout (the installed script may point at another one).
CLI = [sys.executable, "-c", "from hub.entrypoints.cli.main import main; main()"]
ROOT = Path(__file__).resolve().parents[2]
SERVICE = "north/social-security/contribution-history"


def _cli(settings: HubSettings, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_LOG_FORMAT": "json"}
    env.pop("HUB_STORE", None)
    env.pop("HUB_NATS_URL", None)
    return subprocess.run([*CLI, "documents", *args, "--data", str(settings.data)],
                          capture_output=True, text=True, timeout=120, env=env, input=stdin,
                          check=False, cwd=ROOT)


async def _supplied(settings: HubSettings, data: bytes) -> tuple[str, ConsoleOperator,
                                                                 ConsoleOperator]:
    async with running_region(settings) as region:
        hub = region.hub
        async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
            reply = await client.post(
                "/documents",
                headers={"Authorization": f"Bearer {department_token(hub, 'north/tax')}"},
                data={"service": SERVICE, "purpose": PURPOSE, "subject": ANDERSSON},
                files={"file": ("c.pdf", data, "application/pdf")})
        assert reply.status_code == 201, reply.text
        return (reply.json()["document_id"], enrol(hub, "audra", "auditor"),
                enrol(hub, "victor", "viewer"))


async def test_list_show_and_get_for_auditors_only(hub_settings: HubSettings,
                                                   tmp_path: Path) -> None:
    """Listing and history need no role; the bytes need the auditor role, and reading them
    is recorded as a disclosure to the operator."""
    data = pdf(pad=300_000)
    document_id, auditor, viewer = await _supplied(hub_settings, data)

    listed = _cli(hub_settings, "list", "--json", "--subject", ANDERSSON)
    assert listed.returncode == 0, listed.stderr
    assert [d["document_id"] for d in json.loads(listed.stdout)] == [document_id]
    nobody = _cli(hub_settings, "list", "--json", "--subject", BRANDT)
    assert json.loads(nobody.stdout) == []

    out = tmp_path / "copy.pdf"
    refused = _cli(hub_settings, "get", document_id, "--operator", viewer.name, "--code",
                   viewer.code(), "--password-stdin", "--out", str(out), stdin=PASSWORD + "\n")
    assert refused.returncode == 1 and "not-permitted" in refused.stdout, refused.stdout
    assert not out.exists()
    got = _cli(hub_settings, "get", document_id, "--operator", auditor.name, "--code",
               auditor.code(), "--password-stdin", "--out", str(out), stdin=PASSWORD + "\n")
    assert got.returncode == 0, got.stdout + got.stderr
    assert out.read_bytes() == data

    shown = _cli(hub_settings, "show", document_id, "--json")
    history = json.loads(shown.stdout)
    assert [e["event"] for e in history] == ["Supplied", "Disclosed"]
    assert (history[1]["recipient"], history[1]["purpose"]) == ("operator:audra", "audit")
    missing = _cli(hub_settings, "show", "00000000-0000-0000-0000-000000000000")
    assert missing.returncode == 1 and "document-not-found" in missing.stdout
