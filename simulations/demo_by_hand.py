"""What ``demo --keep-running`` prints so that the hub can be tried by hand.

The demo clients' tokens are written under the data folder as curl header
files (mode 0600), one per department, so that the printed ``curl`` lines work
as shown — pasted into a shell or split with :func:`shlex.split` — without a
token on the screen or in the shell's history.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

from simulations.departments import CASE_PURPOSE

TOKENS_FOLDER = "demo-tokens"
JSON_BODY = (
    '{"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}'
)
SOAP_BODY = (
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    '<c:TaxClearanceQuery xmlns:c="urn:interop-hub:contracts:1">'
    "<c:national_id>19800101-1234</c:national_id><c:tax_year>2025</c:tax_year>"
    "</c:TaxClearanceQuery></soap:Body></soap:Envelope>"
)


@dataclass(frozen=True)
class ByHand:
    """The token files written and the two curl commands that use them."""

    token_files: dict[str, Path]
    json_curl: str
    soap_curl: str

    def lines(self) -> list[str]:
        """What the demo prints, one line each."""
        files = ", ".join(str(p) for p in self.token_files.values())
        return [
            f"try it by hand: the demo clients' tokens are in {files} (mode 0600, "
            "curl header files); from the same folder:",
            f"  {self.json_curl}",
            f"  {self.soap_curl}",
        ]


def write_token_files(data: Path, tokens: dict[str, str]) -> dict[str, Path]:
    """One ``Authorization: Bearer`` header file per department, mode 0600, under ``data``."""
    folder = data / TOKENS_FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    written = {}
    for department, token in sorted(tokens.items()):
        path = folder / f"{department.replace('/', '-')}.header"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(f"Authorization: Bearer {token}\n")
        os.chmod(path, 0o600)  # an existing file keeps its mode on open: make sure
        written[department] = path
    return written


def by_hand(hub_url: str, region: str, data: Path, tokens: dict[str, str]) -> ByHand:
    """Write the token files and build one JSON and one SOAP curl against the running hub."""
    files = write_token_files(data, tokens)
    tax, ss = files[f"{region}/tax"], files[f"{region}/social-security"]
    json_curl = shlex.join([
        "curl", "-sS", "--fail-with-body", "-X", "POST",
        f"{hub_url}/services/{region}/social-security/contribution-history",
        "-H", f"@{tax}", "-H", f"X-Hub-Purpose: {CASE_PURPOSE}",
        "-H", "Content-Type: application/json", "-d", JSON_BODY,
    ])
    soap_curl = shlex.join([
        "curl", "-sS", "--fail-with-body", "-X", "POST", f"{hub_url}/soap",
        "-H", f"@{ss}", "-H", f"X-Hub-Purpose: {CASE_PURPOSE}",
        "-H", "Content-Type: text/xml; charset=utf-8", "-H", 'SOAPAction: "TaxClearance"',
        "-d", SOAP_BODY,
    ])
    return ByHand(files, json_curl, soap_curl)
