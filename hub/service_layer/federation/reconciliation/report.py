"""What a reconciliation found: findings in four categories, a summary and an exit code.

- ``missing``: issued or sent on one side, absent on the other (an attestation or
  revocation never decided by the receiver, a receipt never recorded by the
  issuer, a query never received, an answer never given);
- ``duplicated``: one thing done twice (a record recognised twice, a query answered twice);
- ``divergent``: both sides have it but disagree (digests, outcome vs receipt,
  a checkpoint that the peer's own log does not contain or contradicts);
- ``pending``: sent within the grace period and not answered yet.

Exit codes (:attr:`Report.exit_code`): 0 the regions agree; 1 something is
missing, duplicated or divergent; 3 only pending items (run again later);
2 is left to the command line for "could not run".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

EXIT_AGREE = 0
EXIT_DISAGREE = 1
EXIT_PENDING = 3


class Category(StrEnum):
    """How two regions' histories disagree about one thing."""

    MISSING = "missing"
    DUPLICATED = "duplicated"
    DIVERGENT = "divergent"
    PENDING = "pending"


@dataclass(frozen=True)
class Finding:
    """One disagreement: what (``kind``, ``key``), between whom, and why (``detail``).

    ``kind`` is ``attestation``, ``revocation``, ``receipt``, ``decision``,
    ``record``, ``query``, ``answer`` or ``checkpoint``; ``key`` names the thing
    (a record id, a correlation id, a tree size); ``holder`` is the region that
    has it (or sent it) and ``other`` the region that lacks it or disagrees.
    ``statement`` is the digest of the attestation or revocation concerned, if any.
    """

    category: Category
    kind: str
    key: str
    holder: str
    other: str
    detail: str
    statement: str | None = None

    def as_json(self) -> dict[str, str]:
        return {**asdict(self), "category": self.category.value}


@dataclass(frozen=True)
class Report:
    """Every finding between ``left`` and ``right``, in a stable order."""

    left: str
    right: str
    findings: tuple[Finding, ...]

    def of(self, category: Category) -> list[Finding]:
        return [f for f in self.findings if f.category is category]

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(f.category for f in self.findings)
        return {category.value: found[category] for category in Category}

    @property
    def agrees(self) -> bool:
        return not self.findings

    @property
    def exit_code(self) -> int:
        """0 agree; 3 only pending; 1 anything missing, duplicated or divergent."""
        if self.agrees:
            return EXIT_AGREE
        if all(f.category is Category.PENDING for f in self.findings):
            return EXIT_PENDING
        return EXIT_DISAGREE

    def summary(self) -> str:
        """``reconcile north↔south: 1 missing, 0 duplicated, 0 divergent, 0 pending``."""
        counts = ", ".join(f"{n} {name}" for name, n in self.counts.items())
        return f"reconcile {self.left}↔{self.right}: {counts}"

    def as_json(self) -> dict[str, Any]:
        return {"left": self.left, "right": self.right, "counts": self.counts,
                "agrees": self.agrees, "exit_code": self.exit_code,
                "findings": [f.as_json() for f in self.findings]}
