"""The demo's consent desk and data-use report: a citizen's side of the hub, in one region.

The desk records consents through the hub's own access service (the same
``Consent`` events ``interop-hub consent`` records); the report is the one
``interop-hub subject report`` prints, rebuilt by replay from the ledger.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from rich.console import Console
from rich.table import Table

from hub.adapters.projections.data_use_book import DataUseBook
from hub.adapters.store.ledger import Ledger
from hub.service_layer.security.decision import AccessPolicy
from hub.service_layer.security.report import data_use_report


class LedgerConsentDesk:
    """Gives and withdraws consent for a national id (stored only as its reference)."""

    def __init__(self, ledger: Ledger, policy: AccessPolicy, *, days: int = 180) -> None:
        self._ledger = ledger
        self._policy = policy
        self._days = days

    def _ref(self, national_id: str) -> str:
        return self._ledger.keyring.ref_for(national_id)

    async def grant(self, national_id: str, purpose: str, recipient: str) -> None:
        until = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=self._days)
        await asyncio.to_thread(
            lambda: self._policy.consents.grant(
                self._ref(national_id), purpose, recipient, until=until)
        )

    async def revoke(self, national_id: str, purpose: str, recipient: str) -> None:
        await asyncio.to_thread(
            lambda: self._policy.consents.revoke(self._ref(national_id), purpose, recipient)
        )


def print_data_use_report(console: Console, book: DataUseBook, national_id: str) -> None:
    """The citizen's data-use report, as a table (read from the hub's data-use index)."""
    ref = book.ledger.keyring.ref_for(national_id)
    uses = data_use_report(book, ref)
    table = Table(title=f"data-use report of {ref} (interop-hub subject report {national_id})")
    for column in ("when (UTC)", "department", "purpose", "basis", "fields"):
        table.add_column(column, overflow="fold")
    for use in uses:
        basis = (f"consent {use.consent_id[:8]}" if use.basis == "consent"
                 else use.legal_basis or use.basis)  # party, auditor-role, attestation
        table.add_row(f"{use.at:%Y-%m-%d %H:%M:%S}", use.recipient, use.purpose, basis,
                      ", ".join(use.fields))
    console.print(table)
