"""The citizen API over HTTP on a running region (real nats-server, SQLite, departments).

A portal calls with the person's ID token: each reading answers that person's data only
and is recorded (who: subject reference, issuer, portal; what: which view, how many
items); each refusal is problem+json naming the reason, and recorded too.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from pathlib import Path

import httpx

from hub.domain.citizen_access import CitizenAccess, access_id
from hub.domain.consent import Consent
from hub.entrypoints.http.citizen.schemas import (
    CasesOut,
    ConsentsOut,
    ReportOut,
    RetentionOut,
    RevokedOut,
)
from hub.settings import HubSettings
from simulations.identity_provider import IdentityProvider
from tests.integration.citizen_fixtures import (
    SS,
    query_history,
    record_consent,
    refusals,
    trusting,
)
from tests.integration.hub_fixtures import running_region

PEOPLE = ("19800101-1234", "19751224-5678")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_person_reads_their_own_report_and_the_reading_is_recorded(
    hub_settings: HubSettings, tmp_path: Path
) -> None:
    """Two people queried; the first person's token lists their one use, nothing of the
    other's; CitizenTokenAccepted + CitizenDataRead name the reference, issuer and portal."""
    idp = IdentityProvider.generate()
    async with running_region(trusting(hub_settings, idp, tmp_path / "idp")) as region:
        hub = region.hub
        async with httpx.AsyncClient(timeout=30) as http:
            for person in (*PEOPLE, PEOPLE[1]):
                await query_history(http, hub, person)
            token = idp.token(PEOPLE[0], jti="read-1", portal="portal.north.example")
            answer = await http.get(f"{hub.http_url}/citizen/api/report", headers=_bearer(token))
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "no-store"
        body = ReportOut.model_validate(answer.json()).model_dump()
        ref = hub.ledger.keyring.ref_for(PEOPLE[0])
        assert body["subject"] == ref
        assert [(u["recipient"], u["service"]) for u in body["uses"]] == [("north/tax", SS)]
        assert hub.ledger.get(uuid.UUID(body["uses"][0]["exchange_id"])).data_subject == ref
        events = list(hub.ledger.events.get(access_id(idp.issuer, "read-1")))
        accepted, read = events
        assert isinstance(accepted, CitizenAccess.TokenAccepted)
        assert (accepted.subject_ref, accepted.issuer, accepted.portal, accepted.via) == (
            ref, idp.issuer, "portal.north.example", "api")
        assert isinstance(read, CitizenAccess.Read)
        assert (read.what, read.items) == ("data-use-report", 1)
        assert PEOPLE[0] not in json.dumps([vars(e) for e in events], default=str)


async def test_every_kind_of_bad_token_is_refused_by_name_and_recorded(
    hub_settings: HubSettings, tmp_path: Path
) -> None:
    """Untrusted issuer, other audience, expired, replayed, bad signature, a missing claim,
    no token: 401 problem+json with the code, a Bearer challenge, a recorded refusal."""
    idp = IdentityProvider.generate()
    stranger = IdentityProvider.generate("https://eid.elsewhere.test")
    impostor = IdentityProvider(idp.issuer, IdentityProvider.generate(kid=idp.key.kid).key)
    used = idp.token(PEOPLE[0])
    cases = {
        "id-token-untrusted-issuer": stranger.token(PEOPLE[0]),
        "id-token-wrong-audience": idp.token(PEOPLE[0], audience="urn:interop-hub:south:citizen"),
        "id-token-expired": idp.token(PEOPLE[0], now=time.time() - 3600),
        "id-token-replayed": used,
        "id-token-bad-signature": impostor.token(PEOPLE[0]),
        "id-token-missing-claim": idp.token(PEOPLE[0], national_id=None),
        "id-token-missing": "",
    }
    async with running_region(trusting(hub_settings, idp, tmp_path / "idp"), grants=()) as region:
        url = region.hub.http_url
        async with httpx.AsyncClient(timeout=30) as http:
            first = await http.get(f"{url}/citizen/api/consents", headers=_bearer(used))
            assert first.status_code == 200, first.text
            answers = {code: await http.get(f"{url}/citizen/api/consents",
                                            headers=_bearer(token) if token else {})
                       for code, token in cases.items()}
        for code, answer in answers.items():
            assert answer.status_code == 401, (code, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["www-authenticate"].startswith("Bearer ")
            problem = answer.json()
            assert problem["code"] == code, (code, problem)
            assert problem["detail"] and problem["issues"][0]["code"] == code
        recorded = await asyncio.to_thread(refusals, region.hub.ledger)
        assert [r.code for r in recorded] == list(cases)
        assert {r.path for r in recorded} == {"/citizen/api/consents"}
        untrusted = recorded[0]
        assert (untrusted.issuer, untrusted.subject_ref) == ("https://eid.elsewhere.test", "")


async def test_a_token_for_another_login_is_refused_when_the_portal_sends_its_nonce(
    hub_settings: HubSettings, tmp_path: Path
) -> None:
    """Citizen-Nonce equal to the token's nonce: 200; another nonce: 401
    id-token-nonce-mismatch, recorded; no header: the nonce is not compared."""
    idp = IdentityProvider.generate()
    async with running_region(trusting(hub_settings, idp, tmp_path / "idp"), grants=()) as region:
        url = f"{region.hub.http_url}/citizen/api/consents"
        async with httpx.AsyncClient(timeout=30) as http:
            same = await http.get(url, headers={
                **_bearer(idp.token(PEOPLE[0], nonce="login-1")), "Citizen-Nonce": "login-1"})
            other = await http.get(url, headers={
                **_bearer(idp.token(PEOPLE[0], nonce="login-2")), "Citizen-Nonce": "login-1"})
            unasked = await http.get(url, headers=_bearer(idp.token(PEOPLE[0], nonce="x")))
        assert (same.status_code, unasked.status_code) == (200, 200), (same.text, unasked.text)
        assert other.status_code == 401, other.text
        assert other.headers["www-authenticate"].startswith("Bearer ")
        problem = other.json()
        assert problem["code"] == "id-token-nonce-mismatch"
        assert problem["issues"][0]["field"] == "nonce"
        recorded = await asyncio.to_thread(refusals, region.hub.ledger)
        assert [(r.code, r.issuer) for r in recorded] == [
            ("id-token-nonce-mismatch", idp.issuer)]


async def test_a_person_sees_and_revokes_only_their_own_consents(
    hub_settings: HubSettings, tmp_path: Path
) -> None:
    """Another person's consent id is answered like an unknown one (404); their own is
    revoked, attributed to them through the portal; revoking it again is a 409."""
    idp = IdentityProvider.generate()
    async with running_region(trusting(hub_settings, idp, tmp_path / "idp"), grants=()) as region:
        ledger, url = region.hub.ledger, region.hub.http_url
        mine = await asyncio.to_thread(record_consent, ledger, PEOPLE[0], "income-verification",
                                       "north/tax")
        await asyncio.to_thread(record_consent, ledger, PEOPLE[0], "licence-renewal",
                                "north/vehicles")
        theirs = await asyncio.to_thread(record_consent, ledger, PEOPLE[1],
                                         "income-verification", "north/tax")
        async with httpx.AsyncClient(timeout=30) as http:
            async def call(method: str, path: str) -> httpx.Response:
                return await http.request(method, f"{url}/citizen/api{path}",
                                          headers=_bearer(idp.token(PEOPLE[0])))

            listed = ConsentsOut.model_validate((await call("GET", "/consents")).json()
                                                ).model_dump()
            kept = RetentionOut.model_validate((await call("GET", "/retention")).json())
            cases = CasesOut.model_validate((await call("GET", "/cases")).json())
            other = await call("POST", f"/consents/{theirs.id}/revoke")
            unknown = await call("POST", f"/consents/{uuid.uuid4()}/revoke")
            revoked = await call("POST", f"/consents/{mine.id}/revoke")
            again = await call("POST", f"/consents/{mine.id}/revoke")
        ref = ledger.keyring.ref_for(PEOPLE[0])
        assert sorted(c["purpose"] for c in listed["consents"]) == [
            "income-verification", "licence-renewal"]
        assert (other.status_code, other.json()["code"]) == (404, "citizen-consent-not-found")
        assert other.json()["detail"].replace(str(theirs.id), "X") == \
            unknown.json()["detail"].replace(unknown.url.path.split("/")[-2], "X")
        assert revoked.status_code == 200, revoked.text
        assert RevokedOut.model_validate(revoked.json()).consent.state == "revoked"
        assert sorted((k.kind, k.kept_until) for k in kept.kept) == [
            ("consent", "2099-12-31"), ("consent", "2099-12-31")]
        assert (cases.subject, cases.cases) == (ref, [])
        assert (again.status_code, again.json()["code"]) == (409, "citizen-consent-not-active")
        last = list(ledger.events.get(mine.id))[-1]
        assert isinstance(last, Consent.Revoked)
        assert last.by == f"citizen {ref} via citizen-portal"
        assert ledger.repository.get(theirs.id).state.value == "active"
        recorded = await asyncio.to_thread(refusals, ledger)
        assert [(r.code, r.subject_ref) for r in recorded] == [
            ("citizen-consent-not-found", ref), ("citizen-consent-not-found", ref),
            ("citizen-consent-not-active", ref)]


async def test_the_pages_session_cookie_is_guarded_and_forms_need_their_token(
    hub_settings: HubSettings, tmp_path: Path
) -> None:
    """Signing in sets an HttpOnly, SameSite=Strict cookie scoped to /citizen; a bad token
    is a 401 page and a recorded refusal; a withdrawal without the form's token is refused
    and changes nothing, with it the consent is withdrawn; a page says only the notices it
    knows, never words a link brings."""
    idp = IdentityProvider.generate()
    async with running_region(trusting(hub_settings, idp, tmp_path / "idp"), grants=()) as region:
        ledger, url = region.hub.ledger, region.hub.http_url
        consent = await asyncio.to_thread(record_consent, ledger, PEOPLE[0],
                                          "income-verification", "north/tax")
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            bad = await http.post("/citizen/sign-in",
                                  data={"id_token": idp.token(PEOPLE[0], audience="other")})
            signed_in = await http.post("/citizen/sign-in",
                                        data={"id_token": idp.token(PEOPLE[0])})
            page = await http.get("/citizen/consents")
            forged = await http.post("/citizen/consents/revoke",
                                     data={"consent_id": str(consent.id), "csrf": "guess"})
            await http.post("/citizen/sign-in", data={"id_token": idp.token(PEOPLE[0])})
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"',
                             (await http.get("/citizen/consents")).text)
            assert csrf is not None
            form = {"consent_id": str(consent.id), "csrf": csrf.group(1)}
            withdrawn = await http.post("/citizen/consents/revoke", data=form)
            again = await http.post("/citizen/consents/revoke", data=form)
            shown = await http.get(again.headers["location"])
            # words a hex token or a digest cannot contain: the check must not pass by chance
            spoofed = await http.get("/citizen/consents?error=Call+us+at+phishy.example"
                                     "&message=Hi")
        assert bad.status_code == 401 and 'role="alert"' in bad.text
        assert "does not name this region" in bad.text
        assert signed_in.status_code == 303
        cookie = signed_in.headers["set-cookie"].lower()
        for attribute in ("httponly", "samesite=strict", "path=/citizen", "expires="):
            assert attribute in cookie
        assert page.status_code == 200 and "Withdraw this consent" in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert forged.status_code == 403
        assert withdrawn.headers["location"] == "/citizen/consents?message=withdrawn"
        assert ledger.repository.get(consent.id).state.value == "revoked"
        assert "already withdrawn or expired" in shown.text
        assert "phishy" not in spoofed.text and "Hi" not in spoofed.text.split("<main")[1]
        recorded = await asyncio.to_thread(refusals, ledger)
        assert [r.code for r in recorded] == [
            "id-token-wrong-audience", "citizen-csrf", "citizen-consent-not-active"]


async def test_a_sign_in_posted_from_another_site_is_refused_and_recorded(
    hub_settings: HubSettings, tmp_path: Path
) -> None:
    """Login CSRF: another site's page posting its own visitor's token would sign this
    browser in as that person. The browser says so (Sec-Fetch-Site), the hub refuses it,
    sets no cookie and records the refusal; the same form sent from the page signs in."""
    idp = IdentityProvider.generate()
    async with running_region(trusting(hub_settings, idp, tmp_path / "idp"), grants=()) as region:
        ledger, url = region.hub.ledger, region.hub.http_url
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            forged = await http.post("/citizen/sign-in", data={"id_token": idp.token(PEOPLE[1])},
                                     headers={"Sec-Fetch-Site": "cross-site"})
            own = await http.post("/citizen/sign-in", data={"id_token": idp.token(PEOPLE[0])},
                                  headers={"Sec-Fetch-Site": "same-origin"})
        assert forged.status_code == 403 and "set-cookie" not in forged.headers
        assert "sent from another site" in forged.text
        assert own.status_code == 303 and "citizen_session=" in own.headers["set-cookie"]
        recorded = await asyncio.to_thread(refusals, ledger)
        assert [(r.code, r.issuer) for r in recorded] == [("citizen-cross-site", idp.issuer)]
