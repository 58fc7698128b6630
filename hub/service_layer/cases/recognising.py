"""Recognition by attestation, enforced before a step runs.

A step may ``recognise`` an earlier step served by another region: the destination
recognises the origin's record. That earlier step's exchange asks for its answer to come
attested (:mod:`hub.service_layer.federation.answers`): the origin issues the answer as a
record whose id both regions derive from this region's exchange id, and sends its
attestation here, where this region's federation recognises or refuses it as it does any
attestation (trust list, key validity, agreement scope, revocation, contract version),
recording the decision and returning its signed receipt to the origin.

Before the recognising step is sent, the engine asks :class:`Recognitions` for a
:class:`Verdict` on that record. It is accepted only when the federation recognised the
record and the recognition stands (not withdrawn by a revocation since), the record was
issued by the department that answered the step, and the content digest it signs is the
digest of the answer the case holds. Anything else is refused with a named code — the
federation's own reason (``unknown-key``, ``bad-signature``, ``out-of-agreement``,
``agreement-suspended``, ``revoked``, ...) or ``wrong-issuer``, ``digest-mismatch``,
``no-attestation`` — which the engine records on the case (``StepRecognitionRefused``)
instead of sending the step.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from contracts import ContractRegistry
from contracts.errors import HubError
from contracts.validation import validate_contract
from federation.canonical import digest_json
from hub.domain.case import Case
from hub.domain.recognition import Recognition
from hub.service_layer.cases.case_type import CaseType, Step
from hub.service_layer.cases.running import StepAnswer
from hub.service_layer.federation.answers import answer_record_id
from hub.service_layer.federation.recognition_link import RecognitionLink

RECOGNITION_WAIT_S = 10.0
"""How long a recognising step waits for the origin's attestation to be decided here: the
origin sends it before its answer, so it is normally decided within a second."""


@dataclass(frozen=True)
class Asked:
    """The recognised step's answer: which step, which service answered, this region's
    exchange that asked, and the answer as the case holds it."""

    step: str
    service: str  # region/department/service
    asker: str  # this region
    exchange_id: str
    answer: dict[str, Any]

    @property
    def origin(self) -> str:
        return self.service.split("/", 1)[0]

    @property
    def record_id(self) -> str:
        return str(answer_record_id(self.asker, self.exchange_id))


@dataclass(frozen=True)
class Verdict:
    """Whether the record of an earlier step's answer is recognised here (``code`` empty)."""

    of: str
    issuer: str
    record_id: str
    code: str = ""
    reason: str = ""
    kid: str = ""
    agreement_id: str = ""

    @property
    def accepted(self) -> bool:
        return not self.code


def refused(asked: Asked, code: str, reason: str) -> Verdict:
    return Verdict(asked.step, asked.origin, asked.record_id, code, reason)


class Recognitions(Protocol):
    """Decides whether an earlier step's answer is recognised here."""

    async def check(self, asked: Asked) -> Verdict: ...


class Sent(NamedTuple):
    """What sending a step gave: the recognition it waited for (None: it recognises no
    record), and the answer (None: not sent, its recognition refused)."""

    verdict: Verdict | None
    answer: StepAnswer | None


async def recognition_for(recognitions: Recognitions, case: Case, kind: CaseType,
                          step: Step) -> Verdict | None:
    """The verdict on the record ``step`` recognises, if it recognises one."""
    if not step.recognise:
        return None
    of = case.steps[step.recognise]
    return await recognitions.check(Asked(step.recognise, of["service"], kind.region,
                                          of["exchange_id"], of["answer"] or {}))


def record_verdict(case: Case, step: str, verdict: Verdict, at: dt.datetime) -> None:
    """Record on ``case`` the verdict its unsent ``step`` waited for."""
    case.recognise_step(step, verdict.of, verdict.issuer, verdict.record_id,
                        refused=None if verdict.accepted else (verdict.code, verdict.reason),
                        kid=verdict.kid, agreement_id=verdict.agreement_id, at=at)


class NoFederation:
    """A hub without a federation transport cannot recognise another region's records."""

    async def check(self, asked: Asked) -> Verdict:
        return refused(asked, "no-federation", "this hub runs no federation with peer "
                       "regions (HUB_PEERS), so it cannot recognise their records")


class FederationRecognitions:
    """Asks this region's federation (through its link), waiting for the attestation."""

    def __init__(self, link: RecognitionLink, registry: ContractRegistry, *,
                 wait_s: float = RECOGNITION_WAIT_S, poll_s: float = 0.05) -> None:
        self.link = link
        self.registry = registry
        self.wait_s = wait_s
        self.poll_s = poll_s

    async def check(self, asked: Asked) -> Verdict:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_s
        while True:
            decision = await self.link.call(self.link.app.decision_of, asked.origin,
                                            asked.record_id)
            if decision is not None:
                return self._judge(asked, decision)
            # refused before its claims could be trusted: no recognition to look up
            receipt = self.link.receipt_for(asked.origin, asked.record_id)
            if receipt is not None and receipt.reason is not None:
                return refused(asked, receipt.reason.value, receipt.detail or "")
            if loop.time() >= deadline:
                return refused(asked, "no-attestation", f"no attestation of {asked.origin}'s "
                               f"record {asked.record_id} was decided here within "
                               f"{self.wait_s:g} s")
            await asyncio.sleep(self.poll_s)

    def _judge(self, asked: Asked, decision: Recognition.Event) -> Verdict:
        if isinstance(decision, Recognition.RecognitionRefused):
            return refused(asked, decision.reason, decision.detail)
        if not isinstance(decision, Recognition.Recognised):  # withdrawn, or revoked first
            return refused(asked, "revoked", f"{asked.origin} revoked the record: "
                           f"{getattr(decision, 'reason', '')}")
        department = asked.service.rsplit("/", 1)[0].split("/", 1)[1]
        if decision.department != department:
            return refused(asked, "wrong-issuer", f"issued by {asked.origin}/"
                           f"{decision.department}, but {asked.service} answered")
        try:
            signed = validate_contract(self.registry.get(decision.contract), asked.answer)
        except HubError as exc:
            return refused(asked, "digest-mismatch", f"the answer is not a {decision.contract}"
                           f" document: {exc.message}")
        if digest_json(signed.model_dump(mode="json")) != decision.content_digest:
            return refused(asked, "digest-mismatch", "the record's signed content digest is "
                           "not the digest of the answer the case holds")
        return Verdict(asked.step, asked.origin, asked.record_id, kid=decision.kid,
                       agreement_id=decision.agreement_id)
