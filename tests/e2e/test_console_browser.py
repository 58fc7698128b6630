"""The console in a real browser: headless Chromium (Debian's package) driven by Playwright.

The tests log in with a TOTP code, find an exchange and read its timeline, run
an audit verify, read a subject's data-use report as an auditor, look at every
page on a wide and a narrow screen, check each text's contrast (WCAG AA), and
move through the page with the keyboard alone. Screenshots go to
``test-output/console/`` (git-ignored); the screenshots in docs/console.md are copies of them.

Chromium comes from the system (``apt-get install chromium``; ``.ci/run``
installs it): the tests never download a browser. Without one they skip, naming
what is missing — except under CI=true, where that is a failure.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from hub.adapters.projections import ExchangeQuery
from hub.settings import HubSettings
from tests.conftest import running_under_ci
from tests.integration.console_fixtures import PASSWORD, ConsoleOperator, enrol
from tests.integration.hub_fixtures import Region, auth_headers, running_region
from tests.waiting import wait_until_async

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "console"
SS = "north/social-security/contribution-history"
PEOPLE = ("19800101-1234", "19751224-5678", "19920315-2468")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    reason = "no Chromium found (install Debian's chromium package: apt-get install chromium)"
    if running_under_ci():
        pytest.fail(reason + " — required under CI=true")
    pytest.skip(reason)


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    executable = _chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def _traffic(region: Region) -> None:
    """A few answered queries and one refused one, each with a known correlation id."""
    url = region.hub.http_url

    def headers(correlation_id: str) -> dict[str, str]:
        return auth_headers(region.hub, "north/tax", **{
            "X-Correlation-Id": correlation_id, "Content-Type": "application/json"})

    body = {"national_id": PEOPLE[0], "period_start": "2000-01-01", "period_end": "2026-12-31"}
    async with httpx.AsyncClient(timeout=30) as http:
        for n, person in enumerate(PEOPLE):
            await http.post(f"{url}/services/{SS}", headers=headers(f"browser-{n}"),
                            content=json.dumps({**body, "national_id": person}))
        await http.post(f"{url}/services/{SS}", content=b'{"national_id": ',
                        headers=headers("browser-bad"))
        region.social_security.server_faults_next = 100  # every attempt fails: a dead letter
        dead = await http.post(f"{url}/services/{SS}", content=json.dumps(body),
                               headers=headers("browser-dead"))
        region.social_security.server_faults_next = 0
    assert dead.status_code == 502, dead.text
    await _read_models_caught_up(region)


async def _read_models_caught_up(region: Region) -> None:
    """Wait (bounded) until the exchange index holds the last exchange as dead-lettered and
    the service metrics list the service: the read models follow the ledger every 0.25 s."""
    queries = region.hub.console.queries if region.hub.console else None
    assert queries is not None

    def caught_up() -> bool:
        rows = queries.exchanges(ExchangeQuery(correlation_id="browser-dead"))
        metrics = queries.metrics()
        return ([r.status for r in rows] == ["dead-lettered"]
                and any(m.service == SS for m in metrics))

    await wait_until_async(caught_up, timeout_s=10, in_thread=True,
                           message="the read models caught up with the ledger")


async def _log_in(page, url: str, operator: ConsoleOperator) -> None:  # type: ignore[no-untyped-def]
    await page.goto(f"{url}/")
    await page.get_by_label("Operator name").fill(operator.name)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("Authenticator code").fill(operator.code())
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(f"{url}/console/")


async def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def test_operator_logs_in_finds_an_exchange_and_runs_a_verify(
    hub_settings: HubSettings, browser: object
) -> None:
    """Login with TOTP, search by correlation id, open the timeline, verify now."""
    async with running_region(hub_settings) as region:
        url = region.hub.http_url
        await _traffic(region)
        operator = await asyncio.to_thread(enrol, region.hub, "ada", "operator")
        page = await browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        await page.goto(f"{url}/")
        await _shot(page, "login")
        await _log_in(page, url, operator)
        await page.get_by_role("link", name=SS).first.wait_for()
        await _shot(page, "overview")

        await page.get_by_role("link", name="Exchanges").click()
        await page.get_by_label("Correlation id").fill("browser-1")
        await page.get_by_role("button", name="Search").click()
        rows = page.locator("table tbody tr")
        assert await rows.count() == 1
        assert "completed" in await rows.first.inner_text()
        await _shot(page, "exchanges")
        await rows.first.get_by_role("link").click()
        events = [e.split(" ")[0] for e in await page.locator("h2.event").all_inner_texts()]
        assert events[:2] == ["Received", "Translated"]
        assert {"Authorised", "Routed", "Responded", "Completed"} <= set(events)
        await _shot(page, "timeline")

        await page.get_by_role("link", name="Service metrics").click()
        assert await page.locator("svg.chart[role=img]").count() == 4
        await _shot(page, "service-metrics")

        await page.get_by_role("link", name="Dead letters").click()
        await page.get_by_role("button", name="Requeue exchange").first.click()
        assert "dlq.requeue: requeued" in await page.get_by_role("status").inner_text()
        await _shot(page, "dead-letters")

        await page.get_by_role("link", name="Audit").click()
        await page.get_by_role("button", name="Verify now").click()
        assert "audit.verify: passed" in await page.get_by_role("status").inner_text()
        assert "passed" in await page.locator("#verify-result").inner_text()
        await _shot(page, "audit")
        for name in ("Federation", "Reconciliation"):
            await page.get_by_role("link", name=name).click()
            assert await page.locator("h1").inner_text() == name
            await _shot(page, name.lower())


async def test_console_works_on_a_narrow_screen_and_with_the_keyboard(
    hub_settings: HubSettings, browser: object
) -> None:
    """At 390 px nothing overflows the page; the skip link and Tab order reach the content."""
    async with running_region(hub_settings) as region:
        url = region.hub.http_url
        await _traffic(region)
        operator = await asyncio.to_thread(enrol, region.hub, "vic", "viewer")
        page = await browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
        await page.goto(f"{url}/console/login")
        assert await page.evaluate("document.activeElement.id") == "name"  # autofocus
        await page.keyboard.type(operator.name)
        await page.keyboard.press("Tab")
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press("Tab")
        await page.keyboard.type(operator.code())
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{url}/console/")
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Skip to content"
        await page.keyboard.press("Enter")
        assert await page.evaluate("document.activeElement.id") == "main"
        pages = (("/console/", "narrow-overview"), ("/console/services", "narrow-metrics"),
                 ("/console/exchanges", "narrow-exchanges"))
        for path, name in pages:
            await page.goto(f"{url}{path}")
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{path} is wider than the screen by {overflow} px"
            await _shot(page, name)
        unlabelled = await page.evaluate("""() => [...document.querySelectorAll('input,select')]
            .filter(e => e.type !== 'hidden' && !(e.labels && e.labels.length)).map(e => e.name)""")
        assert unlabelled == []
        assert await page.get_by_role("link", name="Operator actions").count() == 0  # a viewer


CONTRAST = """() => {
  // WCAG 2.1 contrast of every visible text against the first opaque background behind it.
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || c[3] === 1) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg')) continue;
    const text = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent)
      .join('').trim();
    if (!text || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    const fg = rgb(style.color).slice(0, 3), bg = background(el);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) low.push(`${el.tagName} "${text.slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return low;
}"""


async def test_an_auditor_reads_a_report_and_every_page_has_enough_contrast(
    hub_settings: HubSettings, browser: object
) -> None:
    """The auditor types a national id and sees the uses of that person's data; on every
    page the auditor can reach, each text meets WCAG AA contrast (4.5:1, 3:1 when large)."""
    async with running_region(hub_settings) as region:
        url = region.hub.http_url
        await _traffic(region)
        operator = await asyncio.to_thread(enrol, region.hub, "aud", "auditor")
        page = await browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        await page.goto(f"{url}/console/login")
        assert await page.evaluate(CONTRAST) == []
        await _log_in(page, url, operator)
        await page.get_by_role("link", name="Data-use reports").click()
        await page.get_by_label("National id or subject reference").fill(PEOPLE[1])
        await page.get_by_role("button", name="Show report").click()
        assert "1 use(s) of this subject's data" in await page.get_by_role("status").inner_text()
        row = await page.locator("table tbody tr").first.inner_text()
        assert "north/tax" in row and SS in row and PEOPLE[1] not in await page.content()
        await _shot(page, "subject-report")
        assert await page.evaluate(CONTRAST) == []
        await page.set_viewport_size({"width": 390, "height": 844})
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"the report is wider than a 390 px screen by {overflow} px"
        await _shot(page, "narrow-subject-report")
        await page.set_viewport_size({"width": 1280, "height": 900})
        nav = await page.locator("nav a").evaluate_all("links => links.map(a => a.href)")
        for href in nav:
            await page.goto(href)
            low = await page.evaluate(CONTRAST)
            assert low == [], (href, low)
        await page.get_by_role("link", name="Operator actions").click()
        assert "subject.report" in await page.locator("table").inner_text()
