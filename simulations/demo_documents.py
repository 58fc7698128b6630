"""The demo's documents step: a certificate supplied once, then used by two departments.

Social security supplies the citizen's certificate of insured periods to its own service
(``POST /documents``); it reads it back for a benefit claim (basis ``party``) and the tax
office reads the same bytes for a tax assessment (on its right to the service) — each
through a link of its own (``POST /documents/{id}/links``) and its own token. The hub
records two disclosures, which the data-use report the demo prints lists.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import httpx

from simulations.credentials import bearer
from simulations.departments import CASE_PURPOSE

CERTIFICATE = (
    b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"3 0 obj\n(Certificate of insured periods, issued by the social security bureau)\n"
    b"endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


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
