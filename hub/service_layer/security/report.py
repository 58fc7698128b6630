"""A citizen's data-use report: every disclosure of their data, read from the data-use index.

The index (:mod:`hub.adapters.projections.data_use`) keeps one row per disclosure
about a subject (by pseudonymous reference): when, which department received which
fields of which service, for what purpose, under which legal basis or consent, and
until when the hub keeps it (the end of its retention bucket, :mod:`hub.domain.retention`).
A reading costs one indexed query plus whatever was recorded since the index's
last catch-up — never a scan of the ledger's history, nor an aggregate load per use.
Nothing personal is read or stored: disclosures name fields by path, never by value,
so the report still lists the uses of a person whose keys were destroyed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.adapters.projections.data_use import DataUse

if TYPE_CHECKING:
    from hub.adapters.projections.data_use_book import DataUseBook

__all__ = ["DataUse", "data_use_report", "subject_report"]


def data_use_report(book: DataUseBook, subject_ref: str) -> list[DataUse]:
    """Every recorded disclosure about ``subject_ref``, oldest first (blocking).

    Fresh: the index is caught up with the ledger before it is read, so an exchange
    recorded just before the call is in the report; the catch-up reads only what was
    recorded since the index's position (see :class:`DataUseBook`).
    """
    return book.uses_of(subject_ref)


def subject_report(book: DataUseBook, subject: str) -> tuple[str, list[DataUse]]:
    """The subject's pseudonymous reference and every recorded use of their data.

    ``subject`` is the identifier a department would send (or already a reference);
    the keyring turns it into the reference the ledger records, so the identifier
    itself is never stored by asking.
    """
    ref = book.ledger.keyring.resolve(subject)
    return ref, data_use_report(book, ref)
