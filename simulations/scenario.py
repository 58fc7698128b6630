"""The demo's scripted queries: both directions through the hub, and bad inputs.

Each step says what it expects; the demo fails when a step gets anything else.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import httpx
import requests
import zeep
import zeep.exceptions
from zeep.transports import Transport

from simulations.credentials import bearer
from simulations.departments import CASE_PURPOSE
from translation.soap_envelope import SOAP11_NS

HARDENED_ZEEP = zeep.Settings(
    strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True, xml_huge_tree=False
)


@dataclass(frozen=True)
class StepResult:
    """What one scripted query got back."""

    name: str
    via: str
    client: str
    service: str
    expected: str
    got: str
    detail: str
    elapsed_ms: float

    @property
    def ok(self) -> bool:
        return self.expected == self.got


@dataclass(frozen=True)
class Step:
    name: str
    via: str
    client: str
    service: str
    expected: str
    run: Callable[[], Awaitable[tuple[str, str]]]


# Who the consent steps are about, and what they consent to.
CONSENTING_CITIZEN = "19751224-5678"
CONSENT_PURPOSE = "income-verification"


class ConsentDesk(Protocol):
    """Where the citizen gives and withdraws consent (the demo records it in the ledger)."""

    async def grant(self, national_id: str, purpose: str, recipient: str) -> None: ...

    async def revoke(self, national_id: str, purpose: str, recipient: str) -> None: ...


class Scenario:
    """The demo scenario against one hub at ``hub_url`` in ``region``.

    Clients present the bearer tokens in ``tokens`` (region/department -> token).
    With a ``consents`` desk, the access steps run too: a query without a right,
    a forged purpose, a query minimised for its purpose, and a consent-bound query
    refused, allowed once consent is given, refused again once it is withdrawn.
    """

    def __init__(
        self, hub_url: str, region: str, max_payload_bytes: int, tokens: dict[str, str],
        consents: ConsentDesk | None = None,
    ) -> None:
        self.hub_url = hub_url
        self.tokens = tokens  # region/department -> bearer token
        self.region = region
        self.max_payload_bytes = max_payload_bytes
        self.consents = consents
        self.ss_service = f"{region}/social-security/contribution-history"
        self.tax_service = f"{region}/tax/tax-clearance"

    def steps(self, http: httpx.AsyncClient) -> list[Step]:
        tax, ss = f"{self.region}/tax", f"{self.region}/social-security"
        steps = [
            Step(
                f"history of {pid}",
                "json",
                tax,
                self.ss_service,
                "completed",
                lambda pid=pid, a=a, b=b: self._json_query(
                    http,
                    tax,
                    self.ss_service,
                    {"national_id": pid, "period_start": a, "period_end": b},
                ),
            )
            for pid, a, b in (
                ("19800101-1234", "2000-01-01", "2026-12-31"),
                ("19751224-5678", "1990-01-01", "2026-12-31"),
                ("19920315-2468", "2015-01-01", "2025-12-31"),
            )
        ]
        steps += [
            Step(
                f"clearance of {pid} for {year}",
                "soap",
                ss,
                self.tax_service,
                "completed",
                lambda pid=pid, year=year: self._soap_query(ss, pid, year),
            )
            for pid, year in (
                ("19800101-1234", 2025),
                ("19680229-9012", 2025),
                ("19920315-2468", 2025),
            )
        ]
        steps += [
            Step(
                "malformed JSON",
                "json",
                tax,
                self.ss_service,
                "rejected",
                lambda: self._raw_json(http, tax, self.ss_service, b'{"national_id": "1980'),
            ),
            Step(
                "SOAP body violating the schema",
                "soap",
                ss,
                self.tax_service,
                "rejected",
                lambda: self._raw_soap(http, ss, _bad_tax_year_body()),
            ),
            Step(
                "unknown service",
                "json",
                tax,
                f"{self.region}/vehicles/registration",
                "rejected",
                lambda: self._json_query(
                    http, tax, f"{self.region}/vehicles/registration", {"plate": "ABC-123"}
                ),
            ),
            Step(
                "oversized payload",
                "json",
                tax,
                self.ss_service,
                "rejected",
                lambda: self._raw_json(
                    http, tax, self.ss_service, b'{"pad": "' + b"x" * self.max_payload_bytes + b'"}'
                ),
            ),
        ]
        if self.consents is not None:
            steps += self._access_steps(http, self.consents)
        return steps

    def _access_steps(self, http: httpx.AsyncClient, desk: ConsentDesk) -> list[Step]:
        """Rights, purposes, minimisation and consent (hub.service_layer.security)."""
        tax, ss = f"{self.region}/tax", f"{self.region}/social-security"
        query = {"national_id": CONSENTING_CITIZEN, "period_start": "1990-01-01",
                 "period_end": "2026-12-31"}

        def ask(purpose: str, client: str = tax) -> Callable[[], Awaitable[tuple[str, str]]]:
            return lambda: self._json_query(http, client, self.ss_service, query, purpose)

        async def after(action: Awaitable[None], purpose: str) -> tuple[str, str]:
            await action
            return await ask(purpose)()

        return [
            Step("no right: social security asks for a history", "json", ss, self.ss_service,
                 "rejected", ask(CASE_PURPOSE, ss)),
            Step("forged purpose: licence-renewal not granted", "json", ss, self.tax_service,
                 "rejected", lambda: self._json_query(
                     http, ss, self.tax_service,
                     {"national_id": CONSENTING_CITIZEN, "tax_year": 2025}, "licence-renewal")),
            Step("minimised for tax-assessment", "json", tax, self.ss_service, "completed",
                 ask("tax-assessment")),
            Step("income-verification without consent", "json", tax, self.ss_service,
                 "rejected", ask(CONSENT_PURPOSE)),
            Step("citizen consents; income-verification", "json", tax, self.ss_service,
                 "completed", lambda: after(desk.grant(CONSENTING_CITIZEN, CONSENT_PURPOSE, tax),
                                            CONSENT_PURPOSE)),
            Step("citizen revokes; income-verification", "json", tax, self.ss_service,
                 "rejected", lambda: after(desk.revoke(CONSENTING_CITIZEN, CONSENT_PURPOSE, tax),
                                           CONSENT_PURPOSE)),
        ]

    async def run(self) -> list[StepResult]:
        results = []
        async with httpx.AsyncClient(timeout=60) as http:
            for step in self.steps(http):
                started = time.perf_counter()
                got, detail = await step.run()
                results.append(
                    StepResult(
                        step.name,
                        step.via,
                        step.client,
                        step.service,
                        step.expected,
                        got,
                        detail,
                        (time.perf_counter() - started) * 1000,
                    )
                )
        return results

    async def _json_query(
        self, http: httpx.AsyncClient, client: str, service: str, body: dict[str, object],
        purpose: str = CASE_PURPOSE,
    ) -> tuple[str, str]:
        return await self._raw_json(http, client, service, json.dumps(body).encode(), purpose)

    async def _raw_json(
        self, http: httpx.AsyncClient, client: str, service: str, body: bytes,
        purpose: str = CASE_PURPOSE,
    ) -> tuple[str, str]:
        response = await http.post(
            f"{self.hub_url}/services/{service}",
            content=body,
            headers={"X-Hub-Client": client, "X-Hub-Purpose": purpose,
                     "Content-Type": "application/json", **bearer(self.tokens, client)},
        )
        if response.status_code == 200:
            if purpose != CASE_PURPOSE:  # minimised: say which fields came back
                return "completed", f"200 fields {_field_names(response.json())}"
            return "completed", f"200 {response.headers['X-Contract']}"
        problem = response.json()
        outcome = "rejected" if response.status_code < 500 else "failed"
        return outcome, f"{response.status_code} {problem['code']}: {problem['detail'][:70]}"

    async def _soap_query(self, client: str, national_id: str, year: int) -> tuple[str, str]:
        def call() -> tuple[str, str]:
            session = requests.Session()
            session.headers.update({"X-Hub-Client": client, "X-Hub-Purpose": CASE_PURPOSE,
                                    **bearer(self.tokens, client)})
            soap = zeep.Client(
                f"{self.hub_url}/soap?wsdl",
                settings=HARDENED_ZEEP,
                transport=Transport(session=session, timeout=60),
            )
            try:
                answer = soap.service.TaxClearance(national_id=national_id, tax_year=year)
            except zeep.exceptions.Fault as fault:
                return "failed", f"SOAP Fault {fault.message[:70]}"
            finally:
                session.close()
            return "completed", f"200 status={answer.status} owed={answer.outstanding_amount}"

        return await asyncio.to_thread(call)

    async def _raw_soap(self, http: httpx.AsyncClient, client: str, body: bytes) -> tuple[str, str]:
        response = await http.post(
            f"{self.hub_url}/soap",
            content=body,
            headers={
                "X-Hub-Client": client,
                "X-Hub-Purpose": CASE_PURPOSE,
                **bearer(self.tokens, client),
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": "TaxClearance",
            },
        )
        if response.status_code == 200:
            return "completed", "200"
        fault = response.text
        outcome = (
            "rejected" if "<faultcode>soap:Client" in fault or ":Client<" in fault else "failed"
        )
        start = fault.find("<faultstring>") + len("<faultstring>")
        faultstring = fault[start : fault.find("</faultstring>")]
        return outcome, f"{response.status_code} Fault {faultstring}"


def _field_names(document: object, prefix: str = "") -> str:
    """The dotted paths of a JSON answer's leaves, once each (list items merged)."""
    names: dict[str, None] = {}

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}{key}.")
        elif isinstance(node, list):
            for item in node:
                walk(item, path)
        else:
            names[path.rstrip(".")] = None

    walk(document, prefix)
    return ",".join(names)


def _bad_tax_year_body() -> bytes:
    return (
        f'<soap:Envelope xmlns:soap="{SOAP11_NS}"><soap:Body>'
        '<c:TaxClearanceQuery xmlns:c="urn:interop-hub:contracts:1">'
        "<c:national_id>19800101-1234</c:national_id><c:tax_year>twenty</c:tax_year>"
        "</c:TaxClearanceQuery></soap:Body></soap:Envelope>"
    ).encode()
