"""The cases routes of a running hub (``HUB_CASES``): a portal files a case, a department
sends its decision on its own step, and refusals are problem details naming the field."""

from __future__ import annotations

from pathlib import Path

import httpx

from hub.settings import HubSettings
from tests.integration.hub_fixtures import auth_headers, grant, running_region
from tests.integration.test_case_engine import RELOCATION
from tests.integration.test_case_exchanges import CASE_TYPE


async def test_a_portal_files_and_a_department_decides(hub_settings: HubSettings,
                                                       tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "benefit-check.toml").write_text(CASE_TYPE)
    settings = hub_settings.model_copy(update={"cases": folder})
    async with running_region(settings) as region:
        hub = region.hub
        # The desk may query the tax clearance, not the contribution history: that step's
        # exchange is refused, and social security decides it by hand.
        await grant(hub, "north/one-stop", "north/tax/tax-clearance", "benefit-eligibility")
        async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
            filed = await client.post("/cases", headers=auth_headers(hub, "north/portal"), json={
                "case_type": "benefit-check@1.0", "application": RELOCATION})
            assert filed.status_code == 201, filed.text
            case = filed.json()
            # The refused exchange is recorded on the step: failed, with the code.
            assert case["steps"]["contributions"]["state"] == "failed"
            assert case["steps"]["contributions"]["reason"].startswith("access-denied: ")
            step = f"{case['case_id']}.contributions"

            foreign = await client.post(f"/cases/steps/{step}/decision",
                                        headers=auth_headers(hub, "north/tax"),
                                        json={"outcome": "approved"})
            assert foreign.status_code == 403 and foreign.json()["code"] == "step-not-yours"
            assert foreign.json()["exchange_id"]  # recorded as a rejected exchange

            ss = auth_headers(hub, "north/social-security")
            bad = await client.post(f"/cases/steps/{step}/decision", headers=ss,
                                    json={"national_id": "19800101-1234", "outcome": "maybe",
                                          "reference": "SS-1"})
            assert bad.status_code == 422
            assert [i["path"] for i in bad.json()["issues"]] == ["/outcome"]

            decided = await client.post(f"/cases/steps/{step}/decision", headers=ss, json={
                "national_id": "19800101-1234", "outcome": "approved", "reference": "SS-1"})
            assert decided.status_code == 200, decided.text
            # Approved by hand, the contributions step lets the tax step run: it has no
            # answer document to fill national_id from, so the tax query is refused as
            # invalid and the step records that failure; what matters is that it was sent.
            steps = decided.json()["steps"]
            assert steps["contributions"] == {"state": "approved", "reference": "SS-1",
                                              "reason": ""}
            assert steps["tax"]["state"] == "failed"

            missing = await client.post("/cases", headers=auth_headers(hub, "north/portal"),
                                        json={"case_type": "benefit-check@1.0"})
            assert missing.status_code == 400
            assert missing.json()["issues"][0]["path"] == "/application"
