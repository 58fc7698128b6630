"""The wire names of ingest: subjects, streams and headers, in one place.

A department submits on ``hub.<region>.ingest.<department>.<contract>``; the
contract keeps its own spelling (``tax.tax-clearance@1.0``), so it spans the
remaining tokens and the department is always the fourth. What the hub recorded
goes out on ``hub.<region>.records.issued.<department>.<contract>`` (refusals on
``...records.rejected...``), carrying references only: ids, digests, the
attestation, the problem — never the record's content.
"""

from __future__ import annotations

from dataclasses import dataclass

SUBMISSION_ID = "Nats-Msg-Id"  # the department's submission id doubles as JetStream's dedupe id
FORMAT = "Hub-Format"  # "soap" or "json"
FORMATS = ("soap", "json")


def _token(region: str) -> str:
    return region.upper().replace("-", "_")


def ingest_stream(region: str) -> str:
    """The stream departments submit records to."""
    return f"HUB_{_token(region)}_INGEST"


def records_stream(region: str) -> str:
    """The stream of what ingest recorded (issued records and refusals)."""
    return f"HUB_{_token(region)}_RECORDS"


def ingest_subject(region: str, department: str, contract: str) -> str:
    """Where ``department`` submits records of ``contract``."""
    return f"hub.{region}.ingest.{department}.{contract}"


def ingest_filter(region: str) -> str:
    return f"hub.{region}.ingest.>"


def records_filter(region: str) -> str:
    return f"hub.{region}.records.>"


def issued_subject(region: str, department: str, contract: str) -> str:
    """Where the hub announces a record it recorded from ingest."""
    return f"hub.{region}.records.issued.{department}.{contract}"


def rejected_subject(region: str, department: str, contract: str) -> str:
    """Where the hub announces a submission it refused."""
    return f"hub.{region}.records.rejected.{department}.{contract}"


@dataclass(frozen=True)
class Address:
    """Who submitted what, read from an ingest subject."""

    department: str
    contract: str


def parse_ingest_subject(region: str, subject: str) -> Address | None:
    """The department and contract of an ingest subject of ``region``; None if it is not one."""
    prefix = f"hub.{region}.ingest."
    if not subject.startswith(prefix):
        return None
    department, _, contract = subject[len(prefix):].partition(".")
    if not department or not contract:
        return None
    return Address(department, contract)
