"""A department decides a case step over NATS (``hub.<region>.ingress.<department>.decision``)
with the same validation and recording as over HTTP: the subject proves the department."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from uuid import UUID

import httpx
import nats

from hub.adapters.nats.accounts import inbox_prefix
from hub.domain.credential import CredentialKind
from hub.domain.exchange import Status
from hub.entrypoints.nats.case_decisions import decision_subject
from hub.settings import HubSettings
from tests.integration.hub_fixtures import Hub, auth_headers, grant, running_region
from tests.integration.test_case_engine import RELOCATION
from tests.integration.test_case_exchanges import CASE_TYPE
from tests.waiting import wait_until_async

DECISION = {"national_id": "19800101-1234", "outcome": "approved", "reference": "SS-9"}


async def _department(hub: Hub, name: str) -> nats.NATS:
    assert hub.credentials is not None
    issued = hub.credentials.issue(f"north/{name}", CredentialKind.DEPARTMENT,
                                   dt.timedelta(hours=1))
    assert issued.nats_seed is not None
    seed = issued.nats_seed.decode()
    return await wait_until_async(  # errors: the server has not reloaded its users yet
        lambda: nats.connect(hub.nats_url, nkeys_seed_str=seed,
                             inbox_prefix=inbox_prefix(name), allow_reconnect=False,
                             connect_timeout=5),
        timeout_s=15, interval_s=0.1, ignoring=(nats.errors.Error, OSError),
        message=f"north/{name}'s NATS connection")


async def _decide(nc: nats.NATS, department: str, step: str, body: bytes) -> dict[str, object]:
    reply = await nc.request(decision_subject("north", department), body,
                             headers={"Hub-Step": step} if step else {}, timeout=20)
    answer: dict[str, object] = json.loads(reply.data)
    return answer


async def test_a_department_decides_its_step_over_nats(hub_settings: HubSettings,
                                                       tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "benefit-check.toml").write_text(CASE_TYPE)
    settings = hub_settings.model_copy(update={"cases": folder})
    async with running_region(settings) as region:
        hub = region.hub
        # No right on the contribution history: that step fails, social security decides it.
        await grant(hub, "north/one-stop", "north/tax/tax-clearance", "benefit-eligibility")
        async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
            filed = await client.post("/cases", headers=auth_headers(hub, "north/portal"),
                                      json={"case_type": "benefit-check@1.0",
                                            "application": RELOCATION})
        assert filed.status_code == 201, filed.text
        step = f"{filed.json()['case_id']}.contributions"
        tax, ss = await _department(hub, "tax"), await _department(hub, "social-security")
        try:
            foreign = await _decide(tax, "tax", step, json.dumps(DECISION).encode())
            assert foreign["outcome"] == "rejected"
            assert foreign["error"]["code"] == "step-not-yours"  # type: ignore[index]
            rejected = hub.ledger.get(UUID(str(foreign["exchange_id"])))
            assert rejected.status is Status.REJECTED and rejected.client == "north/tax"

            bad = await _decide(ss, "social-security", step,
                                json.dumps({**DECISION, "outcome": "maybe"}).encode())
            assert bad["error"]["code"] == "contract-violation"  # type: ignore[index]
            assert [i["path"] for i in bad["error"]["issues"]] == ["/outcome"]  # type: ignore[index]
            nameless = await _decide(ss, "social-security", "", json.dumps(DECISION).encode())
            assert nameless["error"]["issues"][0]["path"] == "header:Hub-Step"  # type: ignore[index]
            garbage = await _decide(ss, "social-security", step, b"[1, 2")
            assert garbage["error"]["code"] == "case-request"  # type: ignore[index]

            decided = await _decide(ss, "social-security", step, json.dumps(DECISION).encode())
            assert decided["outcome"] == "recorded", decided
            steps = decided["steps"]
            assert steps["contributions"] == {  # type: ignore[index]
                "state": "approved", "reference": "SS-9", "reason": ""}
            # The same decision again (a retry) is answered the same and records nothing.
            again = await _decide(ss, "social-security", step, json.dumps(DECISION).encode())
            assert again["steps"] == steps
        finally:
            await tax.close()
            await ss.close()
