"""A document that goes with a record, through two running hubs linked by a leaf node.

North's tax office supplies a clearance certificate and issues the clearance record with it
(``POST /records/...`` with ``X-Hub-Documents``); south recognises the attestation, and its
social security office keeps the certificate (``POST /documents/attested``): fetched from
north across the leaf link, checked against the signed digest, sealed under south's own
subject reference. Real nats-servers and hubs, as the reconciliation tests run them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from uuid import UUID

import httpx

from hub.bootstrap.federation import FederationTransport
from hub.domain.document import Document
from hub.service_layer.federation.app import utc_now
from hub.settings import HubSettings
from simulations.federation_scenarios import (
    CLEARANCE,
    TAX_CLEARANCE,
    FederatedRegion,
    prepare,
    receipt_of,
)
from tests.integration.documents_fixtures import pdf
from tests.integration.hub_fixtures import PURPOSE, auth_headers
from tests.integration.links_fixtures import LinkedRegion, linked_regions
from tests.integration.partition_helpers import south_reachable

CITIZEN = TAX_CLEARANCE["national_id"]


def _federated(linked: LinkedRegion) -> FederatedRegion:
    transport = linked.hub.federation
    assert isinstance(transport, FederationTransport), f"{linked.name}: no federation"
    return FederatedRegion(linked.settings, transport.federation, transport.link)


def _base(tmp_path: Path) -> HubSettings:
    return HubSettings(data=tmp_path, reply_timeout_s=20, retry_backoff_s=0.05,
                       link_timeout_s=3, gossip_interval_s=60, log_format="json")


async def test_a_certificate_travels_with_a_record_and_is_kept_by_the_receiving_region(
    tmp_path: Path,
) -> None:
    """Issued with its certificate in north, recognised in south, fetched and kept in south
    under south's subject reference; an unattested id and an unrecognised record are
    refused with the reason named."""
    async with linked_regions(_base(tmp_path), ["north", "south"]) as regions:
        north, south = _federated(regions["north"]), _federated(regions["south"])
        await prepare({"north": north, "south": south}, now=utc_now())
        await south_reachable(north)
        north_hub, south_hub = regions["north"].hub, regions["south"].hub
        data = pdf(b"3 0 obj\n(tax clearance certificate)\nendobj\n", pad=300_000)
        async with httpx.AsyncClient(timeout=30) as http:
            supplied = await http.post(
                f"{north_hub.http_url}/documents", headers=auth_headers(north_hub, "north/tax"),
                data={"service": "north/tax/tax-clearance", "purpose": PURPOSE,
                      "subject": CITIZEN},
                files={"file": ("clearance.pdf", data, "application/pdf")})
            assert supplied.status_code == 201, supplied.text
            document_id = supplied.json()["document_id"]
            issued = await http.post(
                f"{north_hub.http_url}/records/{CLEARANCE}", json=TAX_CLEARANCE,
                headers=auth_headers(north_hub, "north/tax", **{"X-Hub-Documents": document_id}))
            assert issued.status_code == 202, issued.text
            record_id = issued.json()["record_id"]
            receipt = await receipt_of(north, UUID(record_id), "south")
            assert receipt is not None and receipt["outcome"] == "recognised", receipt

            def ask(**body: str) -> dict[str, str]:
                return {"issuer": "north", "record_id": record_id, "document_id": document_id,
                        "service": "south/social-security/contribution-history",
                        "purpose": PURPOSE, "subject": CITIZEN, **body}

            social = auth_headers(south_hub, "south/social-security")
            kept = await http.post(f"{south_hub.http_url}/documents/attested",
                                   headers=social, json=ask())
            not_attested = await http.post(
                f"{south_hub.http_url}/documents/attested", headers=social,
                json=ask(document_id="00000000-0000-4000-8000-000000000000"))
            not_recognised = await http.post(
                f"{south_hub.http_url}/documents/attested", headers=social,
                json=ask(record_id="00000000-0000-4000-8000-000000000001"))
            assert kept.status_code == 201, kept.text
            link = await http.post(
                f"{south_hub.http_url}/documents/{kept.json()['document_id']}/links",
                headers=social, json={"purpose": PURPOSE})
            got = await http.get(f"{south_hub.http_url}{link.json()['url']}", headers=social)
        north_document = north_hub.ledger.repository.get(Document.create_id(document_id))
        south_ref = south_hub.ledger.keyring.ref_for(CITIZEN)
    assert got.status_code == 200 and got.content == data
    assert kept.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert kept.json()["supplier"] == "north/tax"
    assert kept.json()["subject"] == south_ref
    assert kept.json()["subject"] != supplied.json()["subject"]
    assert (not_attested.status_code, not_attested.json()["issues"][0]["code"]) == (
        403, "not-attested")
    assert (not_recognised.status_code, not_recognised.json()["issues"][0]["code"]) == (
        403, "not-recognised")
    assert [d["recipient"] for d in north_document.disclosures] == ["region:south"]
