"""The citizen pages in a real browser: Debian's Chromium driven by Playwright, with axe-core.

A person signs in with an ID token, reads who used their data and withdraws a consent
using the keyboard alone; every page is checked by axe-core (from the npm registry,
pinned in tests/e2e/axe/package-lock.json and installed by ``npm ci`` on first use,
then injected into the page) for WCAG 2.2 A/AA and best practices, in the light and the
dark theme, and must reflow without loss at 200 % zoom and at 200 % text size. No
serious or critical violation may remain. Screenshots go to ``test-output/citizen/``.

Without Chromium or npm the tests skip, naming what is missing — except under CI=true,
where that is a failure (``.ci/run`` installs both).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.domain.consent import Consent
from hub.settings import HubSettings
from simulations.identity_provider import IdentityProvider
from tests.conftest import running_under_ci
from tests.e2e.test_console_browser import ARGS, _chromium
from tests.integration.citizen_fixtures import query_history, record_consent, trusting
from tests.integration.hub_fixtures import running_region

AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "citizen"
PERSON = "19800101-1234"
PAGES = ("/citizen/report", "/citizen/consents", "/citizen/cases", "/citizen/kept")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _missing(reason: str) -> None:
    if running_under_ci():
        pytest.fail(reason + " — required under CI=true")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script, installed from the lock file with ``npm ci`` when not there yet."""
    if not AXE.is_file():
        npm = shutil.which("npm")
        if npm is None:
            _missing("npm not found (install Debian's npm package) to fetch axe-core")
        done = subprocess.run(
            [str(npm), "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=AXE_DIR, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0 or not AXE.is_file():
            _missing(f"npm ci in {AXE_DIR} failed: {done.stderr[-2000:]}")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    executable = _chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()



async def _seed(region: Any) -> Consent:
    """One disclosure of PERSON to north/tax and one active consent of theirs."""
    async with httpx.AsyncClient(timeout=30) as http:
        await query_history(http, region.hub, PERSON)
    return await asyncio.to_thread(record_consent, region.hub.ledger, PERSON,
                                   "income-verification", "north/tax")


async def _focused(page: Any) -> str:
    """The focused element's accessible text (button/link text or label)."""
    return str(await page.evaluate("""() => {
        const el = document.activeElement;
        if (!el) return "";
        if (el.labels && el.labels.length) return el.labels[0].innerText.trim();
        return (el.innerText || el.value || "").trim();
    }"""))


async def _tab_to(page: Any, text: str, limit: int = 30) -> None:
    """Press Tab until the element named ``text`` has focus (bounded); its focus is visible."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await _focused(page) == text:
            outline = await page.evaluate(
                "() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline not in ("", "none"), f"focus on {text!r} is not visible"
            return
    raise AssertionError(f"{text!r} not reached with {limit} presses of Tab")


async def _axe(page: Any, source: str, name: str) -> None:
    """Inject axe-core and run it; no serious or critical violation may remain."""
    await page.add_script_tag(content=source)
    result = await page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], f"{name}: {bad}"
    assert len(result["passes"]) > 10, f"{name}: axe checked almost nothing"


async def test_a_person_signs_in_reads_and_withdraws_a_consent_by_keyboard_alone(
    hub_settings: HubSettings, tmp_path: Path, browser: Any
) -> None:
    """Skip link, sign-in, navigation and the withdraw button, with Tab and Enter only."""
    idp = IdentityProvider.generate()
    async with running_region(trusting(hub_settings, idp, tmp_path / "idp")) as region:
        consent = await _seed(region)
        url = region.hub.http_url
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.goto(f"{url}/citizen/")
        await _tab_to(page, "Skip to content")
        await page.keyboard.press("Enter")
        await _tab_to(page, "ID token")
        await page.keyboard.insert_text(idp.token(PERSON))
        await _tab_to(page, "Sign in")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/citizen/report")
        row = page.get_by_role("table").locator("tbody tr")
        assert await row.count() == 1
        assert "north/tax" in await row.first.inner_text()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "report.png"), full_page=True)

        await _tab_to(page, "My consents")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/citizen/consents")
        await _tab_to(page, "Withdraw this consent")
        await page.keyboard.press("Enter")
        await page.get_by_role("status").wait_for()
        assert "consent is withdrawn" in await page.get_by_role("status").inner_text()
        await page.screenshot(path=str(SCREENSHOTS / "consents.png"), full_page=True)
        revoked = list(region.hub.ledger.events.get(consent.id))[-1]
        assert isinstance(revoked, Consent.Revoked)
        assert revoked.by.startswith("citizen ds-")

        await _tab_to(page, "Sign out")
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/citizen/?message=*")
        await page.goto(f"{url}/citizen/report")
        assert await page.get_by_role("heading", level=1).inner_text() == "Sign in"


async def test_every_page_passes_axe_in_both_themes_and_reflows_at_200_percent(
    hub_settings: HubSettings, tmp_path: Path, browser: Any, axe_source: str
) -> None:
    """Sign-in and the four pages: axe in light and dark (system preference and the toggle),
    then 200 % zoom (a 640 px wide viewport) and 200 % text: nothing scrolls sideways."""
    idp = IdentityProvider.generate()
    async with running_region(trusting(hub_settings, idp, tmp_path / "idp")) as region:
        await _seed(region)
        url = region.hub.http_url
        for scheme in ("light", "dark"):
            context = await browser.new_context(bypass_csp=True, color_scheme=scheme,
                                                viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            await page.goto(f"{url}/citizen/")
            await _axe(page, axe_source, f"sign-in ({scheme})")
            await page.get_by_label("ID token").fill(idp.token(PERSON))
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_url(f"{url}/citizen/report")
            for path in PAGES:
                await page.goto(f"{url}{path}")
                await _axe(page, axe_source, f"{path} ({scheme})")
                await _reflows(page, path)
            await page.screenshot(path=str(SCREENSHOTS / f"kept-{scheme}.png"), full_page=True)
            toggle = page.get_by_role("button", name="Dark mode")
            before = await page.evaluate("() => getComputedStyle(document.body).backgroundColor")
            await toggle.click()
            pressed = await toggle.get_attribute("aria-pressed")
            assert pressed == ("true" if scheme == "light" else "false")
            after = await page.evaluate("() => getComputedStyle(document.body).backgroundColor")
            assert after != before
            await _axe(page, axe_source, f"toggled from {scheme}")
            await page.reload()  # the choice is remembered
            assert await toggle.get_attribute("aria-pressed") == pressed
            await context.close()


async def _reflows(page: Any, path: str) -> None:
    """At 200 % zoom (half the CSS width) and at 200 % text, the page needs no sideways
    scrolling (a wide table scrolls inside its own labelled region) and nothing is hidden."""
    await page.set_viewport_size({"width": 640, "height": 900})
    await _no_sideways_scroll(page, f"{path} at 200 % zoom")
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
    await _no_sideways_scroll(page, f"{path} at 200 % text")
    size = await page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('h1'))"
                               ".fontSize)")
    assert size >= 50, f"{path}: the heading did not grow with the text size ({size}px)"
    await page.evaluate("() => { document.documentElement.style.fontSize = ''; }")


async def _no_sideways_scroll(page: Any, name: str) -> None:
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{name}: the page scrolls sideways by {overflow}px"
    clipped = await page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(el => getComputedStyle(el).overflow === 'hidden'
                      && el.scrollWidth > el.clientWidth + 1).length""")
    assert clipped == 0, f"{name}: {clipped} elements clip their text"
