"""SOAP 1.2 envelopes: parsing refusals with stable codes, replies, and 1.2 Faults."""

from __future__ import annotations

import pytest
from lxml import etree

from contracts.errors import FieldIssue
from translation.errors import MalformedInput
from translation.soap12 import build_envelope12, build_fault12, parse_envelope12
from translation.soap_envelope import SOAP11_NS, SOAP12_NS

ENV = f"{{{SOAP12_NS}}}"


def _envelope(inner: str, ns: str = SOAP12_NS) -> bytes:
    return f'<e:Envelope xmlns:e="{ns}">{inner}</e:Envelope>'.encode()


def test_a_message_is_its_headers_and_its_one_body_element() -> None:
    message = parse_envelope12(_envelope("<e:Header><h/></e:Header><e:Body><a/></e:Body>"))
    assert [h.tag for h in message.headers] == ["h"] and message.body.tag == "a"


@pytest.mark.parametrize(("inner", "ns", "code"), [
    ("<e:Body><a/></e:Body>", SOAP11_NS, "soap-version-mismatch"),
    ("<e:Header/>", SOAP12_NS, "soap-body-missing"),
    ("<e:Body/>", SOAP12_NS, "soap-body-empty"),
    ("<e:Body><a/><b/></e:Body>", SOAP12_NS, "soap-body-multiple"),
    ("<e:Body><a/></e:Body><x/>", SOAP12_NS, "soap-unexpected-element"),
])
def test_each_bad_envelope_has_its_code(inner: str, ns: str, code: str) -> None:
    with pytest.raises(MalformedInput) as caught:
        parse_envelope12(_envelope(inner, ns))
    assert caught.value.issues[0].code == code


def test_a_reply_round_trips() -> None:
    body = etree.fromstring("<r xmlns='urn:x'><v>1</v></r>")
    assert parse_envelope12(build_envelope12(body)).body.findtext("{urn:x}v") == "1"


def test_a_fault_has_code_subcode_reason_and_detail() -> None:
    issue = FieldIssue(path="/Q/year", reason="not a year\x00", code="contract-violation",
                       field="year")
    fault = parse_envelope12(build_fault12("Sender", "bad", code="contract-violation",
                                           issues=[issue])).body
    assert fault.findtext(f"{ENV}Code/{ENV}Value") == "env:Sender"
    assert fault.findtext(f"{ENV}Code/{ENV}Subcode/{ENV}Value") == "hub:contract-violation"
    assert fault.findtext(f"{ENV}Reason/{ENV}Text") == "bad"
    item = fault.find(f"{ENV}Detail/{{urn:interop-hub:fault:1}}problem/"
                      "{urn:interop-hub:fault:1}issue")
    assert item is not None and item.get("field") == "year" and "\x00" not in (item.text or "")
