"""MIME bindings scaffold: mime:multipartRelated parts and swaRef elements are marked attachments.

The WSDL is written in the test, importing the WS-I swaRef schema by URL as
X-Road's testservice.wsdl does, resolved through the shared catalog.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from hub.entrypoints.cli.main import app
from translation.onboarding import ScaffoldOptions, describe_wsdl, render_skeleton
from translation.onboarding.report import MIME_ATTACHMENT

SWAREF_NS = "http://ws-i.org/profiles/basic/1.1/xsd"
MIME_WSDL = f"""<?xml version="1.0"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:mime="http://schemas.xmlsoap.org/wsdl/mime/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:ref="{SWAREF_NS}"
    xmlns:tns="urn:dept:documents" targetNamespace="urn:dept:documents">
  <wsdl:types>
    <xs:schema targetNamespace="urn:dept:documents" elementFormDefault="qualified">
      <xs:import namespace="{SWAREF_NS}"
          schemaLocation="http://ws-i.org/profiles/basic/1.1/swaref.xsd"/>
      <xs:element name="Submit"><xs:complexType><xs:sequence>
        <xs:element name="CaseId" type="xs:string"/>
        <xs:element name="Scan" type="ref:swaRef"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="Receipt" type="xs:string"/>
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="SubmitIn">
    <wsdl:part name="body" element="tns:Submit"/>
    <wsdl:part name="photo" type="xs:base64Binary"/>
  </wsdl:message>
  <wsdl:message name="SubmitOut"><wsdl:part name="body" element="tns:Receipt"/></wsdl:message>
  <wsdl:portType name="PT"><wsdl:operation name="Submit">
    <wsdl:input message="tns:SubmitIn"/><wsdl:output message="tns:SubmitOut"/>
  </wsdl:operation></wsdl:portType>
  <wsdl:binding name="B" type="tns:PT">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="Submit"><soap:operation soapAction="urn:submit"/>
      <wsdl:input>
        <mime:multipartRelated>
          <mime:part><soap:body parts="body" use="literal"/></mime:part>
          <mime:part>
            <mime:content part="photo" type="image/jpeg"/>
            <mime:content part="photo" type="image/png"/>
          </mime:part>
        </mime:multipartRelated>
      </wsdl:input>
      <wsdl:output><soap:body use="literal"/></wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="S"><wsdl:port name="P" binding="tns:B">
    <soap:address location="http://dept.example/submit"/></wsdl:port></wsdl:service>
</wsdl:definitions>"""


def _options(shared_external: Path) -> ScaffoldOptions:
    return ScaffoldOptions(catalog=shared_external / "catalog" / "catalog.xml")


def test_multipart_related_part_is_an_attachment_and_the_body_maps(tmp_path, shared_external):
    """The mime:content part is an attachment (once, first content type); the body is XML."""
    wsdl = tmp_path / "documents.wsdl"
    wsdl.write_text(MIME_WSDL, encoding="utf-8")
    described = describe_wsdl(wsdl, _options(shared_external))
    (shape,) = described.operations
    assert [p.root for p in shape.input.body] == ["tns:Submit"]
    (attachment,) = shape.input.attachments
    assert (attachment.part, attachment.content_type) == ("photo", "image/jpeg")
    scan = next(leaf for leaf in shape.input.body[0].leaves if leaf.path.endswith("Scan"))
    assert scan.attachment == "swaRef"
    constructs = [t.construct for t in described.tolerated if t.code == MIME_ATTACHMENT]
    assert len(constructs) == 2
    assert any("part=photo" in c for c in constructs)
    assert any("tns:Scan" in c for c in constructs)


def test_skeleton_marks_attachments_and_stays_valid_toml(tmp_path, shared_external):
    """The skeleton names the MIME part and annotates the swaRef leaf as an attachment."""
    wsdl = tmp_path / "documents.wsdl"
    wsdl.write_text(MIME_WSDL, encoding="utf-8")
    described = describe_wsdl(wsdl, _options(shared_external))
    text = render_skeleton(described, described.operations[0], tmp_path)
    tomllib.loads(text)
    assert "#   part 'photo': image/jpeg" in text
    assert "ATTACHMENT (swaRef)" in text
    assert 'element = "tns:Submit"' in text


def test_report_lists_the_attachments(tmp_path, shared_external):
    """`adapter scaffold --report` writes the attachment records with their stable code."""
    wsdl = tmp_path / "documents.wsdl"
    wsdl.write_text(MIME_WSDL, encoding="utf-8")
    report = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        [
            "adapter", "scaffold", "--wsdl", str(wsdl),
            "--catalog", str(shared_external / "catalog" / "catalog.xml"),
            "--out", str(tmp_path / "out"), "--report", str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(report.read_text())
    assert document["counts"] == {MIME_ATTACHMENT: 2}
    (content,) = [r for r in document["tolerated"] if "part=photo" in r["construct"]]
    assert (content["file"], content["line"]) == ("documents.wsdl", 33)
