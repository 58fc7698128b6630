"""The demo's documents step: a certificate supplied once, then used by two departments.

Social security supplies the citizen's certificate of insured periods to its own service
(``POST /documents``); it reads it back for a benefit claim (basis ``party``) and the tax
office reads the same bytes for a tax assessment (on its right to the service) — each
through a link of its own (``POST /documents/{id}/links``) and its own token. The hub
records two disclosures, which the data-use report the demo prints lists.

With several regions (``demo --regions N``), :func:`certificate_across_regions` sends a
certificate with a record from one region to another.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from hub.entrypoints.serve import Hub
from hub.service_layer.documents.cross_region import DOCUMENTS_HEADER
from simulations.credentials import bearer
from simulations.departments import CASE_PURPOSE
from simulations.federation_scenarios import CLEARANCE, TAX_CLEARANCE

CERTIFICATE = (
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"3 0 obj\n(Certificate of insured periods, issued by the social security bureau)\n"
    b"endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
_POLL_S = 0.1


@dataclass
class DocumentsStep:
    """What the step did: the document and, per department, how its read went."""

    document_id: str = ""
    sha256: str = ""
    reads: dict[str, str] = field(default_factory=dict)  # department -> "ok (basis)" or why not
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem and len(self.reads) == 2 and all(
            r.startswith("ok") for r in self.reads.values())

    def lines(self) -> list[str]:
        if self.problem:
            return [f"documents: FAILED — {self.problem}"]
        return [f"documents: certificate {self.document_id} supplied once "
                f"(sha256 {self.sha256[:16]}…), read by "
                + "; ".join(f"{dept} {how}" for dept, how in self.reads.items())]


async def certificate_used_twice(base_url: str, region: str, tokens: dict[str, str],
                                 subject: str) -> DocumentsStep:
    """Supply the certificate once, then read it as social security and as the tax office."""
    social, tax = f"{region}/social-security", f"{region}/tax"
    service = f"{social}/contribution-history"
    step = DocumentsStep()
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        supplied = await http.post(
            "/documents", headers=bearer(tokens, social),
            data={"service": service, "purpose": CASE_PURPOSE, "subject": subject},
            files={"file": ("certificate.pdf", CERTIFICATE, "application/pdf")})
        if supplied.status_code != 201:
            step.problem = f"supply answered {supplied.status_code}: {supplied.text[:200]}"
            return step
        step.document_id, step.sha256 = supplied.json()["document_id"], supplied.json()["sha256"]
        for department, purpose in ((social, CASE_PURPOSE), (tax, "tax-assessment")):
            step.reads[department] = await _read(http, tokens, department, purpose, step)
    return step


async def _read(http: httpx.AsyncClient, tokens: dict[str, str], department: str,
                purpose: str, step: DocumentsStep) -> str:
    """A link for ``department`` (asked with its own token), then the bytes through it."""
    link = await http.post(f"/documents/{step.document_id}/links",
                           headers=bearer(tokens, department), json={"purpose": purpose})
    if link.status_code != 201:
        return f"refused a link: {link.status_code} {link.text[:200]}"
    got = await http.get(link.json()["url"], headers=bearer(tokens, department))
    if got.status_code != 200 or hashlib.sha256(got.content).hexdigest() != step.sha256:
        return f"download answered {got.status_code}, not the supplied bytes"
    return f"ok ({purpose}, basis {link.json()['basis']})"


@dataclass
class AcrossRegions:
    """What the cross-region documents step did."""

    line: str
    ok: bool


async def certificate_across_regions(
    issuer: Hub, issuer_tokens: dict[str, str],
    receivers: Mapping[str, tuple[Hub, dict[str, str]]], *, within_s: float = 20.0,
) -> AcrossRegions:
    """The issuer's tax office supplies a clearance certificate and issues the clearance
    record with it; once the first region whose agreement covers it (of ``receivers``, by
    name) recognised the record, its social security office keeps the certificate (fetched
    across the leaf link, checked against the signed digest)."""
    link = issuer.federation.link if issuer.federation else None
    covered = await link.call(link.recipients, "tax", CLEARANCE) if link else []
    south = next((name for name in covered if name in receivers), None)
    if south is None:
        return AcrossRegions("documents across regions: FAILED — no region recognises "
                             f"{CLEARANCE} from {issuer.settings.region}", False)
    receiver, receiver_tokens = receivers[south]
    north = issuer.settings.region
    tax, social = f"{north}/tax", f"{south}/social-security"
    async with httpx.AsyncClient(timeout=30) as http:
        supplied = await http.post(
            f"{issuer.http_url}/documents", headers=bearer(issuer_tokens, tax),
            data={"service": f"{tax}/tax-clearance", "purpose": CASE_PURPOSE,
                  "subject": TAX_CLEARANCE["national_id"]},
            files={"file": ("clearance.pdf", CERTIFICATE, "application/pdf")})
        if supplied.status_code != 201:
            return AcrossRegions(f"documents across regions: FAILED — supply answered "
                                 f"{supplied.status_code}: {supplied.text[:200]}", False)
        document_id = supplied.json()["document_id"]
        issued = await http.post(
            f"{issuer.http_url}/records/{CLEARANCE}", json=TAX_CLEARANCE,
            headers={**bearer(issuer_tokens, tax), DOCUMENTS_HEADER: document_id})
        if issued.status_code != 202 or not issued.json().get("attested"):
            return AcrossRegions(f"documents across regions: FAILED — issuing answered "
                                 f"{issued.status_code}: {issued.text[:200]}", False)
        record_id = issued.json()["record_id"]
        ask = {"issuer": north, "record_id": record_id, "document_id": document_id,
               "service": f"{social}/contribution-history", "purpose": CASE_PURPOSE,
               "subject": TAX_CLEARANCE["national_id"]}
        kept = await _kept(http, receiver, bearer(receiver_tokens, social), ask, within_s)
    if kept.status_code != 201:
        return AcrossRegions(f"documents across regions: FAILED — {south} answered "
                             f"{kept.status_code}: {kept.text[:200]}", False)
    ok = kept.json()["sha256"] == supplied.json()["sha256"]
    return AcrossRegions(
        f"documents across regions: {tax}'s certificate {document_id[:8]} went with record "
        f"{record_id[:8]}; {south} fetched it, checked its signed SHA-256 and kept it as "
        f"{kept.json()['document_id'][:8]} (supplier {kept.json()['supplier']})", ok)


async def _kept(http: httpx.AsyncClient, receiver: Hub, headers: dict[str, str],
                ask: dict[str, str], within_s: float) -> httpx.Response:
    """Ask once the receiver has recognised the record (the attestation travels
    asynchronously; waited for at most ``within_s``), so no refusal is recorded meanwhile."""
    if receiver.federation is not None:
        app = receiver.federation.federation.app
        for _ in range(int(within_s / _POLL_S)):
            if await asyncio.to_thread(app.recognised_attestation, ask["issuer"],
                                       ask["record_id"]) is not None:
                break
            await asyncio.sleep(_POLL_S)
    return await http.post(f"{receiver.http_url}/documents/attested", headers=headers, json=ask)
