"""Overdue case steps in /metrics and in the console's cases pages (a step timeline), on a
running region whose case clock is moved past the step's time limit."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import httpx

from hub.settings import HubSettings
from tests.integration.console_fixtures import enrol, log_in
from tests.integration.hub_fixtures import auth_headers, running_region
from tests.integration.test_case_engine import RELOCATION
from tests.integration.test_case_exchanges import CASE_TYPE

SS = "north/social-security/contribution-history"


async def test_an_overdue_step_shows_in_metrics_and_on_the_console(
        hub_settings: HubSettings, tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "benefit-check.toml").write_text(CASE_TYPE)
    async with running_region(hub_settings.model_copy(update={"cases": folder})) as region:
        hub = region.hub
        assert hub.cases is not None
        async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
            filed = await client.post("/cases", headers=auth_headers(hub, "north/portal"),
                                      json={"case_type": "benefit-check@1.0",
                                            "application": RELOCATION})
            assert filed.status_code == 201, filed.text
            case_id = filed.json()["case_id"]
            before = (await client.get("/metrics")).text
            assert 'interop_hub_cases_open{case_type="benefit-check@1.0"} 1' in before
            assert f'interop_hub_case_steps_overdue{{service="{SS}"}} 0' in before

            # Ten days on, the step (1 working day) is overdue: the duty marks it once.
            later = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)
            hub.cases.clock = lambda: later
            assert [str(c) for c, _ in await hub.cases.mark_overdue()] == [case_id]
            after = (await client.get("/metrics")).text
            assert f'interop_hub_case_steps_overdue{{service="{SS}"}} 1' in after
            assert 'interop_hub_cases_overdue{case_type="benefit-check@1.0"} 1' in after
            assert 'interop_hub_case_steps_overdue{service="north/tax/tax-clearance"} 0' in after

            assert (await client.get("/console/cases")).status_code in (303, 307)  # no session
            await log_in(client, hub.http_url,
                         await asyncio.to_thread(enrol, hub, "ada", "operator"))
            listing = await client.get("/console/cases")
            assert listing.status_code == 200
            assert 'href="/console/cases"' in listing.text  # in the console's navigation
            assert f'href="/console/cases/{case_id}"' in listing.text
            assert "1 overdue" in listing.text and "past due" in listing.text
            page = await client.get(f"/console/cases/{case_id}")
            assert page.status_code == 200
            events = [e.split("<")[0].strip() for e in page.text.split('class="event">')[1:]]
            assert events == ["Submitted", "StepRequested", "StepFailed", "StepOverdue"]
            assert "north/social-security" in page.text  # who holds the step
            assert RELOCATION["national_id"] not in page.text
            assert RELOCATION["family_name"] not in page.text
            missing = await client.get("/console/cases/not-a-case")
            assert missing.status_code == 404
