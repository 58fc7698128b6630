"""Contracts of one-stop cases: the applications people file, and the department steps
they fan out to (each step's request and the decision it comes back with).

A step that a department decides later answers its request at once with a
:class:`StepDecision` whose ``outcome`` is ``acknowledged``; the decision follows.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field

from contracts.base import Contract, ContractId
from contracts.person import NationalId

Region = Annotated[str, Field(pattern=r"^([a-z][a-z0-9-]{1,15}|[A-Z]{2}-[A-Z0-9]{1,3})$")]
DocumentRef = Annotated[str, Field(min_length=1, max_length=64,
                                   description="Id of a document supplied once to the hub")]
Text = Annotated[str, Field(min_length=1, max_length=200)]


class RelocationApplication(Contract):
    """A person moving from one region to another, filed once."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("relocation.application", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    family_name: Text
    given_names: Text
    origin_region: Region
    destination_region: Region
    new_address: Text
    move_date: dt.date
    insured_since: dt.date
    vehicle_plate: Annotated[str, Field(min_length=2, max_length=12)]


class BusinessOpeningApplication(Contract):
    """A person opening a business (a sole trader), filed once."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("business.opening-application", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    family_name: Text
    given_names: Text
    trade_name: Text
    activity_code: Annotated[str, Field(pattern=r"^[0-9]{2}(\.[0-9]{1,2})?$",
                                        description="NACE-style activity code")]
    business_address: Text
    starts_on: dt.date


class Outcome(StrEnum):
    """Where a department's step stands, as the department says."""

    ACKNOWLEDGED = "acknowledged"
    APPROVED = "approved"
    REFUSED = "refused"
    MORE_INFORMATION = "more-information-needed"


class StepDecision(Contract):
    """A department's answer to a case step: acknowledged now, or decided."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("case.step-decision", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    outcome: Outcome
    reference: Annotated[str, Field(min_length=1, max_length=64,
                                    description="The department's own file number")]
    reason: Annotated[str, Field(max_length=500)] = ""
    decided_on: dt.date | None = None


StepId = Annotated[str, Field(
    pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[A-Za-z0-9_-]{1,64}$",
    description="The step's id: <case id>.<step name>")]


class StepDecisionSubmission(Contract):
    """A department's decision on one case step, in one document: which step, and the
    decision (the SOAP operation ``SubmitStepDecision``)."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("case.step-decision-submission", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "decision.national_id"

    step_id: StepId
    decision: StepDecision


class StepDecisionReceipt(Contract):
    """Where the case and the step stand once a department's decision is recorded."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("case.step-decision-receipt", 1, 0)

    step_id: StepId
    case_status: Annotated[str, Field(min_length=1, max_length=32,
                                      description="open, completed, refused or withdrawn")]
    step_state: Annotated[str, Field(min_length=1, max_length=32,
                                     description="The step's state after the decision")]
    reference: Annotated[str, Field(max_length=64,
                                    description="The department's file number")] = ""


class InsuranceTransferRequest(Contract):
    """Ask the destination's social security to take over a person's insurance."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("social-security.transfer-request", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    origin_region: Region
    transfer_on: dt.date
    # The origin's contribution record, recognised by its attestation (federation).
    origin_record_as_of: dt.date
    proof_of_address: DocumentRef


class TaxRegistrationRequest(Contract):
    """Register a person (or a business of theirs) with a region's tax administration."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("tax.registration-request", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    address: Text
    registered_from: dt.date
    trade_name: Text | None = None
    activity_code: str | None = None


class VehicleReRegistrationRequest(Contract):
    """Move a vehicle's registration to the keeper's new region."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("vehicles.re-registration-request", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    plate: Annotated[str, Field(min_length=2, max_length=12)]
    new_address: Text
    tax_reference: Annotated[str, Field(min_length=1, max_length=64)]


class BusinessRegistrationRequest(Contract):
    """Enter a sole trader in the business register."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("business.registration-request", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    trade_name: Text
    activity_code: str
    business_address: Text
    starts_on: dt.date
    identity_document: DocumentRef


class SelfEmployedInsuranceRequest(Contract):
    """Insure a newly self-employed person with social security."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId(
        "social-security.self-employed-request", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    business_reference: Annotated[str, Field(min_length=1, max_length=64)]
    tax_reference: Annotated[str, Field(min_length=1, max_length=64)]
    insured_from: dt.date


class StepReference(Contract):
    """One department's file number for its part of a case."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("case.step-reference", 1, 0)

    step: Annotated[str, Field(min_length=1, max_length=64)]
    reference: Annotated[str, Field(min_length=1, max_length=64)]


class CaseResult(Contract):
    """What the applicant receives when a case is completed: each department's reference."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("case.result", 1, 0)
    SUBJECT_FIELD: ClassVar[str | None] = "national_id"

    national_id: NationalId
    completed_on: dt.date
    references: list[StepReference]


CASE_CONTRACTS = (
    RelocationApplication, BusinessOpeningApplication, StepDecision, StepDecisionSubmission,
    StepDecisionReceipt, InsuranceTransferRequest,
    TaxRegistrationRequest, VehicleReRegistrationRequest, BusinessRegistrationRequest,
    SelfEmployedInsuranceRequest, StepReference, CaseResult,
)
