"""The applicant's progress and the published figures on a running region (real
nats-server, SQLite, departments): the portal that filed a case reads it, another
department does not; the portal supplies what a step asked of the applicant; a person
reads their own cases with their ID token, never another's;
/transparency is public and names nobody."""

from __future__ import annotations

from pathlib import Path

import httpx

from hub.settings import HubSettings
from simulations.identity_provider import IdentityProvider
from tests.integration.citizen_fixtures import trusting
from tests.integration.hub_fixtures import auth_headers, running_region
from tests.integration.test_case_engine import RELOCATION
from tests.integration.test_case_exchanges import CASE_TYPE

PEOPLE = ("19800101-1234", "19751224-5678")


async def test_progress_is_the_applicants_own_and_the_figures_name_nobody(
        hub_settings: HubSettings, tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "benefit-check.toml").write_text(CASE_TYPE)
    idp = IdentityProvider.generate()
    settings = trusting(hub_settings.model_copy(update={"cases": folder}), idp, tmp_path / "idp")
    async with running_region(settings) as region:
        hub = region.hub
        # No access granted to the desk: each first step's query is refused, the step is
        # failed (held by nobody) and waits for social security to decide it by hand.
        portal = auth_headers(hub, "north/portal")
        async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
            ids = []
            for person in PEOPLE:
                filed = await client.post("/cases", headers=portal, json={
                    "case_type": "benefit-check@1.0",
                    "application": {**RELOCATION, "national_id": person}})
                assert filed.status_code == 201, filed.text
                ids.append(filed.json()["case_id"])

            shown = await client.get(f"/cases/{ids[0]}", headers=portal)
            assert shown.status_code == 200, shown.text
            assert shown.headers["cache-control"] == "no-store"
            case = shown.json()
            first, second = case["steps"]
            assert (first["name"], first["state"], first["holder"]) == (
                "contributions", "failed", "")
            assert first["since"] and first["due_at"] > first["since"]
            assert (second["state"], second["holder"], second["due_at"]) == ("waiting", "", None)
            assert case["awaited_from_applicant"] == []

            asked = await client.post(
                f"/cases/steps/{ids[0]}.contributions/decision",
                headers=auth_headers(hub, "north/social-security"),
                json={"national_id": PEOPLE[0], "outcome": "more-information-needed",
                      "reference": "SS-9", "reason": "a certificate of residence"})
            assert asked.status_code == 200, asked.text
            case = (await client.get(f"/cases/{ids[0]}", headers=portal)).json()
            assert case["steps"][0]["holder"] == "applicant"
            assert case["awaited_from_applicant"] == [
                {"step": "contributions", "missing": "a certificate of residence"}]

            listed = await client.get("/cases", headers=portal)
            assert [c["case_id"] for c in listed.json()["cases"]] == ids

            # Another department is told no such case, as for an id that does not exist.
            tax = auth_headers(hub, "north/tax")
            foreign = await client.get(f"/cases/{ids[0]}", headers=tax)
            assert foreign.status_code == 404 and foreign.json()["code"] == "case-not-found"
            assert (await client.get("/cases", headers=tax)).json() == {"cases": []}
            bad = await client.get("/cases/not-a-uuid", headers=portal)
            assert bad.status_code == 404 and "not a case id" in bad.json()["detail"]

            # Each person, with their own ID token, sees their own case and no other.
            for n, person in enumerate(PEOPLE):
                token = idp.token(person, jti=f"cases-{n}", portal="portal.north.example")
                mine = await client.get("/citizen/api/cases",
                                        headers={"Authorization": f"Bearer {token}"})
                assert mine.status_code == 200, mine.text
                assert [c["case_id"] for c in mine.json()["cases"]] == [ids[n]]

            # The person's cases page shows what they are asked for.
            token = idp.token(PEOPLE[0], jti="page", portal="portal.north.example")
            signed = await client.post("/citizen/sign-in", data={"id_token": token})
            assert signed.status_code == 303, signed.text
            page = await client.get("/citizen/cases")
            assert page.status_code == 200
            assert "You are asked for: a certificate of residence" in page.text

            # The portal supplies what was asked (another department may not); the step
            # runs again (and fails again: still no right granted); nothing is asked now.
            supplied = {"documents": {"residence-certificate": "doc-9"}}
            foreign = await client.post(f"/cases/{ids[0]}/information", headers=tax,
                                        json=supplied)
            assert foreign.status_code == 404 and foreign.json()["code"] == "case-not-found"
            answered = await client.post(f"/cases/{ids[0]}/information", headers=portal,
                                         json=supplied)
            assert answered.status_code == 200, answered.text
            assert answered.json()["steps"]["contributions"]["state"] == "failed"
            again = await client.post(f"/cases/{ids[0]}/information", headers=portal,
                                      json=supplied)
            assert again.status_code == 409 and again.json()["code"] == "case-state"
            bad = await client.post(f"/cases/{ids[1]}/information", headers=portal,
                                    json={"documents": {"residence-certificate": 9}})
            assert bad.status_code == 400, bad.text

            # The figures: public, no token; 2 cases, so every count shows as "< 5".
            page = await client.get("/transparency")
            data = await client.get("/transparency/data.json")
            table = await client.get("/transparency/data.csv")
        assert page.status_code == data.status_code == table.status_code == 200
        figures = {f["name"]: f for f in data.json()["figures"]}
        assert figures["benefit-check@1.0"]["volume"] == "< 5"
        assert figures["benefit-check@1.0"]["time_limit"] == "5 working days"
        assert figures["north/social-security/contribution-history"]["volume"] == "< 5"
        assert "benefit-check@1.0" in page.text and "&lt; 5" in page.text
        assert "<svg" in page.text and "<script" not in page.text
        for text in (page.text, data.text, table.text):
            for person in PEOPLE:
                assert person not in text
                assert hub.ledger.keyring.ref_for(person) not in text
            for case_id in ids:
                assert case_id not in text
