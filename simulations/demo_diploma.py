"""The demo's MTOM step: the certificate supplied once goes to a legacy SOAP provider.

The emulated Diploma Registry (simulations.diploma_registry, aiohttp on a loopback port) is the
education department's diploma-verification service, reached over the shipped MTOM mapping.
Social security asks it about the citizen, naming the certificate the documents step supplied
(by its id, a ``DocumentRef`` field): the hub discloses the document to the education
department — a third disclosure of the one document, in the data-use report — and streams its
bytes to the registry as an ``xop:Include`` part. The registry answers with a decision
document of its own, which names the SHA-256 of what it received.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from uuid import UUID

import httpx
from aiohttp import web

from contracts.education import DiplomaVerification, DiplomaVerificationQuery
from contracts.identity import ServiceId
from hub.domain.exchange import TERMINAL
from hub.entrypoints.serve import Hub
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.service_layer.security.decision import AccessPolicy
from hub.service_layer.security.purposes import Purpose
from simulations.credentials import bearer
from simulations.departments import CASE_PURPOSE, MAPPINGS
from simulations.diploma_registry.app import PATH, Registry, registry_app

MTOM_MAPPING = MAPPINGS / "education.diploma-verification-mtom.toml"
_POLL_S = 0.05


async def start_registry(stack: contextlib.AsyncExitStack) -> tuple[Registry, str]:
    """Serve the emulated Diploma Registry on a free loopback port until ``stack`` closes;
    what it received and its endpoint."""
    received = Registry()
    runner = web.AppRunner(registry_app(received))
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return received, f"http://127.0.0.1:{runner.addresses[0][1]}{PATH}"


def diploma_service(region: str, endpoint: str) -> ServiceDefinition:
    """The education department's diploma verification: the registry, over MTOM."""
    return ServiceDefinition(
        id=ServiceId(region, "education", "diploma-verification"),
        request=DiplomaVerificationQuery, response=DiplomaVerification,
        operation="VerifyDiploma", adapter="soap-mapping", endpoint=endpoint,
        mapping=str(MTOM_MAPPING),
        description="Whether a document the citizen supplied is authentic (sent as MTOM)",
        time_limit_s=5.0,
        purposes=(Purpose(CASE_PURPOSE, ("national_id", "verdict", "decision"),
                          legal_basis="Social Security Act s. 12: assessing a benefit claim",
                          retention="P5Y"),),
    )


def grant_diploma_rights(policy: AccessPolicy, region: str) -> None:
    """Social security may ask the registry for a benefit claim; the education department may
    read the certificate (supplied to contribution history) for that purpose."""
    policy.rights.grant(f"{region}/social-security", f"{region}/education/diploma-verification",
                        (CASE_PURPOSE,), by="demo")
    policy.rights.grant(f"{region}/education", f"{region}/social-security/contribution-history",
                        (CASE_PURPOSE,), by="demo")


@dataclass
class DiplomaStep:
    """What the step did: the decision the registry answered with, or what went wrong."""

    decision_id: str = ""
    matched: bool = False
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem and self.matched

    def lines(self) -> list[str]:
        if self.problem:
            return [f"documents to a SOAP provider: FAILED — {self.problem}"]
        matched = "matched" if self.matched else "did NOT match"
        return [f"documents to a SOAP provider: the same certificate went to the diploma "
                f"registry as an MTOM attachment; its decision {self.decision_id}, the "
                f"SHA-256 {matched} at the provider"]


async def certificate_to_registry(hub: Hub, tokens: dict[str, str], subject: str,
                                  document_id: str, sha256: str, registry: Registry,
                                  *, within_s: float = 5.0) -> DiplomaStep:
    """Social security asks diploma verification about ``subject``, naming ``document_id``;
    returns once the exchange is settled (``Completed`` is recorded after the reply is
    written; waited for at most ``within_s``), so the demo's summary counts it."""
    region = hub.settings.region
    social = f"{region}/social-security"
    step = DiplomaStep()
    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as http:
        answered = await http.post(
            f"/services/{region}/education/diploma-verification",
            content=json.dumps({"national_id": subject, "diploma": document_id}).encode(),
            headers={**bearer(tokens, social), "X-Hub-Client": social,
                     "X-Hub-Purpose": CASE_PURPOSE, "Content-Type": "application/json"})
    if answered.status_code != 200:
        step.problem = f"verification answered {answered.status_code}: {answered.text[:200]}"
        return step
    step.decision_id = str(answered.json()["decision"])
    step.matched = (sha256, "application/pdf") in registry.received
    exchange_id = UUID(answered.headers["X-Exchange-Id"])
    for _ in range(int(within_s / _POLL_S)):
        if (await asyncio.to_thread(hub.ledger.get, exchange_id)).status in TERMINAL:
            break
        await asyncio.sleep(_POLL_S)
    return step
