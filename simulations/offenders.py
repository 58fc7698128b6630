"""Two simulated offenders, for the access watch: they misuse real credentials over HTTP.

- :func:`curious_employee`: a clerk whose credential usually looks up a few people
  an hour, who one day looks up the neighbours: many distinct national ids
  around one address's (sequential numbers), each a legitimate-looking query
  with a purpose the department holds, every one answered.
- :func:`scraper`: a system walking through identifiers in order, asking for a
  purpose its department was not granted: most requests are refused.

Both send to a hub's JSON ingress (``POST /services/{service}``) on loopback and
return what happened; a bounded number of requests, one at a time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx

MAX_REQUESTS = 1000
"""No offender sends more than this in one call (every loop here is bounded)."""


@dataclass
class Offence:
    """What an offender's requests met: answered, refused (by code), exchange ids."""

    answered: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    exchanges: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return len(self.statuses)


def sequential_ids(first: str, count: int) -> list[str]:
    """``count`` national ids from ``first`` on (``YYYYMMDD-NNNN``, the serial counting up)."""
    if not 0 < count <= MAX_REQUESTS:
        raise ValueError(f"count must be 1..{MAX_REQUESTS}")
    born, serial = first.split("-")
    return [f"{born}-{(int(serial) + i) % 10_000:04d}" for i in range(count)]


def history_query(national_id: str) -> bytes:
    """A contribution history query about ``national_id`` (JSON)."""
    return json.dumps({"national_id": national_id, "period_start": "2000-01-01",
                       "period_end": "2025-12-31"}).encode()


def clearance_query(national_id: str) -> bytes:
    """A tax clearance query about ``national_id`` (JSON)."""
    return json.dumps({"national_id": national_id, "tax_year": 2025}).encode()


async def _ask(http: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str],
               offence: Offence) -> None:
    response = await http.post(url, content=body, headers=headers)
    offence.statuses.append(response.status_code)
    if exchange := response.headers.get("X-Exchange-Id"):
        offence.exchanges.append(exchange)
    if response.status_code == 200:
        offence.answered += 1
        return
    try:
        code = str(response.json().get("code", response.status_code))
    except ValueError:
        code = str(response.status_code)
    offence.refused[code] = offence.refused.get(code, 0) + 1


def _headers(token: str, department: str, purpose: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "X-Hub-Client": department,
            "X-Hub-Purpose": purpose, "Content-Type": "application/json"}


async def curious_employee(
    http: httpx.AsyncClient, hub_url: str, *, token: str, department: str, service: str,
    purpose: str, usual: Sequence[str], neighbours_from: str, neighbours: int,
) -> Offence:
    """The ``usual`` lookups of a working day, then ``neighbours`` distinct ids in a row."""
    offence = Offence()
    url = f"{hub_url}/services/{service}"
    headers = _headers(token, department, purpose)
    for national_id in [*usual[:MAX_REQUESTS], *sequential_ids(neighbours_from, neighbours)]:
        await _ask(http, url, history_query(national_id), headers, offence)
    return offence


async def scraper(
    http: httpx.AsyncClient, hub_url: str, *, token: str, department: str, service: str,
    purpose: str, first: str, count: int, stop_when_refused: str | None = None,
) -> Offence:
    """Walk ``count`` sequential ids from ``first``; stop early at the first refusal whose
    code is ``stop_when_refused`` (e.g. its credential was suspended)."""
    offence = Offence()
    url = f"{hub_url}/services/{service}"
    headers = _headers(token, department, purpose)
    for national_id in sequential_ids(first, count):
        await _ask(http, url, clearance_query(national_id), headers, offence)
        if stop_when_refused is not None and offence.refused.get(stop_when_refused):
            break
    return offence
