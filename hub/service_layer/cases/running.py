"""How a case step reaches its department: as an exchange through the gateway.

:class:`StepRunner` is the port the case engine sends steps through;
:class:`GatewayStepRunner` is the production runner: each step is a query from the
region's one-stop desk (a department of its own, ``<region>/one-stop``) to the step's
service, so access rights, purposes, consents, minimisation and audit apply to it exactly
as to any department's query. The correlation id is the case's id, so a case's exchanges
can be found together. A step whose answer a later step recognises is recorded with the
ingress ``case-attested``, which asks the answering region to attest its answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from contracts import Contract, ContractRegistry
from contracts.validation import validate_contract
from hub.service_layer.exchanges.gateway import Envelope, Gateway
from hub.service_layer.exchanges.routing import ServiceDefinition
from hub.service_layer.federation.answers import ATTESTED_INGRESS

INGRESS = "case"
"""The ingress name recorded on a step's exchange."""


@dataclass(frozen=True)
class StepRequest:
    """One step to send: to which service, for which purpose, with what input."""

    case_id: str
    step: str
    service: str
    purpose: str
    document: dict[str, Any]
    attested: bool = False  # a later step recognises the answer: ask for it attested


@dataclass(frozen=True)
class StepAnswer:
    """What came back: the answer's JSON, or the error code and message of a failure."""

    exchange_id: str
    answer: dict[str, Any] | None
    error_code: str = ""
    error: str = ""


class StepRunner(Protocol):
    """Sends a step to its department and waits for the immediate answer."""

    async def run(self, request: StepRequest) -> StepAnswer: ...


class GatewayStepRunner:
    """Runs steps as queries of ``client`` (the region's one-stop desk) through the gateway."""

    def __init__(self, gateway: Gateway, registry: ContractRegistry, client: str) -> None:
        self.gateway = gateway
        self.registry = registry
        self.client = client

    async def run(self, request: StepRequest) -> StepAnswer:
        raw = json.dumps(request.document).encode()

        def decode(service: ServiceDefinition) -> Contract:
            return validate_contract(service.request, request.document)

        envelope = Envelope(client=self.client, service=request.service,
                            correlation_id=request.case_id, raw=raw,
                            ingress=ATTESTED_INGRESS if request.attested else INGRESS,
                            purpose=request.purpose)
        answer = await self.gateway.query(envelope, decode)
        if answer.response is not None:
            await self.gateway.complete(answer, raw)
            return StepAnswer(str(answer.exchange_id),
                              answer.response.model_dump(mode="json"))
        error = answer.error
        return StepAnswer(str(answer.exchange_id), None,
                          error_code=error.code if error else answer.outcome,
                          error=error.message if error else answer.outcome)
