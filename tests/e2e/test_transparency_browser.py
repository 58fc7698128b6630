"""/transparency in a real browser (Debian's Chromium driven by Playwright, axe-core as
in test_citizen_pages_browser): accessible, readable on a 390 px wide phone without
scrolling sideways, and naming nobody — no national id, no subject reference, no case id
in the page or the open data. Screenshots go to ``test-output/transparency/``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from hub.settings import HubSettings
from tests.e2e.test_citizen_pages_browser import (  # noqa: F401 - fixtures
    _axe,
    _no_sideways_scroll,
    axe_source,
    browser,
)
from tests.e2e.test_console_browser import _log_in
from tests.integration.console_fixtures import enrol
from tests.integration.hub_fixtures import auth_headers, running_region
from tests.integration.test_case_engine import RELOCATION
from tests.integration.test_case_exchanges import CASE_TYPE

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "transparency"
PEOPLE = tuple(f"19800101-12{n:02d}" for n in range(7))


async def test_the_transparency_page_is_accessible_on_a_phone_and_names_nobody(
    hub_settings: HubSettings, tmp_path: Path, browser: Any, axe_source: str  # noqa: F811
) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "benefit-check.toml").write_text(CASE_TYPE)
    async with running_region(hub_settings.model_copy(update={"cases": folder})) as region:
        hub = region.hub
        ids = []
        async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
            for person in PEOPLE:  # 7 cases: their volume is published, the rest suppressed
                filed = await client.post("/cases", headers=auth_headers(hub, "north/portal"),
                                          json={"case_type": "benefit-check@1.0",
                                                "application": {**RELOCATION,
                                                                "national_id": person}})
                assert filed.status_code == 201, filed.text
                ids.append(filed.json()["case_id"])
            data = (await client.get("/transparency/data.json")).text
            table = (await client.get("/transparency/data.csv")).text
        # bypass_csp: the page allows no script, axe-core is injected as one
        context = await browser.new_context(bypass_csp=True,
                                            viewport={"width": 390, "height": 844})
        page = await context.new_page()
        answer = await page.goto(f"{hub.http_url}/transparency")
        assert answer is not None and answer.status == 200
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "phone.png"), full_page=True)
        assert await page.locator("h1").inner_text() == "How we keep our time limits"
        case_type = page.locator("section.figure", has_text="benefit-check@1.0")
        assert "7" in await case_type.locator("dd").nth(1).inner_text()  # volume
        assert "< 5" in await case_type.locator("dd").nth(6).inner_text()  # open past limit
        assert await page.locator("svg.chart").count() == 1
        await _no_sideways_scroll(page, "/transparency at 390 px")
        await _axe(page, axe_source, "/transparency at 390 px")
        text = await page.content()
        for published in (text, data, table):
            for person in PEOPLE:
                assert person not in published
                assert hub.ledger.keyring.ref_for(person) not in published
            for case_id in ids:
                assert case_id not in published
            assert "north/portal" not in published

        # The console's cases list and one case's step timeline pass axe too.
        await _log_in(page, hub.http_url, await asyncio.to_thread(enrol, hub, "ada", "operator"))
        await page.set_viewport_size({"width": 1280, "height": 900})
        await page.goto(f"{hub.http_url}/console/cases")
        await _axe(page, axe_source, "/console/cases")
        await page.get_by_role("link", name=ids[0][:8]).click()
        await page.wait_for_url(f"{hub.http_url}/console/cases/{ids[0]}")
        assert await page.locator(".timeline .event").count() == 3  # submitted, requested, failed
        await page.screenshot(path=str(SCREENSHOTS / "console-case.png"), full_page=True)
        await _axe(page, axe_source, "/console/cases/{id}")
        await context.close()
