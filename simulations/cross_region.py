"""Cross-region steps of the multi-region demo: what region A asks of region B.

Each step builder takes the asking and the answering region and returns
:class:`simulations.scenario.Step` s; :data:`PAIR_STEPS` lists the builders the
demo runs for every linked pair, so later parts (record recognition,
revocation, reconciliation) add a builder here rather than a new loop.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import requests
import zeep
import zeep.exceptions
from zeep.transports import Transport

from simulations.credentials import bearer
from simulations.departments import CASE_PURPOSE
from simulations.scenario import HARDENED_ZEEP, Step


@dataclass(frozen=True)
class DemoRegion:
    """One running region of the demo, as the steps need it."""

    name: str
    http_url: str
    tokens: dict[str, str]  # region/department -> bearer token (this region's departments)


PairSteps = Callable[[DemoRegion, DemoRegion, httpx.AsyncClient], list[Step]]


def cross_region_queries(
    asking: DemoRegion, answering: DemoRegion, http: httpx.AsyncClient
) -> list[Step]:
    """A JSON client of ``asking`` asks ``answering``'s SOAP bureau; a SOAP client its JSON one."""
    a, b = asking.name, answering.name
    history = f"{b}/social-security/contribution-history"
    clearance = f"{b}/tax/tax-clearance"
    query = {"national_id": "19800101-1234", "period_start": "2000-01-01",
             "period_end": "2026-12-31"}
    return [
        Step(f"{a} asks {b}: history", "json", f"{a}/tax", history, "completed",
             lambda: json_query(http, asking.http_url, f"{a}/tax", history, query,
                                asking.tokens)),
        Step(f"{a} asks {b}: clearance", "soap", f"{a}/social-security", clearance, "completed",
             lambda: soap_clearance(f"{asking.http_url}/peers/{b}/soap?wsdl",
                                    f"{a}/social-security", "19800101-1234", 2025,
                                    asking.tokens)),
    ]


# Every builder runs for every linked pair (asking, answering), in this order.
PAIR_STEPS: list[PairSteps] = [cross_region_queries]


async def json_query(
    http: httpx.AsyncClient, hub_url: str, client: str, service: str, body: dict[str, object],
    tokens: dict[str, str],
) -> tuple[str, str]:
    """POST the request contract as JSON; (outcome, detail)."""
    response = await http.post(
        f"{hub_url}/services/{service}",
        content=json.dumps(body).encode(),
        headers={"X-Hub-Client": client, "X-Hub-Purpose": CASE_PURPOSE,
                 "Content-Type": "application/json", **bearer(tokens, client)},
    )
    if response.status_code == 200:
        return "completed", f"200 {response.headers['X-Contract']}"
    problem = response.json()
    outcome = "rejected" if response.status_code < 500 else "failed"
    return outcome, f"{response.status_code} {problem['code']}: {problem['detail'][:70]}"


async def soap_clearance(
    wsdl: str, client: str, national_id: str, year: int, tokens: dict[str, str]
) -> tuple[str, str]:
    """Call TaxClearance with zeep at ``wsdl``; (outcome, detail)."""

    def call() -> tuple[str, str]:
        session = requests.Session()
        session.headers.update({"X-Hub-Client": client, "X-Hub-Purpose": CASE_PURPOSE,
                                **bearer(tokens, client)})
        soap = zeep.Client(wsdl, settings=HARDENED_ZEEP,
                           transport=Transport(session=session, timeout=60))
        try:
            answer = soap.service.TaxClearance(national_id=national_id, tax_year=year)
        except zeep.exceptions.Fault as fault:
            return "failed", f"SOAP Fault {fault.message[:70]}"
        finally:
            session.close()
        return "completed", f"200 status={answer.status} owed={answer.outstanding_amount}"

    return await asyncio.to_thread(call)
