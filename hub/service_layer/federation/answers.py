"""Answers that travel attested: a peer's query whose answer the peer will recognise.

A case step may ``recognise`` an earlier step served by another region (the destination
recognises the origin's record). The origin's answer to that earlier step is then not a
plain query result: the origin hub issues it as a record of its own
(:meth:`~hub.service_layer.federation.app.FederationApp.issue_record`: Issued + Attested,
the department that answered as issuer, the answer's contract, its digest signed) and
sends the attestation to the asking region over the federation transport, exactly as a
record issued through ``POST /records/...`` travels. The asking region recognises it like
any attestation — trust list, key validity, agreement scope, revocation, contract
version — records Recognised or RecognitionRefused, and returns its signed receipt, which
the origin records; reconciliation compares these records like any other.

Why an issued record, and not a signature carried in the query's reply: a signature in
the reply would need a verification of its own, refusal reasons of its own and evidence
of its own, beside the ones federation already has; an issued record gets all of them as
they are (revocation and receipts included), and the origin keeps the record of what it
vouched for. The reply itself is unchanged, so peers that never ask see no difference.

Both sides name the record without another message: its id is derived from the asking
region and the asking exchange's id (:func:`answer_record_id`), which the origin reads
from the query's headers. Only exchanges recorded with :data:`ATTESTED_INGRESS` ask
(``Hub-Attest-Answer``): the case engine's steps that a later step recognises.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from uuid import UUID

import structlog

from contracts import Contract
from contracts.errors import HubError
from contracts.validation import validate_contract
from federation.errors import ConflictError
from hub.adapters.peers.transport import ATTESTATIONS
from hub.service_layer.federation.recognition_link import RecognitionLink
from hub.service_layer.security.minimise import disclosed_document

log = structlog.get_logger("hub.service_layer.federation.answers")

ATTESTED_INGRESS = "case-attested"
"""The ingress recorded on a case step's exchange whose answer a later step recognises."""

_NAMESPACE = uuid.UUID("0b6f1d2e-3c4a-5b6c-8d7e-9f0a1b2c3d4e")


def answer_record_id(asker: str, exchange_id: str) -> UUID:
    """The id of the record that answers ``asker``'s exchange ``exchange_id``."""
    return uuid.uuid5(_NAMESPACE, f"answer:{asker}/{exchange_id}")


class AnswerAttester:
    """The answering side: issues a peer's answer as a record and sends its attestation."""

    def __init__(self, link: RecognitionLink, subject_of: Callable[[Contract], str]) -> None:
        self.link = link
        self.subject_of = subject_of  # the region's pseudonymous reference of the person

    async def attest(self, asker: str, exchange_id: str, department: str,
                     answer: Contract) -> UUID | None:
        """Issue ``answer`` (``department``'s answer to ``asker``'s exchange ``exchange_id``,
        as disclosed to it) and send its attestation to ``asker``; the record's id, or None
        when it cannot be issued (logged: the asker then finds no attestation, and says so)."""
        record_id = answer_record_id(asker, exchange_id)
        content = disclosed_document(answer)
        contract = str(answer.contract_id())
        try:
            # As the contract has it (a purpose's minimised answer has no subject field
            # marked): fails if the purpose withheld a field the contract requires.
            whole = validate_contract(self.link.app.registry.get(contract), content)
            sent = await self.link.issue(department, contract, content,
                                         subject_ref=self.subject_of(whole), to=[asker],
                                         record_id=record_id)
        except ConflictError:  # asked again (a redelivery): the record stands, send it again
            record = await self.link.call(self.link.app.get_record, record_id)
            why = await self.link.send(asker, ATTESTATIONS, record.attestation or "",
                                       msg_id=str(record_id))
            undelivered = {asker: why} if why else {}
        except HubError as exc:
            log.warning("answer not attested", peer=asker, exchange_id=exchange_id,
                        contract=contract, code=exc.code, error=exc.message)
            return None
        else:
            undelivered = sent.undelivered
        if undelivered:  # issued here: reconciliation finds and repairs the gap
            log.warning("answer attestation not delivered", peer=asker,
                        record_id=str(record_id), why=undelivered[asker])
        return record_id
