"""SOAP 1.1 envelopes are taken apart strictly and built (replies, faults) correctly."""

from __future__ import annotations

import pytest
from lxml import etree

from contracts.errors import FieldIssue
from translation.errors import MalformedInput
from translation.soap_envelope import (
    FAULT_NS,
    SOAP11_NS,
    SOAP12_NS,
    build_envelope,
    build_fault,
    parse_envelope,
    parse_fault,
)
from translation.xml_safety import XmlLimits

HEADER_NS = "urn:interop-hub:envelope:1"


def _envelope(inner: str, ns: str = SOAP11_NS) -> bytes:
    return f'<?xml version="1.0"?><s:Envelope xmlns:s="{ns}">{inner}</s:Envelope>'.encode()


def _code_of(data: bytes) -> str:
    with pytest.raises(MalformedInput) as caught:
        parse_envelope(data)
    (issue,) = caught.value.issues
    return issue.code


def test_parses_headers_and_the_single_body_element() -> None:
    """Header blocks and the one body element come back; comments and whitespace are skipped."""
    message = parse_envelope(
        _envelope(
            f'<s:Header><h:client xmlns:h="{HEADER_NS}">north/tax</h:client><!-- c -->'
            f'<h:correlationId xmlns:h="{HEADER_NS}">abc</h:correlationId></s:Header>\n'
            '<s:Body>\n  <!-- before --><q:Query xmlns:q="urn:q"><q:x>1</q:x></q:Query>\n</s:Body>'
        )
    )
    assert [h.tag for h in message.headers] == [
        f"{{{HEADER_NS}}}client",
        f"{{{HEADER_NS}}}correlationId",
    ]
    assert message.headers[0].text == "north/tax"
    assert message.body.tag == "{urn:q}Query"
    assert not message.is_fault


def test_header_is_optional() -> None:
    """An envelope without a Header has no header blocks."""
    message = parse_envelope(_envelope("<s:Body><a/></s:Body>"))
    assert message.headers == ()
    assert message.body.tag == "a"


def test_soap12_is_named_as_a_version_mismatch() -> None:
    """A SOAP 1.2 envelope is refused with both namespaces in the reason."""
    with pytest.raises(MalformedInput) as caught:
        parse_envelope(_envelope("<s:Body><a/></s:Body>", ns=SOAP12_NS))
    (issue,) = caught.value.issues
    assert issue.code == "soap-version-mismatch"
    assert SOAP12_NS in issue.reason
    assert SOAP11_NS in issue.reason


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"<Envelope><Body><a/></Body></Envelope>", "not-soap-envelope"),
        (_envelope(""), "soap-body-missing"),
        (_envelope("<s:Header/>"), "soap-body-missing"),
        (_envelope("<s:Header/><x/><s:Body><a/></s:Body>"), "soap-body-missing"),
        (_envelope("<s:Body/>"), "soap-body-empty"),
        (_envelope("<s:Body>  <!-- only a comment -->  </s:Body>"), "soap-body-empty"),
        (_envelope("<s:Body><a/><b/></s:Body>"), "soap-body-multiple"),
        (_envelope("<s:Body><a/></s:Body><s:Header/>"), "soap-unexpected-element"),
        (_envelope("<s:Body><a/></s:Body><extra/>"), "soap-unexpected-element"),
    ],
    ids=[
        "no-namespace",
        "no-body",
        "header-only",
        "foreign-before-body",
        "empty-body",
        "comment-only-body",
        "two-body-elements",
        "header-after-body",
        "element-after-body",
    ],
)
def test_structural_problems_have_their_own_codes(data: bytes, code: str) -> None:
    """Each way of not being a usable SOAP 1.1 message is reported distinctly."""
    assert _code_of(data) == code


def test_envelope_goes_through_the_hardened_parser() -> None:
    """DTDs and size limits apply to envelopes too."""
    assert _code_of(b"<!DOCTYPE s:Envelope []>" + _envelope("<s:Body><a/></s:Body>")) == (
        "dtd-forbidden"
    )
    with pytest.raises(MalformedInput) as caught:
        parse_envelope(_envelope("<s:Body><a><b/></a></s:Body>"), XmlLimits(max_depth=3))
    assert caught.value.issues[0].code == "too-deep"


def test_build_envelope_round_trips_and_leaves_the_caller_tree_alone() -> None:
    """The built envelope is UTF-8 with a declaration and parses back to the same parts."""
    holder = etree.Element("holder")
    body = etree.SubElement(holder, "{urn:q}Answer")
    etree.SubElement(body, "{urn:q}value").text = "Zoë"
    header = etree.Element(f"{{{HEADER_NS}}}correlationId")
    header.text = "c-1"

    data = build_envelope(body, [header])

    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert "Zoë".encode() in data
    message = parse_envelope(data)
    assert message.body.tag == "{urn:q}Answer"
    assert message.body.findtext("{urn:q}value") == "Zoë"
    assert [h.text for h in message.headers] == ["c-1"]
    assert body.getparent() is holder


def test_build_envelope_without_headers_has_no_header_element() -> None:
    """No empty soap:Header is emitted."""
    data = build_envelope(etree.Element("a"))
    assert b"Header" not in data


def test_fault_carries_code_and_issues() -> None:
    """A built fault parses back into faultcode, faultstring, problem code and issues."""
    issues = [
        FieldIssue(path="/Q/period_end", reason="missing", code="schema-violation", field="end"),
        FieldIssue(path="$", reason="bad", code="dtd-forbidden"),
    ]
    data = build_fault("Client", "the request is invalid", code="schema-violation", issues=issues)

    message = parse_envelope(data)
    assert message.is_fault
    fault = parse_fault(message.body)
    assert fault.faultcode == "Client"
    assert fault.faultstring == "the request is invalid"
    assert fault.code == "schema-violation"
    assert fault.issues == tuple(issues)
    faultcode, faultstring, code, parsed = fault
    assert (faultcode, faultstring, code, parsed) == (
        "Client",
        "the request is invalid",
        "schema-violation",
        tuple(issues),
    )


def test_fault_detail_shape() -> None:
    """The detail holds hub:problem with one hub:issue per issue, field omitted when None."""
    data = build_fault(
        "Server",
        "boom",
        code="provider-unavailable",
        issues=[FieldIssue(path="$", reason="down", code="provider-unavailable")],
    )
    root = etree.fromstring(data)
    fault = root.find(f"{{{SOAP11_NS}}}Body/{{{SOAP11_NS}}}Fault")
    assert fault is not None
    assert [child.tag for child in fault] == ["faultcode", "faultstring", "detail"]
    assert fault.findtext("faultcode") == "soap:Server"
    problem = fault.find(f"detail/{{{FAULT_NS}}}problem")
    assert problem is not None
    assert problem.prefix == "hub"
    assert problem.get("code") == "provider-unavailable"
    (issue,) = problem
    assert dict(issue.attrib) == {"path": "$", "code": "provider-unavailable"}
    assert issue.text == "down"


def test_fault_survives_text_xml_cannot_carry() -> None:
    """Control characters in a reason are replaced instead of failing the fault itself."""
    data = build_fault(
        "Client",
        "bad \x00 input",
        code="x",
        issues=[FieldIssue(path="$", reason="got \x01", code="x")],
    )
    fault = parse_fault(parse_envelope(data).body)
    assert fault.faultstring == "bad \ufffd input"
    assert fault.issues[0].reason == "got \ufffd"


def test_parse_fault_of_a_foreign_fault() -> None:
    """A fault without hub detail still yields its code and string."""
    data = _envelope(
        "<s:Body><s:Fault><faultcode>s:Server</faultcode>"
        "<faultstring>oops</faultstring></s:Fault></s:Body>"
    )
    fault = parse_fault(parse_envelope(data).body)
    assert fault == ("Server", "oops", None, ())


def test_parse_fault_refuses_a_non_fault() -> None:
    """Only soap:Fault elements are faults."""
    with pytest.raises(MalformedInput):
        parse_fault(etree.Element("a"))
