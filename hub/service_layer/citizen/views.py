"""What a person is shown: their data-use report, consents, cases and what is kept.

Every function takes the person's subject reference and returns plain JSON-ready
items about that subject only: each comes from a query already filtered by the
reference (the data-use index's subject query, the consents of one subject), never from a
wider list filtered afterwards.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from hub.domain.consent import Consent, ConsentState
from hub.service_layer.cases.progress import progress
from hub.service_layer.security.consents import ConsentBook
from hub.service_layer.security.report import data_use_report

if TYPE_CHECKING:
    from hub.adapters.projections.data_use_book import DataUseBook
    from hub.adapters.readmodels.cases import CaseBoard
    from hub.adapters.store.ledger import Ledger

CASES_NOTE = ("One entry per application: its state and each step's state, who holds it, "
              "since when and due by; awaited_from_applicant lists what you are asked for.")
KEPT_NOTE = ("kept_until is the end of the period the purpose states for what it received; "
             "null where the hub states no period yet. A consent holds until its until day.")


def report_items(uses: DataUseBook, subject_ref: str) -> list[dict[str, Any]]:
    """Every recorded use of the person's data, oldest first (the auditor's report)."""
    return [use.as_dict() for use in data_use_report(uses, subject_ref)]


def consent_items(ledger: Ledger, subject_ref: str, now: dt.datetime) -> list[dict[str, Any]]:
    """The person's consents, in the order first granted, each with its state now."""
    return [consent_item(c, now) for c in ConsentBook(ledger).of_subject(subject_ref)]


def consent_item(consent: Consent, now: dt.datetime) -> dict[str, Any]:
    """One consent as shown: an active consent past its day shows as expired."""
    state = consent.state
    if state is ConsentState.ACTIVE and consent.is_past(now):
        state = ConsentState.EXPIRED
    return {"consent_id": str(consent.id), "purpose": consent.purpose,
            "recipient": consent.recipient, "fields": list(consent.fields),
            "until": consent.until, "state": state.value, "uses": consent.uses}


def case_items(board: CaseBoard | None, subject_ref: str) -> list[dict[str, Any]]:
    """The person's cases with each step's progress (none where the hub runs no cases)."""
    if board is None:
        return []
    return [progress(row) for row in board.of_subject(subject_ref)]


def kept_items(ledger: Ledger, uses: DataUseBook, subject_ref: str,
               now: dt.datetime) -> list[dict[str, Any]]:
    """What the hub keeps about the person and until when: each use and each consent."""
    kept: list[dict[str, Any]] = []
    for use in report_items(uses, subject_ref):
        kept.append({"kind": "data-use", "exchange_id": use["exchange_id"],
                     "service": use["service"], "recipient": use["recipient"],
                     "purpose": use["purpose"], "since": use["at"],
                     "kept_until": use.get("kept_until")})
    for consent in consent_items(ledger, subject_ref, now):
        kept.append({"kind": "consent", "consent_id": consent["consent_id"],
                     "recipient": consent["recipient"], "purpose": consent["purpose"],
                     "since": None, "kept_until": consent["until"] or None})
    return kept
