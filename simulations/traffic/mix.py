"""Request bodies of the load mix, built once: the same questions for the hub and the bureau.

The people are those seeded in both emulated bureaus
(:mod:`simulations.social_security_bureau.data`, :mod:`simulations.tax_bureau.data`),
so every query of the mix has a real answer.
"""

from __future__ import annotations

import datetime as dt
import json

from contracts.xsd import CONTRACTS_NS
from simulations.social_security_bureau.app import BUREAU_NS
from translation.soap_envelope import SOAP11_NS

# (national id, period start, period end): each has insured periods in the range.
HISTORY_QUESTIONS = (
    ("19800101-1234", dt.date(2000, 1, 1), dt.date(2026, 12, 31)),
    ("19751224-5678", dt.date(1990, 1, 1), dt.date(2026, 12, 31)),
    ("19920315-2468", dt.date(2015, 1, 1), dt.date(2025, 12, 31)),
    ("19680229-9012", dt.date(1995, 1, 1), dt.date(2025, 12, 31)),
)
CLEARANCE_QUESTIONS = (("19800101-1234", 2025), ("19680229-9012", 2025),
                       ("19920315-2468", 2025), ("19751224-5678", 2024))
SOAP_HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
JSON_HEADERS = {"Content-Type": "application/json"}
HISTORY_CONTRACT = "social-security.contribution-history@1.0"


def _envelope(body: str, header: str = "") -> bytes:
    head = f"<soap:Header>{header}</soap:Header>" if header else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{SOAP11_NS}">'
            f"{head}<soap:Body>{body}</soap:Body></soap:Envelope>").encode()


def hub_history_soap(national_id: str, start: dt.date, end: dt.date) -> bytes:
    """A ContributionHistoryQuery to the hub's SOAP ingress (document/literal, contract XML)."""
    return _envelope(
        f'<c:ContributionHistoryQuery xmlns:c="{CONTRACTS_NS}">'
        f"<c:national_id>{national_id}</c:national_id>"
        f"<c:period_start>{start.isoformat()}</c:period_start>"
        f"<c:period_end>{end.isoformat()}</c:period_end></c:ContributionHistoryQuery>")


def bureau_history_soap(national_id: str, start: dt.date, end: dt.date) -> bytes:
    """The same question in the bureau's own legacy SOAP (GetInsuranceRecordRequest)."""
    return _envelope(
        f'<b:GetInsuranceRecordRequest xmlns:b="{BUREAU_NS}"><b:PersNo>{national_id}</b:PersNo>'
        f"<b:FromDt>{start:%d.%m.%Y}</b:FromDt><b:ToDt>{end:%d.%m.%Y}</b:ToDt>"
        "</b:GetInsuranceRecordRequest>")


def hub_clearance_soap(national_id: str, tax_year: int) -> bytes:
    """A TaxClearanceQuery to the hub's SOAP ingress."""
    return _envelope(
        f'<c:TaxClearanceQuery xmlns:c="{CONTRACTS_NS}"><c:national_id>{national_id}'
        f"</c:national_id><c:tax_year>{tax_year}</c:tax_year></c:TaxClearanceQuery>")


def hub_history_json(national_id: str, start: dt.date, end: dt.date) -> bytes:
    """A ContributionHistoryQuery as JSON, for ``POST /services/{service}``."""
    return json.dumps({"national_id": national_id, "period_start": start.isoformat(),
                       "period_end": end.isoformat()}).encode()


def history_record(index: int) -> bytes:
    """A contribution history record to issue (``POST /records/...``), one person per index."""
    national_id = f"{19500101 + index % 9000:08d}-{index % 10_000:04d}"
    return json.dumps({
        "person": {"national_id": national_id, "family_name": "Load", "given_names": "Test",
                   "date_of_birth": "1970-01-01"},
        "periods": [{"employer_id": "556000-0001", "employer_name": "Nordbanken",
                     "start": "2001-02-01", "end": "2009-06-30",
                     "contribution_base": "41250.50", "currency": "EUR"}],
        "as_of": "2026-11-01",
    }).encode()
