"""Records recognised across regions over NATS: the federation scenarios of issue #5.

Each region opens its federation (keys, trust list, ``FederationApp``) from its
data folder and a :class:`~hub.service_layer.federation.recognition_link.RecognitionLink` to its own
nats-server. :func:`federated_regions` introduces the regions to each other
(trust lists from their signed region cards) and sets up the agreements of
:func:`agreements` in-process (propose in the issuer, accept in the receiver,
record the acceptance in the issuer). :func:`run_scenarios` then runs:

1. a citizen moves from north to south: their contribution history
   (``north/social-security``) is recognised in south;
2. a tax clearance issued by ``north/tax`` (the "business licence") is
   recognised by east (by south when there are only two regions);
3. a revocation: north revokes a record it sent south; south withdraws its recognition;
4. a record outside the agreement (a contract not in scope) is refused with
   reason ``out-of-agreement``.

Each step prints one line; :func:`count_lines` gives ``REGION: recognised N, refused M``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from federation.trust import publish_region_card, read_region_card
from hub.bootstrap.federation import (
    FederationTransport,
    RegionFederation,
    open_federation,
    save_trust,
)
from hub.bootstrap.reconciliation import reconcile_folders
from hub.service_layer.federation.app import utc_now
from hub.service_layer.federation.recognition_link import RecognitionLink
from hub.settings import HubSettings

CONTRIBUTIONS = "social-security.contribution-history@1.0"
CLEARANCE = "tax.clearance@1.0"
PERSON = "person.identity@1.0"


_RECEIPT_WAIT_S = 15.0

HISTORY = {
    "person": {"national_id": "NO12345678", "family_name": "Nordmann", "given_names": "Kari",
               "date_of_birth": "1980-05-17"},
    "periods": [{"employer_id": "NO-998877", "employer_name": "Fjord Shipping AS",
                 "start": "2015-01-01", "end": "2025-12-31", "contribution_base": "52000.00",
                 "currency": "EUR"}],
    "as_of": "2026-01-31",
}
TAX_CLEARANCE = {"national_id": "NO87654321", "tax_year": 2025, "status": "cleared",
                 "outstanding_amount": "0.00", "currency": "EUR", "issued_on": "2026-03-01"}
PERSON_DOC = {"national_id": "NO12345678", "family_name": "Nordmann", "given_names": "Kari",
              "date_of_birth": "1980-05-17"}


def agreements(names: Sequence[str]) -> list[tuple[str, str, list[str], list[str]]]:
    """(issuer, receiver, contracts, issuing departments) for the regions that run.

    South recognises north's contribution histories; east north's tax clearances
    (south does, when there is no east).
    """
    business = "east" if "east" in names else "south"
    wanted = [("north", "south", [CONTRIBUTIONS], ["north/social-security"]),
              ("north", business, [CLEARANCE], ["north/tax"])]
    return [a for a in wanted if a[0] in names and a[1] in names]


def subject_ref(national_id: str) -> str:
    """A pseudonymous subject reference for the demo (a real hub derives it with a key)."""
    return "ds-" + hashlib.sha256(national_id.encode()).hexdigest()[:32]


@dataclass
class FederatedRegion:
    """One region's federation and its transport, while the scenarios run."""

    settings: HubSettings
    federation: RegionFederation
    link: RecognitionLink

    @property
    def name(self) -> str:
        return self.federation.region


@dataclass(frozen=True)
class Outcome:
    """One scenario step: what was expected, what happened."""

    name: str
    expected: str
    got: str

    @property
    def ok(self) -> bool:
        return self.expected == self.got

    def line(self) -> str:
        mark = "ok" if self.ok else f"UNEXPECTED, expected {self.expected}"
        return f"{self.name}: {self.got} ({mark})"


def introduce(regions: Sequence[RegionFederation], *, now: dt.datetime) -> None:
    """Each region trusts every other one's keys (from its signed card); lists saved and used."""
    cards = {r.region: read_region_card(publish_region_card(r.keys, r.app.fingerprint, now=now))
             for r in regions}
    for region in regions:
        trust = region.app.trust
        for name, peer in cards.items():
            if name != region.region:
                trust = trust.with_peer(peer, now=now)
        signed = save_trust(region.settings, region.keys, trust)
        region.trust = region.app.use_trust_list(signed)


def agree(issuer: RegionFederation, receiver: RegionFederation, contracts: Sequence[str],
          departments: Sequence[str], *, now: dt.datetime) -> UUID:
    """An accepted agreement: ``receiver`` recognises ``contracts`` from ``departments``."""
    agreement_id, signed = issuer.app.propose_agreement(
        accepter=receiver.region, contracts=contracts, departments=departments,
        valid_from=now - dt.timedelta(minutes=5), valid_until=now + dt.timedelta(days=365))
    receiver.app.receive_proposal(signed, from_region=issuer.region)
    issuer.app.record_acceptance(receiver.app.accept_agreement(agreement_id),
                                 from_region=receiver.region)
    return agreement_id


async def prepare(opened: Mapping[str, FederatedRegion], *, now: dt.datetime) -> None:
    """Introduce the regions to each other and set up the agreements of :func:`agreements`."""
    await asyncio.to_thread(introduce, [r.federation for r in opened.values()], now=now)
    for issuer, receiver, contracts, departments in agreements(list(opened)):
        await asyncio.to_thread(agree, opened[issuer].federation, opened[receiver].federation,
                                contracts, departments, now=now)


@contextlib.asynccontextmanager
async def federated_regions(
    regions: Sequence[tuple[HubSettings, str]], *, clock: Callable[[], dt.datetime] = utc_now,
) -> AsyncIterator[dict[str, FederatedRegion]]:
    """Open each ``(settings, nats_url)`` region's federation, introduce them, agree, link."""
    async with contextlib.AsyncExitStack() as stack:
        opened: dict[str, FederatedRegion] = {}
        for settings, url in regions:
            federation = await asyncio.to_thread(open_federation, settings, clock=clock)
            stack.callback(federation.close)
            link = await RecognitionLink.connect(url, federation.app)
            stack.push_async_callback(link.close)
            opened[federation.region] = FederatedRegion(settings, federation, link)
        await prepare(opened, now=clock())
        for region in opened.values():
            await region.link.start()
        yield opened


async def receipt_of(issuer: FederatedRegion, record_id: UUID, receiver: str, *,
                     revocation: bool = False, within_s: float = _RECEIPT_WAIT_S
                     ) -> dict[str, Any] | None:
    """The receipt ``receiver`` sent back for a record's attestation (or revocation), once
    ``issuer`` recorded it; None if none arrived in time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while True:
        record = await issuer.link.call(issuer.federation.app.get_record, record_id)
        statement = record.revocation_digest if revocation else record.attestation_digest
        for receipt in record.receipts.values():
            if receipt["receiver"] == receiver and receipt["statement"] == statement:
                return receipt
        if loop.time() > deadline:
            return None
        await asyncio.sleep(0.05)


def _said(receipt: Mapping[str, Any] | None) -> str:
    if receipt is None:
        return "no receipt"
    reason = receipt.get("reason")
    return str(receipt["outcome"]) + (f" ({reason})" if reason else "")


async def run_scenarios(
    regions: Mapping[str, FederatedRegion], say: Callable[[str], None] = print
) -> list[Outcome]:
    """Run the scenarios of the module docstring; each step says one line."""
    north, south = regions["north"], regions["south"]
    business = regions.get("east", south)
    outcomes: list[Outcome] = []

    async def step(name: str, expected: str, got: str) -> None:
        outcome = Outcome(name, expected, got)
        outcomes.append(outcome)
        say(outcome.line())

    moved = await north.link.issue("social-security", CONTRIBUTIONS, HISTORY,
                                   subject_ref=subject_ref("NO12345678"))
    await step("citizen moves north→south: contribution history in south",
               "recognised", _said(await receipt_of(north, moved.record.record_id, "south")))

    licence = await north.link.issue("tax", CLEARANCE, TAX_CLEARANCE,
                                     subject_ref=subject_ref("NO87654321"))
    await step(f"business licence (north/tax clearance) in {business.name}",
               "recognised",
               _said(await receipt_of(north, licence.record.record_id, business.name)))

    corrected = await north.link.issue("social-security", CONTRIBUTIONS, HISTORY,
                                       subject_ref=subject_ref("NO12345678"))
    first = _said(await receipt_of(north, corrected.record.record_id, "south"))
    await north.link.revoke(corrected.record.record_id, "issued in error")
    withdrawn = await receipt_of(north, corrected.record.record_id, "south", revocation=True)
    recognition = await south.link.call(south.federation.app.recognition_of, "north",
                                        str(corrected.record.record_id))
    still = recognition is not None and recognition.is_recognised
    await step("revocation: north revokes, south withdraws",
               "recognised, then withdrawn",
               f"{first}, then {_said(withdrawn)}" + (" (still recognised)" if still else ""))

    outside = await north.link.issue("social-security", PERSON, PERSON_DOC,
                                     subject_ref=subject_ref("NO12345678"), to=["south"])
    await step("outside the agreement: person.identity@1.0 in south",
               "refused (out-of-agreement)",
               _said(await receipt_of(north, outside.record.record_id, "south")))
    return outcomes


async def count_lines(regions: Mapping[str, FederatedRegion]) -> list[str]:
    """``REGION: recognised N, refused M`` for each region, from its recognition events."""
    lines = []
    for name, region in regions.items():
        counts = await region.link.call(region.federation.app.recognition_counts)
        lines.append(f"{name}: recognised {counts['recognised']}, refused {counts['refused']}")
    return lines


@dataclass(frozen=True)
class DemoFederation:
    """What the federation part of ``interop-hub demo --regions N`` did."""

    ok: bool
    count_lines: list[str]
    reconcile_lines: list[str]


async def demo_federation(
    regions: Sequence[tuple[HubSettings, FederationTransport]],
    queries: Sequence[Any],
    say: Callable[[str], None] = print,
) -> DemoFederation:
    """The scenarios over each running hub's federation transport, then a reconcile of
    every pair (offline, on the data folders).

    ``queries``: the demo's cross-region query results (anything with ``ok``), which
    stand for the driving-licence-style check across regions.
    """
    answered = sum(1 for q in queries if q.ok)
    say(f"driving-licence-style check (cross-region queries): {answered} of {len(queries)} "
        "as expected")
    opened = {t.federation.region: FederatedRegion(s, t.federation, t.link) for s, t in regions}
    await prepare(opened, now=utc_now())
    outcomes = await run_scenarios(opened, say)
    counts = await count_lines(opened)
    reconcile_lines, agreed = [], True
    settings = [s for s, _ in regions]
    for i, left in enumerate(settings):
        for right in settings[i + 1:]:
            report = (await asyncio.to_thread(reconcile_folders, left, right)).final
            agreed = agreed and report.exit_code == 0
            reconcile_lines.append(report.summary())
            say(report.summary())
    ok = all(o.ok for o in outcomes) and answered == len(queries) and agreed
    return DemoFederation(ok, counts, reconcile_lines)
