"""A supplied document survives backup and restore: bytes, record and the key that seals it.

The document is supplied through the running hub's documents API (sealed under its
purpose's retention scope key), the region is backed up with the CLI, its data folder
destroyed, restored with the CLI, and once the restored hub runs, ``restore --objects-only``
puts the bucket back into its embedded nats-server. The document then downloads
byte-identical through the restored region's documents API.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
from pathlib import Path

import httpx
from typer.testing import CliRunner

from hub.entrypoints.cli.main import app
from hub.entrypoints.serve import Hub
from hub.settings import HubSettings
from tests.integration.documents_fixtures import ANDERSSON, pdf
from tests.integration.hub_fixtures import PURPOSE, department_token, running_region

SERVICE = "north/social-security/contribution-history"
TAX, OWNER = "north/tax", "north/social-security"


def _cli(*args: str | Path) -> str:
    env = {k: None for k in os.environ if k.startswith("HUB_")}
    done = CliRunner().invoke(app, [str(a) for a in args], env=env)
    assert done.exit_code == 0, done.output
    return done.output


def _bearer(hub: Hub, department: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {department_token(hub, department)}"}


async def test_a_supplied_document_downloads_byte_identical_after_backup_and_restore(
    hub_settings: HubSettings, tmp_path: Path
) -> None:
    key = tmp_path / "backup.key"
    key.write_text(base64.b64encode(os.urandom(32)).decode())
    data = pdf(b"% certificate\n", pad=600_000)  # several sealed chunks

    async with running_region(hub_settings) as region:
        hub = region.hub
        async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
            supplied = await client.post(
                "/documents", headers=_bearer(hub, TAX),
                data={"service": SERVICE, "purpose": PURPOSE, "subject": ANDERSSON},
                files={"file": ("certificate.pdf", data, "application/pdf")})
        assert supplied.status_code == 201, supplied.text
        document_id = supplied.json()["document_id"]
        said = await asyncio.to_thread(_cli, "backup", "--data", hub_settings.data, "--to",
                                       tmp_path / "b", "--key-file", key)
        assert "1 objects of 1 buckets named hub-north-*" in said, said
    kek = tmp_path / "kek"  # the operator keeps the key-encryption key apart from the data
    shutil.copy(hub_settings.data / "keys" / "kek", kek)
    shutil.rmtree(hub_settings.data)

    restored = HubSettings(data=tmp_path / "r", log_format="json", reply_timeout_s=20)
    await asyncio.to_thread(_cli, "restore", "--from", tmp_path / "b", "--data", restored.data,
                            "--key-file", key, "--kek-file", kek)
    async with running_region(restored) as again:
        hub = again.hub
        said = await asyncio.to_thread(_cli, "restore", "--from", tmp_path / "b", "--data",
                                       restored.data, "--key-file", key, "--objects-only")
        assert "restored 1 objects" in said, said
        recorded = await asyncio.to_thread(hub.documents.documents.get, document_id)
        assert recorded.expiry_bucket, "sealed under its purpose's retention scope key"
        async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
            linked = await client.post(f"/documents/{document_id}/links",
                                       headers=_bearer(hub, TAX),
                                       json={"recipient": OWNER, "purpose": PURPOSE})
            assert linked.status_code == 201, linked.text
            fetched = await client.get(linked.json()["url"], headers=_bearer(hub, OWNER))
    assert fetched.status_code == 200, fetched.text
    assert fetched.content == data
