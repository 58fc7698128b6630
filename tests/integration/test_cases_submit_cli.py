"""``interop-hub cases submit`` files a case with a running hub (``HUB_CASES``) from a JSON
file, as the portal department; a bad application is refused naming each field."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from uuid import UUID

from hub.settings import HubSettings
from tests.integration.hub_fixtures import department_token, grant, running_region
from tests.integration.test_case_engine import RELOCATION
from tests.integration.test_case_exchanges import CASE_TYPE

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from hub.entrypoints.cli.main import main; main()"]


async def _submit(*args: str, token: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HUB_TOKEN": token}
    return await asyncio.to_thread(
        subprocess.run, [*CLI, "cases", "submit", *args], capture_output=True, text=True,
        timeout=60, env=env, check=False, cwd=ROOT)


async def test_submit_files_a_case_and_names_a_bad_field(hub_settings: HubSettings,
                                                         tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "benefit-check.toml").write_text(CASE_TYPE)
    good = tmp_path / "application.json"
    good.write_text(json.dumps(RELOCATION))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**RELOCATION, "move_date": "next spring"}))
    settings = hub_settings.model_copy(update={"cases": folder})
    async with running_region(settings) as region:
        hub = region.hub
        for service in ("north/social-security/contribution-history", "north/tax/tax-clearance"):
            await grant(hub, "north/one-stop", service, "benefit-eligibility")
        token = department_token(hub, "north/portal")
        common = ["--case-type", "benefit-check@1.0", "--hub", hub.http_url,
                  "--department", "north/portal"]

        filed = await _submit(str(good), *common, token=token)
        assert filed.returncode == 0, filed.stderr
        first = filed.stdout.splitlines()[0]
        assert first.startswith("case ") and first.endswith("(benefit-check@1.0): completed")
        assert "  contributions: approved" in filed.stdout
        assert "  tax: approved" in filed.stdout
        case_id = first.split()[1]
        assert hub.ledger.repository.get(UUID(case_id)).status == "completed"

        refused = await _submit(str(bad), *common, token=token)
        assert refused.returncode == 1
        assert "contract-violation" in refused.stderr
        assert "/move_date" in refused.stderr, refused.stderr

        unknown = await _submit(str(good), *common, "--document", "nameless", token=token)
        assert unknown.returncode == 2 and "NAME=DOCUMENT_ID" in unknown.stderr
