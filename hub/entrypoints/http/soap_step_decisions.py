"""A department's decision on a case step over SOAP: the ``SubmitStepDecision`` operation.

Departments whose systems speak only SOAP send their decision to the hub's SOAP ingress
(``POST /soap``, described by ``GET /soap?wsdl`` with the other operations) as a
``StepDecisionSubmission`` element (``case.step-decision-submission@1.0``): the step id,
``<case id>.<step name>``, and a ``case.step-decision@1.0`` decision (outcome approved,
refused with a reason, more-information-needed or acknowledged; reference, reason,
decided on). The ingress authenticates the department first, exactly as for its queries
and as the JSON endpoint ``POST /cases/steps/{id}/decision`` does (bearer token, client
certificate, or a WS-Security UsernameToken); the case engine then applies the same
checks as over JSON and NATS: only the department providing the step's service decides
it, and a decision repeated as recorded records nothing and is answered the same.

The answer is a ``StepDecisionReceipt`` (``case.step-decision-receipt@1.0``): the case's
status and the step's state and reference after the decision. A refusal is a SOAP Fault
naming the code, the reason and each field's path (``/StepDecisionSubmission/decision/
outcome``), recorded as a rejected exchange like any refused request; the decision's
personal fields are not kept with it.
"""

from __future__ import annotations

from typing import cast

from lxml import etree
from starlette.responses import Response

from contracts.cases import StepDecisionReceipt, StepDecisionSubmission
from contracts.errors import ContractError, FieldIssue, HubError
from contracts.xsd import CONTRACTS_NS, element_name
from hub.entrypoints.http.auth import CORRELATION_HEADER
from hub.entrypoints.http.soap_checks import xml_path
from hub.entrypoints.http.soap_faults import fault_response, media_of
from hub.entrypoints.http.soap_operations import hub_header
from hub.service_layer.cases.engine import CaseEngine
from hub.service_layer.exchanges.gateway import Envelope, Gateway
from translation.contract_xml import ContractXmlCodec
from translation.hub_wsdl import WsdlOperation
from translation.soap12 import build_envelope12
from translation.soap_envelope import SoapMessage, build_envelope

INGRESS = "soap-cases"
OPERATION = "SubmitStepDecision"
CONTRACT = str(StepDecisionSubmission.contract_id())


class SoapStepDecisions:
    """The ``SubmitStepDecision`` operation of the SOAP ingress, over the case engine."""

    def __init__(self, engine: CaseEngine, gateway: Gateway) -> None:
        self._engine = engine
        self._gateway = gateway
        self._requests = ContractXmlCodec([StepDecisionSubmission])
        self._receipts = ContractXmlCodec([StepDecisionReceipt])
        self.element = f"{{{CONTRACTS_NS}}}{element_name(StepDecisionSubmission)}"
        self.wsdl = WsdlOperation(
            OPERATION, StepDecisionSubmission, StepDecisionReceipt,
            "A department's decision on a case step it provides (approved, refused with "
            "a reason, more information needed)")

    async def answer(self, message: SoapMessage, department: str, correlation_id: str,
                     version: str) -> Response:
        """Record the decision in ``message`` from ``department``; the receipt or a Fault."""
        step = ""
        try:
            submission = self._decode(message.body)
            step = submission.step_id
            case = await self._engine.decide(
                step, department, submission.decision.model_dump(mode="json"))
        except HubError as exc:
            envelope = Envelope(department, f"case-step:{step}", correlation_id, INGRESS, b"")
            return fault_response(await self._gateway.reject(envelope, exc), CONTRACT, version)
        state = case.steps[step.partition(".")[2]]
        receipt = StepDecisionReceipt(step_id=step, case_status=case.status,
                                      step_state=state["state"], reference=state["reference"])
        build = build_envelope12 if version == "1.2" else build_envelope
        body = build(self._receipts.encode(receipt),
                     headers=[hub_header("correlationId", correlation_id)])
        return Response(body, media_type=media_of(version),
                        headers={CORRELATION_HEADER: correlation_id})

    def _decode(self, body: etree._Element) -> StepDecisionSubmission:
        """The submission; a refusal names each field by its XML path."""
        try:
            submission = self._requests.decode(body)
        except ContractError as exc:
            raise ContractError(exc.contract, "the decision violates the contract", issues=tuple(
                FieldIssue(path=xml_path(StepDecisionSubmission, i.field), reason=i.reason,
                           code=i.code, field=i.field)
                for i in exc.issues)) from None
        return cast(StepDecisionSubmission, submission)  # the codec's only element
