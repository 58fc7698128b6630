"""Education contracts: verifying a diploma; the diploma and the decision travel as documents."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from contracts.base import Contract, ContractId
from contracts.documents import DocumentRef
from contracts.person import NationalId


class DiplomaVerificationQuery(Contract):
    """Ask the education registry to verify a diploma the person supplied (as a document)."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("education.diploma-verification-query", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    diploma: DocumentRef


class DiplomaVerdict(StrEnum):
    """What the registry found."""

    AUTHENTIC = "authentic"
    NOT_FOUND = "not-found"


class DiplomaVerification(Contract):
    """The registry's answer, with its signed decision as a document."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("education.diploma-verification", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    verdict: DiplomaVerdict
    decision: DocumentRef
