"""Hammering the citizen API with bad tokens from one loopback address: the first refusals
of a window are recorded one by one, the rest answered 429 and summarised in one
CitizenRefusalsSuppressed per address and window; another address is unaffected."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from hub.adapters.store.ledger import Ledger
from hub.bootstrap.privacy import build_ledger
from hub.domain.citizen_access import CitizenRefusal, CitizenRefusalSummary
from hub.settings import HubSettings
from simulations.identity_provider import IdentityProvider
from tests.integration.citizen_fixtures import refusals, trusting
from tests.integration.hub_fixtures import running_region
from tests.waiting import wait_until_async

PERSON = "19800101-1234"
WINDOW_S, PER_CLIENT, HAMMER = 5.0, 5, 30
EXPIRED, UNTRUSTED = "id-token-expired", "id-token-untrusted-issuer"


def _summaries(ledger: Ledger) -> list[CitizenRefusalSummary.Suppressed]:
    topic = CitizenRefusalSummary.Suppressed.TOPIC
    found = [ledger.mapper.to_domain_event(n) for n in ledger.notifications(1, 10_000, (topic,))]
    return [e for e in found if isinstance(e, CitizenRefusalSummary.Suppressed)]


def _head(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def _client(address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=30, transport=httpx.AsyncHTTPTransport(
        local_address=address))


async def test_bad_tokens_beyond_the_budget_are_answered_429_and_summarised(
    hub_settings: HubSettings, tmp_path: Path
) -> None:
    """30 bad tokens from 127.0.0.1 in one 5 s window, budget 5 per address: 5 recorded
    refusals (401), 25 answers 429 with Retry-After and no refusal id; a good token and a bad
    one from 127.0.0.2 meanwhile: 200 and a recorded refusal. After the window, one summary
    for 127.0.0.1 (25, by code); the refusal events grew by at most 5 + windows."""
    idp = IdentityProvider.generate()
    stranger = IdentityProvider.generate("https://eid.elsewhere.test")
    settings = trusting(hub_settings, idp, tmp_path / "idp").model_copy(update={
        "citizen_refusal_window_s": WINDOW_S, "citizen_refusals_per_client": PER_CLIENT,
        "citizen_refusals_total": 100})
    bad = [stranger.token(PERSON) if n % 2 else idp.token(PERSON, now=time.time() - 3600)
           for n in range(HAMMER)]
    async with running_region(settings, grants=()) as region:
        ledger, url = region.hub.ledger, f"{region.hub.http_url}/citizen/api/consents"
        before = await asyncio.to_thread(_head, ledger)
        # start at the beginning of a window, so the hammering fits in one
        await wait_until_async(lambda: time.time() % WINDOW_S < 0.3, timeout_s=WINDOW_S + 1,
                               interval_s=0.01, message="a window starts")
        started = time.time()
        async with _client("127.0.0.1") as attacker, _client("127.0.0.2") as portal:
            answers = [await attacker.get(url, headers={"Authorization": f"Bearer {t}"})
                       for t in bad]
            good = await portal.get(url, headers={"Authorization":
                                                  f"Bearer {idp.token(PERSON)}"})
            other_bad = await portal.get(url, headers={"Authorization": f"Bearer {bad[0]}x"})
            finished = time.time()
            assert finished - (started - started % WINDOW_S) < WINDOW_S, "hammering too slow"
            statuses = [a.status_code for a in answers]
            assert statuses == [401] * PER_CLIENT + [429] * (HAMMER - PER_CLIENT), statuses
            assert (good.status_code, other_bad.status_code) == (200, 401), good.text
            throttled = answers[-1]
            assert throttled.headers["content-type"] == "application/problem+json"
            assert 1 <= int(throttled.headers["retry-after"]) <= WINDOW_S
            assert throttled.json()["code"] == "citizen-too-many-refusals"
            assert "refusal_id" not in throttled.json()
            assert all("refusal_id" in a.json() for a in answers[:PER_CLIENT])
            # the next refusal after the window's end records the ended window's summary
            await asyncio.sleep(max(0.0, started - started % WINDOW_S + WINDOW_S - time.time()))
            await portal.get(url, headers={"Authorization": f"Bearer {bad[1]}"})
        recorded = await asyncio.to_thread(refusals, ledger)
        summaries = await asyncio.to_thread(_summaries, ledger)
        after = await asyncio.to_thread(_head, ledger)
    assert len(recorded) == PER_CLIENT + 2  # the attacker's 5, the portal's two bad ones
    (summary,) = summaries
    assert (summary.client, summary.count) == ("127.0.0.1", HAMMER - PER_CLIENT)
    beyond = range(PER_CLIENT, HAMMER)
    assert summary.codes == {UNTRUSTED: sum(n % 2 for n in beyond),
                             EXPIRED: sum(1 - n % 2 for n in beyond)}
    assert all(isinstance(r, CitizenRefusal.Refused) for r in recorded)
    # 7 refusals, 1 summary, the good token's acceptance and reading: nothing else grew
    assert after - before <= PER_CLIENT + 2 + 1 + 2, after - before


async def test_refusals_counted_but_not_yet_summarised_are_recorded_when_the_hub_stops(
    hub_settings: HubSettings, tmp_path: Path
) -> None:
    """A window of an hour, budget 2: 8 bad tokens make 2 refusals and 6 counted ones, and a
    sign-in on the pages with a bad token is answered 429 too; the window has not ended when
    the hub stops, and the summary (7) is in the ledger after."""
    idp = IdentityProvider.generate()
    settings = trusting(hub_settings, idp, tmp_path / "idp").model_copy(update={
        "citizen_refusal_window_s": 3600.0, "citizen_refusals_per_client": 2})
    async with running_region(settings, grants=()) as region:
        url = f"{region.hub.http_url}/citizen/api/report"
        async with _client("127.0.0.1") as attacker:
            statuses = [(await attacker.get(url, headers={"Authorization": "Bearer x.y.z"}
                                            )).status_code for _ in range(8)]
            page = await attacker.post(f"{region.hub.http_url}/citizen/sign-in",
                                       data={"id_token": "x.y.z"})
        ledger = region.hub.ledger
        assert await asyncio.to_thread(_summaries, ledger) == []
    assert statuses == [401, 401] + [429] * 6
    assert page.status_code == 429 and 1 <= int(page.headers["retry-after"]) <= 3600
    assert "too many failed sign-ins" in page.text
    reopened = build_ledger(settings)
    try:
        (summary,) = _summaries(reopened)
        assert len(refusals(reopened)) == 2
    finally:
        reopened.close()
    assert (summary.client, summary.count, summary.codes) == (
        "127.0.0.1", 7, {"id-token-malformed": 7})
